// The decisions of one service, as a table: (state, event) -> (next state, actions).
//
// A pure function: it reads the service's spec and what it remembers (ServiceRecord), and it
// touches no process, fd or clock (the time comes in the event). The supervisor delivers the
// events and carries out the actions; tests/unit/service_transitions_test.cpp checks the table
// cell by cell. New behaviour is a new row here, not a new flag in the event loop.
#pragma once

#include <string>
#include <vector>

#include "init/plan.hpp"
#include "init/restart_policy.hpp"

namespace rqinit {

enum class ServiceState {
    waiting,      // for its dependencies to be ready
    starting,     // spawned (or a wait): probing until ready
    after_ready,  // ready probe passed; the after_ready hook runs
    ready,        // ready (a oneshot never is: it goes from starting to done)
    backoff,      // exited; restarts when the deadline fires
    before_stop,  // stop requested; the before_stop hook runs
    stopping,     // stop signal sent; SIGKILL to its group when the deadline fires
    after_stop,   // exited on a stop; the after_stop hook runs
    stopped,      // terminal: stopped by rqinit
    done,         // terminal: finished successfully and not to be run again
    failed,       // terminal: ended and not to be restarted, or gave up
};

const char* state_name(ServiceState state);
bool is_terminal(ServiceState state);

enum class HookKind { after_ready, before_stop, after_stop };

// What the table remembers of a service between events. Plain data.
struct ServiceRecord {
    ServiceState state = ServiceState::waiting;
    bool running = false;  // its process exists (between spawned and exited)
    double started_at = 0;
    int restarts = 0;
    RestartHistory history;
    int health_failures = 0;  // in a row, while ready
};

enum class EventKind {
    dependencies_ready,  // every dependency is ready (or done)
    spawned,             // its process was executed
    exited,              // its process ended (or could not be executed): exit_code
    probe_passed,        // the ready probe while starting; the health probe while ready
    probe_failed,
    probe_never,    // a command probe exited 100: it will never pass
    hook_finished,  // the running hook ended: ok
    deadline,       // the state's deadline: start_timeout, restart delay, or stop_timeout
    stop_requested,
};

struct Event {
    EventKind kind = EventKind::deadline;
    double now = 0;
    int exit_code = 0;           // exited
    bool ok = false;             // hook_finished
    bool shutting_down = false;  // rqinit is stopping everything
    std::string detail;          // exited: "exit status 1"; probe_failed: the reason
};

inline Event make_event(EventKind kind, double now, std::string detail = {}) {
    Event event;
    event.kind = kind;
    event.now = now;
    event.detail = std::move(detail);
    return event;
}
inline Event exit_event(double now, int exit_code, std::string how) {
    Event event = make_event(EventKind::exited, now, std::move(how));
    event.exit_code = exit_code;
    return event;
}
inline Event hook_event(double now, bool ok, std::string how) {
    Event event = make_event(EventKind::hook_finished, now, std::move(how));
    event.ok = ok;
    return event;
}

enum class ActionKind {
    spawn,             // start the service's process; report spawned or exited
    start_probe,       // the ready probe (starting) or the health probe (ready), now
    schedule_probe,    // the next probe in `seconds`
    cancel_probe,      // and kill a probe or after_ready hook in flight
    run_hook,          // `hook`; report hook_finished
    send_stop_signal,  // the spec's stop_signal to its process group
    kill_group,        // SIGKILL to its process group (what is left of it, or all of it)
    unmount,           // the spec's mount_point, if rqinit mounted it (lazily if still busy)
    arm_deadline,      // the state's deadline, `seconds` from now
    clear_deadline,
    shut_down,  // stop every service in reverse order; rqinit exits with `code`
    log,        // `level`: 0 info, 1 warn, 2 error; `text`
};

struct Action {
    ActionKind kind = ActionKind::log;
    double seconds = 0;
    HookKind hook = HookKind::after_ready;
    int code = 0;
    int level = 0;
    std::string text;
};

struct StepContext {
    bool single_command = false;  // `rqinit -- CMD`: its end ends rqinit with its status
};

// Applies the event to record (state and counters) and returns what the supervisor must do, in
// order. An event a state does not expect changes nothing and returns no action.
std::vector<Action> step(const ServiceSpec& spec, const StepContext& context, ServiceRecord& record,
                         const Event& event);

}  // namespace rqinit
