// spank_qpu.so: the --qpu=NAMES option of sbatch, srun and salloc, compatible with
// qiskit-community's spank_qrmi (plugstack.conf line, option, environment contract;
// docs/operations.md, "Quantum jobs"). This file is the Slurm side only; every decision is in
// qpu_job.cpp and qpu_request.cpp, tested without Slurm.
//
// Where each part runs:
//   sbatch/srun/salloc (allocator, local): the option's callback refuses unknown names at once,
//     and a QPU the user's groups may not use, from the names-only file beside the config (no
//     credential in it). A user can skip this: the option reaches slurmstepd as the variable
//     _SLURM_SPANK_OPTION_qpu_qpu of the job's environment, which a user can export without
//     giving --qpu; so slurmstepd checks the groups again.
//   slurmstepd of the batch step (remote, root): init_post_opt prepares the job (environment,
//     acquisition); errors are held, never returned (an error there drains the node).
//   the task, just before exec (remote, as the user): task_init reports a held error (the job
//     fails alone) or sets each QPU's timeout from the job's start and end in its environment,
//     which slurmstepd puts there only then (job_time_limit.hpp).
//   slurmstepd at the step's end: exit releases every token once.
// A job without --qpu costs one option lookup per callback.
extern "C" {
#include <slurm/slurm.h>
#include <slurm/spank.h>
}

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "spank/job_time_limit.hpp"
#include "spank/plugin_arguments.hpp"
#include "spank/qpu_access.hpp"
#include "spank/qpu_job.hpp"
#include "spank/qpu_request.hpp"
#include "spank/qrmi_library.hpp"

// Everything else is hidden (CMake builds with -fvisibility=hidden): slurmstepd sees only what
// Slurm's loader looks up by name.
#define SPANK_EXPORT extern "C" __attribute__((visibility("default")))

// SPANK_PLUGIN(qpu, 1), spelled out: in C++ a namespace-scope const has internal linkage.
SPANK_EXPORT const char plugin_name[] = "qpu";
SPANK_EXPORT const char plugin_type[] = "spank";
SPANK_EXPORT const unsigned int plugin_version = SLURM_VERSION_NUMBER;
SPANK_EXPORT const unsigned int spank_plugin_version = 1;

