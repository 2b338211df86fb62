// The supervisor's side of the service table (service_transitions.hpp): it turns what happened
// into events, asks the table what to do, and does it. Every decision is the table's; here is
// only the doing (processes, signals, deadlines, log lines).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "init/exit_codes.hpp"
#include "init/mounts.hpp"
#include "init/service_requests.hpp"
#include "init/spawn.hpp"
#include "init/supervisor.hpp"
#include "init/wait_status.hpp"

namespace rqinit {
namespace {

constexpr double kWaitLogInterval = 5.0;  // seconds between "still waiting" lines

void write_log(const Action& action) {
    switch (action.level) {
        case 0:
            return spdlog::info("{}", action.text);
        case 1:
            return spdlog::warn("{}", action.text);
        default:
            return spdlog::error("{}", action.text);
    }
}

}  // namespace

void Supervisor::deliver(size_t i, Event event) {
    event.shutting_down = stopping_;
    StepContext context{plan_.single_command};
    std::vector<Action> actions = step(plan_.services[i], context, runtime_[i].record, event);
    for (const Action& action : actions) perform(i, action, event.now);
}

void Supervisor::perform(size_t i, const Action& action, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    switch (action.kind) {
        case ActionKind::spawn:
            return spawn_service(i, now);
        case ActionKind::start_probe:
            return start_probe(i, now);
        case ActionKind::schedule_probe:
            s.next_probe_at = now + action.seconds;
            return;
        case ActionKind::cancel_probe:
            return cancel_probe(i);
        case ActionKind::run_hook:
            return run_hook(i, action.hook, now);
        // kill() may find the process gone already (ESRCH): that is the outcome wanted, so
        // its result is not an error here, nor anywhere rqinit signals its children.
        case ActionKind::send_stop_signal:
            if (s.pid <= 0) return;
            if (kill(-s.group, spec.stop_signal) != 0) kill(s.pid, spec.stop_signal);
            return;
        case ActionKind::kill_group:
            // The single command's group may be a shell's whole job: tini leaves it alone too.
            if (s.group > 0 && !plan_.single_command) kill(-s.group, SIGKILL);
            if (s.pid > 0) kill(s.pid, SIGKILL);
            return;
        case ActionKind::unmount:
            return unmount_service(i);
        case ActionKind::arm_deadline:
            s.deadline = now + action.seconds;
            return;
        case ActionKind::clear_deadline:
            s.deadline = kNever;
            return;
        case ActionKind::shut_down:
            return begin_shutdown(action.code, action.text);
        case ActionKind::log:
            return write_log(action);
    }
}

void Supervisor::spawn_service(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    SpawnRequest request = service_request(spec, plan_);
    int fuse_fd = -1;
    if (spec.fuse_device) {
        FuseMountResult mounted = mount_fuse(spec.mount_point, spec.mount_source);
        if (mounted.fd < 0) {
            spdlog::error("{}: {}", spec.name, mounted.error);
            s.last_exit_code = exit_code::kSystem;
            s.last_exit = mounted.error;
            return deliver(i, exit_event(now, exit_code::kSystem, mounted.error));
        }
        fuse_fd = request.pass_fd = mounted.fd;
    }
    if (!spec.mount_point.empty()) s.mounted = true;
    int write_end = spec.output == OutputMode::prefix ? open_output_pipe(spec.name) : -1;
    request.output_fd = write_end;
    SpawnResult result = spawn(request);
    if (write_end >= 0) close(write_end);  // the child holds its copy; EOF comes when it is gone
    if (fuse_fd >= 0) close(fuse_fd);      // the server's copy is the connection now
    s.last_probe_failure.clear();
    s.last_wait_log_at = now;
    s.next_probe_at = kNever;
    if (result.pid < 0) {
        spdlog::error("{}: cannot start {}: {}", spec.name, spec.command[0], result.reason);
        s.last_exit_code = result.exit_code;
        s.last_exit = result.reason;
        return deliver(i, exit_event(now, result.exit_code, result.reason));
    }
    children_[result.pid] = {ChildRef::Kind::service, i};
    s.pid = s.group = result.pid;
    spdlog::info("started {} (pid {})", spec.name, result.pid);
    deliver(i, make_event(EventKind::spawned, now));
}

void Supervisor::unmount_service(size_t i) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    if (!s.mounted) return;
    s.mounted = false;
    UnmountResult result = unmount(spec.mount_point);
    if (!result.error.empty())
        spdlog::error("{}: {}", spec.name, result.error);
    else if (result.lazily)
        spdlog::warn("{}: {} is still in use{}{}; detached it, it goes when the last user lets go",
                     spec.name, spec.mount_point, result.users.empty() ? "" : " by ", result.users);
    else
        spdlog::info("{}: unmounted {}", spec.name, spec.mount_point);
}

void Supervisor::on_service_exit(size_t i, int wait_status, double now) {
    ServiceRuntime& s = runtime_[i];
    s.pid = -1;
    s.last_exit_code = exit_code_of(wait_status);
    s.last_exit = describe_wait_status(wait_status);
    deliver(i, exit_event(now, *s.last_exit_code, s.last_exit));
}

