// The job's time limit (for <name>_QRMI_JOB_TIMEOUT_SECONDS), which SPANK does not give: it is
// asked of slurmctld, one RPC (~17 ms here, nearly all of a --qpu job's cost when it was made in
// the task). Started in init_post_opt, the question runs in a process of its own while slurmstepd
// sets the step up (~50 ms), and the task only reads the answer.
//
// A process, not a thread: slurmstepd drops to the user's uid and back between init_post_opt
// and the task, and a thread's RPC caught across that switch fails munge's check of the answer
// (tried). A process keeps root's credentials throughout. It is forked twice, so that it is
// never slurmstepd's child: slurmstepd waits for its tasks only, and the container's subreaper
// (rqinit) reaps the worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

namespace rqinit::qpu {

class TimeLimitLookup {
  public:
    using Ask = std::function<std::optional<uint32_t>()>;
    TimeLimitLookup() = default;
    ~TimeLimitLookup();
    TimeLimitLookup(const TimeLimitLookup&) = delete;
    TimeLimitLookup& operator=(const TimeLimitLookup&) = delete;

    // Runs ask() in a worker process. If no worker can be started, wait() asks itself.
    void start(Ask ask);
    // The worker's answer, waiting at most `timeout` for it; then, if none came, ask() here.
    // The pipe is close-on-exec: the job's program never inherits it.
    std::optional<uint32_t> wait(std::chrono::milliseconds timeout);

  private:
    Ask ask_;
    int answer_fd_ = -1;
};

}  // namespace rqinit::qpu
