// What the plugin does for one batch job that asked for --qpu, as a pure function of its inputs:
// the job's environment and the QRMI library come in as interfaces, so that every rule of
// spank_qrmi's contract is unit-tested without Slurm (spank_qpu.cpp is the thin Slurm side).
//
// The order of a job's start (slurm_spank_init_post_opt, as root in slurmstepd):
//   --env:K=V of plugstack.conf; QRMI_JOB_UID, QRMI_JOB_ID; RUST_LOG from SRUN_DEBUG unless set;
//   per QPU, in the order asked: refused unless the job's groups meet its allowed_groups (the
//   check sbatch made, again: a job can skip sbatch's); then its settings, never a mix of the
//   job's and the site's: when the job was submitted with any <name>_<KEY> of a KEY the config
//   has, or any <name>_QRMI_* of its own, QRMI gets the job's <name>_* alone and the job none of
//   the config's values; otherwise both get the config's, as they are. Then acquisition with
//   those settings, giving <name>_QRMI_JOB_ACQUISITION_TOKEN; then the four QPU lists.
// A mix would let a job send the site's credential to an endpoint of its choosing.
// Errors are held and reported when the task starts (task_init), which fails this job alone:
// an error returned at init_post_opt would drain the node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spank/plugin_arguments.hpp"
#include "spank/qrmi_config.hpp"

namespace rqinit::qpu {

// The job's environment as SPANK shows it (spank_getenv / spank_setenv).
class JobEnvironment {
  public:
    virtual ~JobEnvironment() = default;
    virtual std::optional<std::string> get(const std::string& key) const = 0;
    // Every variable of the job whose name starts with prefix, in the job's order.
    virtual std::vector<std::pair<std::string, std::string>> starting_with(
        const std::string& prefix) const = 0;
    // overwrite = false keeps a value the job already has.
    virtual void set(const std::string& key, const std::string& value, bool overwrite) = 0;
};

// QRMI's C API (qrmi_library.cpp loads it with dlopen), or a fake in the tests.
class QrmiAccess {
  public:
    virtual ~QrmiAccess() = default;
    // false: no QRMI library on this node; the job runs without acquisition.
    virtual bool loaded() const = 0;
    // The acquisition token, or nullopt with `error` set to one line. The resource's
    // environment is what QRMI reads for it (full names, <name>_<KEY>), either the job's own or
    // the config's: QRMI takes its settings from the process environment.
    virtual std::optional<std::string> acquire(const QpuResource& resource,
                                               const std::string& config_path,
                                               std::string& error) = 0;
    // Empty, or one line saying why the release failed (logged, never fatal).
    virtual std::string release(const QpuResource& resource, const std::string& config_path,
                                const std::string& token) = 0;
};

struct JobIdentity {
    uint32_t uid = 0;
    uint32_t job_id = 0;
    std::vector<std::string> groups;  // the job's primary and supplementary groups, by name
};

struct Acquisition {
    QpuResource resource;
    std::string token;
};

struct PreparedJob {
    std::vector<Acquisition> acquired;  // released at the job's end, each once
    std::string error;                  // held: one line, printed at task start, and the job fails
    std::string notice;                 // said once in the job's output (no QRMI library here)
};

// Called for a batch step whose job gave --qpu=names (already split, see qpu_request.hpp);
// reads the config at arguments.config_path.
PreparedJob prepare_qpu_job(const PluginArguments& arguments, const std::vector<std::string>& names,
                            const JobIdentity& job, JobEnvironment& environment, QrmiAccess& qrmi);

// RUST_LOG's level for srun's debug level (SRUN_DEBUG): 2 or less error, 3 info, 4 debug,
// 5 and more trace; unset or not a number: info.
std::string rust_log_level(const std::optional<std::string>& srun_debug);

// Releases every token of the job; returns the lines to log (release errors only).
std::vector<std::string> release_all(PreparedJob& job, const std::string& config_path,
                                     QrmiAccess& qrmi);

}  // namespace rqinit::qpu
