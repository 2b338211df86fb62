// What the supervisor holds of one service while it runs: the table's record (its state and
// counters), and the mechanism the table does not see: pids, fds and deadlines.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "init/clock.hpp"
#include "init/service_transitions.hpp"

namespace rqinit {

struct ServiceRuntime {
    ServiceRecord record;
    pid_t pid = -1;            // the service's own process, > 0 while it runs
    pid_t group = -1;          // its process group (= its first pid), kept after it exits
    double deadline = kNever;  // the state's deadline (arm_deadline)
    bool mounted = false;      // its mount_point may hold a mount rqinit must take down
    std::optional<int> last_exit_code;
    std::string last_exit;

    // The probe in flight, if any: the ready probe while starting, the health probe once ready.
    double next_probe_at = kNever;
    int probe_fd = -1;              // a connect in flight
    pid_t probe_pid = -1;           // a command probe in flight
    int probe_output_fd = -1;       // its output, kept to say why it failed:
    std::string probe_output_line;  // the last line of it so far
    double probe_deadline = kNever;
    std::string last_probe_failure;
    double last_wait_log_at = 0;

    // At most one hook runs at a time.
    pid_t hook_pid = -1;
    HookKind hook_kind = HookKind::after_ready;
    double hook_deadline = kNever;

    ServiceState state() const { return record.state; }
    bool terminal() const { return is_terminal(record.state); }
    bool probe_in_flight() const { return probe_fd >= 0 || probe_pid > 0; }
};

}  // namespace rqinit
