// What the supervisor knows of one service while it runs: its state, its process, and the
// deadline that the state is waiting for.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "init/clock.hpp"
#include "init/restart_policy.hpp"

namespace rqinit {

enum class ServiceState {
    waiting,   // for its dependencies to be ready
    starting,  // running, not yet ready: probing, or running after_ready
    ready,
    backoff,   // exited; restarts at the deadline
    stopping,  // before_stop, stop signal sent, or after_stop
    stopped,   // stopped by rqinit (terminal)
    exited,    // ended and not to be restarted, successfully (terminal)
    failed,    // ended and not to be restarted, or gave up (terminal)
};

const char* state_name(ServiceState state);

enum class HookKind { after_ready, before_stop, after_stop };

struct ServiceRuntime {
    ServiceState state = ServiceState::waiting;
    pid_t pid = -1;    // the service's own process, > 0 while it runs
    pid_t group = -1;  // its process group (= its first pid), kept after it exits
    double started_at = 0;
    double deadline = kNever;  // starting: start_timeout; backoff: restart; stopping: SIGKILL
    int restarts = 0;
    RestartHistory history;
    std::optional<int> last_exit_code;
    std::string last_exit;
    bool kill_sent = false;

    // Readiness, while starting.
    double next_probe_at = 0;
    int probe_fd = -1;              // a connect in flight
    pid_t probe_pid = -1;           // a command probe in flight
    int probe_output_fd = -1;       // its output, kept to say why it failed:
    std::string probe_output_line;  // the last line of it so far
    double probe_deadline = kNever;
    std::string last_probe_failure;
    double last_wait_log_at = 0;

    int health_failures = 0;  // in a row, while ready

    // At most one hook runs at a time.
    pid_t hook_pid = -1;
    HookKind hook_kind = HookKind::after_ready;
    double hook_deadline = kNever;

    bool terminal() const {
        return state == ServiceState::stopped || state == ServiceState::exited ||
               state == ServiceState::failed;
    }
};

}  // namespace rqinit