void Supervisor::advance(double now) {
    for (size_t i : start_order_) on_deadlines(i, now);
    if (!stopping_) {
        for (size_t i : start_order_) {
            if (runtime_[i].state() != ServiceState::waiting) continue;
            if (dependencies_ready(i))
                deliver(i, make_event(EventKind::dependencies_ready, now));
            else
                log_still_waiting(i, now);
        }
        return;
    }
    // Reverse order: a service stops only after everything that depends on it has stopped.
    for (auto it = start_order_.rbegin(); it != start_order_.rend(); ++it)
        if (dependents_down(*it)) deliver(*it, make_event(EventKind::stop_requested, now));
}

void Supervisor::on_deadlines(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    if (s.hook_pid > 0 && now >= s.hook_deadline) {
        spdlog::warn("{}: {} did not finish within {} s (hook_timeout); killing it", spec.name,
                     hook_name(s.hook_kind), spec.hook_timeout);
        kill(-s.hook_pid, SIGKILL);
        s.hook_deadline = kNever;  // its exit, when reaped, is the failure
    }
    if (now >= s.probe_deadline) {
        s.probe_deadline = kNever;
        if (s.probe_pid > 0) kill(-s.probe_pid, SIGKILL);  // reaped later as a failed probe
        if (s.probe_fd >= 0) {
            cancel_probe(i);
            s.last_probe_failure = "connect timed out";
            deliver(i, make_event(EventKind::probe_failed, now, s.last_probe_failure));
        }
    }
    if (now >= s.deadline) {
        s.deadline = kNever;  // the table re-arms it where it must
        deliver(i, make_event(EventKind::deadline, now, s.last_probe_failure));
    }
    bool probing = s.state() == ServiceState::starting ||
                   (s.state() == ServiceState::ready && spec.health.kind != Probe::Kind::none);
    if (probing && !s.probe_in_flight() && s.hook_pid < 0 && now >= s.next_probe_at) {
        s.next_probe_at = kNever;
        start_probe(i, now);
    }
    if (s.state() == ServiceState::starting) log_still_waiting(i, now);
}

// Ready, or finished successfully (a oneshot that exited 0).
bool Supervisor::ready_for_dependents(size_t i) const {
    ServiceState state = runtime_[i].state();
    return state == ServiceState::ready || state == ServiceState::done;
}

bool Supervisor::dependencies_ready(size_t i) const {
    return std::all_of(dependencies_[i].begin(), dependencies_[i].end(),
                       [this](size_t j) { return ready_for_dependents(j); });
}

bool Supervisor::dependents_down(size_t i) const {
    return std::all_of(dependents_[i].begin(), dependents_[i].end(),
                       [this](size_t j) { return runtime_[j].terminal(); });
}

void Supervisor::begin_shutdown(int exit_code, const std::string& why) {
    if (stopping_) return;
    stopping_ = true;
    exit_code_ = exit_code;
    spdlog::info("stopping all services: {}", why);
}

void Supervisor::log_still_waiting(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    if (now - s.last_wait_log_at < kWaitLogInterval) return;
    s.last_wait_log_at = now;
    if (s.state() == ServiceState::waiting) {
        std::string missing;
        for (size_t j : dependencies_[i])
            if (!ready_for_dependents(j))
                missing += (missing.empty() ? "" : ", ") + plan_.services[j].name;
        return void(spdlog::info("{} is waiting for {} to be ready", spec.name, missing));
    }
    if (spec.oneshot) return;  // a setup step is not probed; its exit is what counts
    spdlog::info("still waiting for {} to be ready ({}): {:.0f} s of {} s{}{}", spec.name,
                 probe_text(spec.ready), now - s.record.started_at, spec.start_timeout,
                 s.last_probe_failure.empty() ? "" : "; last try: ", s.last_probe_failure);
}

ServiceSnapshot Supervisor::snapshot_of(size_t i, double now) const {
    const ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    const std::string& name = spec.name;
    ServiceSnapshot row{name,
                        s.pid,
                        state_name(s.state()),
                        s.record.restarts,
                        s.pid > 0 ? now - s.record.started_at : 0,
                        s.last_exit,
                        false,
                        ""};
    bool failing = s.record.health_failures >= spec.health_retries;
    row.healthy = ready_for_dependents(i) && !failing;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f s", now - s.record.started_at);
    switch (s.state()) {
        case ServiceState::waiting:
            row.why = name + " is waiting for its dependencies";
            break;
        case ServiceState::starting:
        case ServiceState::after_ready:
            row.why = name + " is starting: not ready after " + seconds +
                      (s.last_probe_failure.empty() ? "" : " (" + s.last_probe_failure + ")");
            break;
        case ServiceState::ready:
            row.why = name + " failed its health check " +
                      std::to_string(s.record.health_failures) +
                      " times in a row: " + s.last_probe_failure;
            break;
        case ServiceState::backoff:
            row.why = name + " is restarting after " + s.last_exit + " (restart " +
                      std::to_string(s.record.restarts) + ")";
            break;
        default:
            row.why = name + " is " + state_name(s.state()) +
                      (s.last_exit.empty() ? "" : " (" + s.last_exit + ")");
    }
    return row;
}

}  // namespace rqinit
