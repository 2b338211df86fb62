// The job's time limit, for <name>_QRMI_JOB_TIMEOUT_SECONDS. SPANK has no item for it; since
// Slurm 23.02 every task's environment has the job's start and end instead (SLURM_JOB_START_TIME,
// SLURM_JOB_END_TIME, Unix seconds), set by slurmstepd from the step's credential just before
// the task's SPANK callbacks (task.c's exec_task, env.c's setup_env), for a batch step as for
// any other. slurmctld makes them (job_mgr.c's job_end_time_reset): end = start + limit x 60,
// or start + 365 days for a job with no limit. So nothing is asked of slurmctld.
// Pure: the plugin reads the two variables and hands them here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rqinit::qpu {

inline constexpr uint32_t kInfiniteTimeLimit = 0xffffffff;  // Slurm's INFINITE
// What slurmctld adds to an unlimited job's start for its end (job_end_time_reset). A limit of
// exactly 365 days gives the same end: the environment cannot tell them apart, and it is read
// as no limit. (An unlimited job whose nodes were powered up for it has its start moved to their
// boot and its end not, job_config_fini: a shorter span, read as that limit. This cluster powers
// no node up.)
inline constexpr uint64_t kUnlimitedSpanSeconds = 365 * 24 * 60 * 60;

struct JobTimeLimit {
    uint32_t minutes = 0;  // kInfiniteTimeLimit: no limit
    std::string error;     // one line when the environment does not say; minutes is then 0
};

// From the two variables' values (nullopt: not in the job's environment). Both must be Unix
// seconds, the end not before the start. Whole minutes, rounded down: Slurm's limits are whole
// minutes, and a job that waited for a prolog of slurmctld or a node's reboot has its end moved
// by that wait and its start not (job_mgr.c's job_config_fini), which rounding down takes back
// when the wait was under a minute.
JobTimeLimit job_time_limit(const std::optional<std::string>& start_time,
                            const std::optional<std::string>& end_time);

// <name>_QRMI_JOB_TIMEOUT_SECONDS: the time limit in minutes x 60; INFINITE (or a limit too
// large for 32 bits) is 4294967295.
std::string timeout_seconds(uint32_t time_limit_minutes);

}  // namespace rqinit::qpu