namespace {

using namespace rqinit::qpu;

// One slurmstepd serves one step: this state is that step's.
PluginArguments g_arguments;
std::unique_ptr<QrmiLibrary> g_qrmi;
std::optional<std::string> g_qpu_names;  // --qpu's value, as the step received it
PreparedJob g_job;
bool g_prepared = false;

int check_names_at_submission(int, const char* optarg, int remote);

struct spank_option g_qpu_option = {
    const_cast<char*>("qpu"),
    const_cast<char*>("names"),
    const_cast<char*>("Comma separated list of QPU resources to use."),
    1,
    0,
    check_names_at_submission};

QpuConfig known_qpus(const std::string& config_path, bool& found) {
    std::ifstream in(names_file_for(config_path));
    found = static_cast<bool>(in);
    std::stringstream text;
    text << in.rdbuf();
    return parse_names_file(text.str());
}

// sbatch, srun and salloc run as the submitting user: their groups are the user's.
std::vector<std::string> submitting_user_groups() {
    std::vector<gid_t> gids{getgid()};
    const int count = getgroups(0, nullptr);
    if (count > 0) {
        std::vector<gid_t> supplementary(count);
        const int got = getgroups(count, supplementary.data());
        if (got > 0) gids.insert(gids.end(), supplementary.begin(), supplementary.begin() + got);
    }
    return group_names(gids);
}

// The job's groups, as slurmstepd runs it: not slurmstepd's own (root's). A group Slurm does
// not give is left out, so that a failed lookup can only refuse.
std::vector<std::string> job_groups(spank_t spank) {
    std::vector<gid_t> gids;
    gid_t gid = 0;
    if (spank_get_item(spank, S_JOB_GID, &gid) == ESPANK_SUCCESS) gids.push_back(gid);
    gid_t* supplementary = nullptr;
    int count = 0;
    if (spank_get_item(spank, S_JOB_SUPPLEMENTARY_GIDS, &supplementary, &count) == ESPANK_SUCCESS &&
        supplementary)
        gids.insert(gids.end(), supplementary, supplementary + count);
    return group_names(gids);
}

// On the login node, for sbatch, srun and salloc: refuse what cannot run, before any job id.
// In slurmstepd (remote) the option arrives here, and only here: spank_option_getopt answers
// ESPANK_NOT_AVAIL in init_post_opt (Slurm 24.11's spank.c), so its value is kept for it.
int check_names_at_submission(int, const char* optarg, int remote) {
    if (remote) {
        g_qpu_names = optarg ? optarg : "";
        return 0;
    }
    if (!g_arguments.error.empty()) {
        slurm_error("qpu: %s", g_arguments.error.c_str());
        return -1;
    }
    ParsedNames parsed = parse_qpu_names(optarg ? optarg : "");
    if (!parsed.error.empty()) {
        slurm_error("%s", parsed.error.c_str());
        return -1;
    }
    bool found = false;
    const QpuConfig known = known_qpus(g_arguments.config_path, found);
    if (!found) return 0;  // no names file here: the node checks
    if (auto error = unknown_names_error(parsed.names, known.names())) {
        slurm_error("%s", error->c_str());
        return -1;
    }
    const std::vector<std::string> groups = submitting_user_groups();
    for (const auto& name : parsed.names) {
        if (auto error = qpu_access_error(name, known.find(name)->allowed_groups, groups)) {
            slurm_error("%s", error->c_str());
            return -1;
        }
    }
    return 0;
}

bool is_batch_step(spank_t spank) {
    uint32_t step = 0;
    return spank_get_item(spank, S_JOB_STEPID, &step) == ESPANK_SUCCESS &&
           step == SLURM_BATCH_SCRIPT;
}

class SpankEnvironment : public JobEnvironment {
  public:
    explicit SpankEnvironment(spank_t spank) : spank_(spank) {}
    std::optional<std::string> get(const std::string& key) const override {
        char value[4096];
        if (spank_getenv(spank_, key.c_str(), value, sizeof value) != ESPANK_SUCCESS)
            return std::nullopt;
        return std::string(value);
    }
    std::vector<std::pair<std::string, std::string>> starting_with(
        const std::string& prefix) const override {
        std::vector<std::pair<std::string, std::string>> found;
        char** environment = nullptr;
        if (spank_get_item(spank_, S_JOB_ENV, &environment) != ESPANK_SUCCESS || !environment)
            return found;
        for (char** entry = environment; *entry; ++entry) {
            const std::string text = *entry;
            const auto equals = text.find('=');
            if (equals != std::string::npos && text.rfind(prefix, 0) == 0)
                found.emplace_back(text.substr(0, equals), text.substr(equals + 1));
        }
        return found;
    }
    void set(const std::string& key, const std::string& value, bool overwrite) override {
        spank_setenv(spank_, key.c_str(), value.c_str(), overwrite ? 1 : 0);
    }

  private:
    spank_t spank_;
};

// The plugin's own time, logged by slurmstepd (SlurmdLogFile): what it costs a job, apart from
// the scheduler's delays around it (bench/qpu_bench.py reads these lines).
class Stopwatch {
  public:
    double milliseconds() const {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
            .count();
    }

  private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};
double g_prepare_ms = 0;

// This job fails, the node stays up. Not `return -1`: Slurm ignores the errors of an `optional`
// plugin (plugstack.conf's default here), and the script would run. This is the task's own
// process, just before exec: ending it is what Slurm does on an error. Its stderr is the job's
// output: the line is what the user reads.
[[noreturn]] void fail_task(const std::string& line) {
    std::fprintf(stderr, "qpu: %s\n", line.c_str());
    std::fflush(stderr);
    _exit(1);
}

std::vector<std::string> arguments_of(int argc, char** argv) {
    std::vector<std::string> arguments;
    for (int i = 0; i < argc; ++i) arguments.emplace_back(argv[i]);
    return arguments;
}

}  // namespace

