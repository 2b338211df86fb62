// The job's time limit (for <name>_QRMI_JOB_TIMEOUT_SECONDS), which SPANK does not give: it is
// asked of slurmctld (~17 ms here, nearly all of a --qpu job's cost when it was asked in the
// task). Started in init_post_opt, the question runs in a process of its own while slurmstepd
// sets the step up (~50 ms), and the task only reads the answer.
//
// The process is `squeue --noheader --jobs ID --format %l`, started with posix_spawn, whose
// vfork costs slurmstepd a fraction of a millisecond. Tried before, and slower: a fork of
// slurmstepd that asked itself (1-22 ms for the fork alone on a busy node: its page tables are
// copied), with a double fork (~15 ms, waiting for the middle process); a thread (slurmstepd
// switches uid while the RPC is in flight, and munge refuses the answer). squeue is
// slurmstepd's child, and
// slurmstepd reaps it: its wait for the tasks (wait3 on any child) passes over a pid that is
// not a task's; one still running when slurmstepd exits goes to the container's subreaper.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rqinit::qpu {

// The limit in minutes from what `squeue --format %l` prints for one job: [D-]H:MM:SS, M:SS or
// UNLIMITED; nothing if it is not a time (NOT_SET, INVALID, an error, nothing). squeue, not
// `scontrol show job`: its output is this one field, so no text of the user's (a job name
// holding "TimeLimit=") can pass for it.
std::optional<uint32_t> parse_time_limit(const std::string& scontrol_output);

class TimeLimitLookup {
  public:
    using Ask = std::function<std::optional<uint32_t>()>;
    TimeLimitLookup() = default;
    ~TimeLimitLookup();
    TimeLimitLookup(const TimeLimitLookup&) = delete;
    TimeLimitLookup& operator=(const TimeLimitLookup&) = delete;

    // Starts command (found in PATH), its output into a pipe; fallback is asked in wait() when
    // no answer comes from it. If the command cannot be started, wait() asks fallback at once.
    void start(const std::vector<std::string>& command, Ask fallback);
    // The command's answer, waiting at most `timeout` for its end; then, if none, fallback().
    // The pipe is close-on-exec: the job's program never inherits it.
    std::optional<uint32_t> wait(std::chrono::milliseconds timeout);

  private:
    Ask fallback_;
    int answer_fd_ = -1;
};

}  // namespace rqinit::qpu