SPANK_EXPORT int slurm_spank_init(spank_t spank, int argc, char** argv) {
    Stopwatch stopwatch;
    g_arguments = parse_plugin_arguments(arguments_of(argc, argv));
    const spank_context_t context = spank_context();
    if (context != S_CTX_ALLOCATOR && context != S_CTX_LOCAL && context != S_CTX_REMOTE) return 0;
    // An argument error must not stop jobs without --qpu: it is held, and said to --qpu jobs.
    if (spank_option_register(spank, &g_qpu_option) != ESPANK_SUCCESS) {
        slurm_error("qpu: cannot register --qpu");
        return -1;
    }
    if (context == S_CTX_REMOTE) slurm_debug("qpu: init in %.3f ms", stopwatch.milliseconds());
    return 0;
}

SPANK_EXPORT int slurm_spank_init_post_opt(spank_t spank, int, char**) {
    if (!spank_remote(spank) || !is_batch_step(spank) || !g_qpu_names) return 0;
    Stopwatch stopwatch;
    ParsedNames parsed = parse_qpu_names(*g_qpu_names);
    g_prepared = true;
    if (!parsed.error.empty()) {
        g_job.error = parsed.error;
        return 0;
    }
    JobIdentity job;
    spank_get_item(spank, S_JOB_UID, &job.uid);
    spank_get_item(spank, S_JOB_ID, &job.job_id);
    job.groups = job_groups(spank);
    g_qrmi = std::make_unique<QrmiLibrary>();
    SpankEnvironment environment(spank);
    g_job = prepare_qpu_job(g_arguments, parsed.names, job, environment, *g_qrmi);
    g_prepare_ms = stopwatch.milliseconds();
    slurm_debug("qpu: job %u: prepared in %.3f ms", job.job_id, g_prepare_ms);
    if (!g_job.error.empty()) slurm_error("qpu: job %u: %s", job.job_id, g_job.error.c_str());
    return 0;  // never an error here: that would drain the node
}

// The task's stderr is the job's output: what is printed here is what the user reads.
SPANK_EXPORT int slurm_spank_task_init(spank_t spank, int, char**) {
    if (!g_prepared || !spank_remote(spank)) return 0;
    Stopwatch stopwatch;
    if (!g_job.error.empty()) fail_task(g_job.error);
    if (!g_job.notice.empty()) std::fprintf(stderr, "qpu: %s\n", g_job.notice.c_str());
    // What is acquired is released at the step's end (slurm_spank_exit), whichever way it ends.
    const SpankEnvironment environment(spank);
    const JobTimeLimit time_limit = job_time_limit(environment.get("SLURM_JOB_START_TIME"),
                                                   environment.get("SLURM_JOB_END_TIME"));
    if (!time_limit.error.empty()) fail_task(time_limit.error);
    const std::string seconds = timeout_seconds(time_limit.minutes);
    for (const auto& acquisition : g_job.acquired)
        spank_setenv(spank, (acquisition.resource.name + "_QRMI_JOB_TIMEOUT_SECONDS").c_str(),
                     seconds.c_str(), 1);
    uint32_t job_id = 0;
    spank_get_item(spank, S_JOB_ID, &job_id);
    // Debug level: in the task, just before exec (the job's output is set up by now).
    slurm_debug("qpu: job %u: task start in %.3f ms", job_id, stopwatch.milliseconds());
    return 0;
}

SPANK_EXPORT int slurm_spank_exit(spank_t spank, int, char**) {
    if (!g_prepared || !spank_remote(spank) || !g_qrmi) return 0;
    Stopwatch stopwatch;
    for (const auto& problem : release_all(g_job, g_arguments.config_path, *g_qrmi))
        slurm_error("qpu: %s", problem.c_str());
    uint32_t job_id = 0;
    spank_get_item(spank, S_JOB_ID, &job_id);
    slurm_info("qpu: job %u: %zu QPU(s)%s, %.3f ms before the job, %.3f ms at its end", job_id,
               g_job.acquired.size(), g_job.error.empty() ? "" : " (failed)", g_prepare_ms,
               stopwatch.milliseconds());
    return 0;
}
