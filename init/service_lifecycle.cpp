// The state machine of each service (service_runtime.hpp), driven by the event loop in
// supervisor.cpp: start when the dependencies are ready, probe until ready, restart or give up
// when it ends, and stop in reverse dependency order.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "init/service_requests.hpp"
#include "init/spawn.hpp"
#include "init/supervisor.hpp"
#include "init/wait_status.hpp"

namespace rqinit {
namespace {

constexpr double kWaitLogInterval = 5.0;  // seconds between "still waiting" lines

}  // namespace

void Supervisor::advance(double now) {
    for (size_t i : start_order_) on_deadlines(i, now);
    if (!stopping_) {
        for (size_t i : start_order_) {
            if (runtime_[i].state != ServiceState::waiting) continue;
            if (dependencies_ready(i))
                start_service(i, now);
            else
                log_still_waiting(i, now);
        }
        return;
    }
    // Reverse order: a service stops only after everything that depends on it has stopped.
    for (auto it = start_order_.rbegin(); it != start_order_.rend(); ++it) {
        const ServiceRuntime& s = runtime_[*it];
        if (!s.terminal() && s.state != ServiceState::stopping && dependents_down(*it))
            begin_stop(*it, now);
    }
}

void Supervisor::on_deadlines(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    if (s.hook_pid > 0 && now >= s.hook_deadline) {
        spdlog::warn("{}: {} did not finish within {} s; killing it", spec.name,
                     hook_name(s.hook_kind), spec.hook_timeout);
        kill(-s.hook_pid, SIGKILL);
        s.hook_deadline = kNever;  // its exit, when reaped, is the failure
    }
    if (now >= s.probe_deadline) {
        if (s.probe_pid > 0) kill(-s.probe_pid, SIGKILL);  // reaped later as a failed probe
        if (s.probe_fd >= 0) {
            cancel_probe(i);
            on_probe_result(i, false, "connect timed out", now);
        }
        s.probe_deadline = kNever;
    }
    switch (s.state) {
        case ServiceState::starting:
            if (now >= s.deadline) {
                spdlog::error("{} did not become ready within {} s (waiting on {}{}{}); giving up",
                              spec.name, spec.start_timeout, probe_text(spec.ready),
                              s.last_probe_failure.empty() ? "" : ": ", s.last_probe_failure);
                s.deadline = kNever;
                begin_shutdown(kNotReadyExit, spec.name + " did not become ready");
            } else if (s.probe_fd < 0 && s.probe_pid < 0 && s.hook_pid < 0 &&
                       now >= s.next_probe_at) {
                start_probe(i, now);
            }
            log_still_waiting(i, now);
            break;
        case ServiceState::ready:
            if (spec.health.kind != Probe::Kind::none && s.probe_fd < 0 && s.probe_pid < 0 &&
                now >= s.next_probe_at)
                start_probe(i, now);
            break;
        case ServiceState::backoff:
            if (now >= s.deadline && !stopping_) start_service(i, now);
            break;
        case ServiceState::stopping:
            if (s.pid > 0 && !s.kill_sent && now >= s.deadline) {
                spdlog::warn("{} did not stop within {} s of {}; sending SIGKILL", spec.name,
                             spec.stop_timeout, signal_name(spec.stop_signal));
                kill(-s.group, SIGKILL);
                kill(s.pid, SIGKILL);
                s.kill_sent = true;
                s.deadline = kNever;
            }
            break;
        default:
            break;
    }
}

// Ready, or a oneshot (or any service not to be restarted) that finished well.
bool Supervisor::ready_for_dependents(size_t i) const {
    const ServiceRuntime& s = runtime_[i];
    return s.state == ServiceState::ready ||
           (s.state == ServiceState::exited && s.last_exit_code == 0);
}

bool Supervisor::dependencies_ready(size_t i) const {
    return std::all_of(dependencies_[i].begin(), dependencies_[i].end(),
                       [this](size_t j) { return ready_for_dependents(j); });
}

bool Supervisor::dependents_down(size_t i) const {
    return std::all_of(dependents_[i].begin(), dependents_[i].end(),
                       [this](size_t j) { return runtime_[j].terminal(); });
}

void Supervisor::start_service(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    if (spec.command.empty()) return start_wait(i, now);
    SpawnRequest request = service_request(spec, plan_.single_command);
    int write_end = spec.output == OutputMode::prefix ? open_output_pipe(spec.name) : -1;
    request.output_fd = write_end;
    SpawnResult result = spawn(request);
    if (write_end >= 0) close(write_end);  // the child holds its copy; EOF comes when it is gone
    enter_starting(i, now);
    if (result.pid < 0) {
        spdlog::error("{}: cannot start {}: {}", spec.name, spec.command[0], result.reason);
        return on_service_exit(i, result.exit_code, result.reason, now);
    }
    children_[result.pid] = {ChildRef::Kind::service, i};
    s.pid = s.group = result.pid;
    s.kill_sent = false;
    spdlog::info("started {} (pid {})", spec.name, result.pid);
    if (spec.oneshot) {
        s.next_probe_at = kNever;  // its successful exit is what its dependents wait for
        return;
    }
    if (spec.ready.kind == Probe::Kind::none && spec.after_ready.empty()) return mark_ready(i, now);
    spdlog::info("waiting for {} to be ready ({}), up to {} s", spec.name, probe_text(spec.ready),
                 spec.start_timeout);
    start_probe(i, now);
}

// The start_timeout clock and the probes begin now.
void Supervisor::enter_starting(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    double timeout = plan_.services[i].start_timeout;
    s.state = ServiceState::starting;
    s.started_at = now;
    s.deadline = timeout > 0 ? now + timeout : kNever;
    s.next_probe_at = now;
    s.last_wait_log_at = now;
    s.last_probe_failure.clear();
}

// A service with no command only waits for its probe: something outside the container, such as
// the database another container serves.
void Supervisor::start_wait(size_t i, double now) {
    const ServiceSpec& spec = plan_.services[i];
    enter_starting(i, now);
    spdlog::info("waiting for {} ({}), up to {} s", spec.name, probe_text(spec.ready),
                 spec.start_timeout);
    start_probe(i, now);
}

void Supervisor::mark_ready(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    s.state = ServiceState::ready;
    s.deadline = kNever;
    s.health_failures = 0;
    s.next_probe_at = now + plan_.services[i].health.interval;
    spdlog::info("{} is ready ({:.2f} s after start)", plan_.services[i].name, now - s.started_at);
}

void Supervisor::on_service_exit(size_t i, int exit_code, const std::string& how, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    s.last_exit_code = exit_code;
    s.last_exit = how;
    s.pid = -1;
    if (s.state == ServiceState::stopping) {
        spdlog::info("{} stopped ({})", spec.name, how);
        if (s.hook_pid <= 0) finish_stop(i, now);  // else before_stop is still running; it finishes
        return;
    }
    cancel_probe(i);
    s.deadline = kNever;
    if (plan_.single_command) {
        s.state = exit_code == 0 ? ServiceState::exited : ServiceState::failed;
        return begin_shutdown(exit_code, spec.name + " ended (" + how + ")");
    }
    if (stopping_) {
        s.state = ServiceState::stopped;
        return void(spdlog::info("{} ended during shutdown ({})", spec.name, how));
    }
    RestartDecision decision = decide_restart(spec, exit_code, now, s.history);
    switch (decision.action) {
        case RestartDecision::Action::restart:
            s.state = ServiceState::backoff;
            s.deadline = now + decision.delay;
            ++s.restarts;
            spdlog::warn("{} ended ({}); {}", spec.name, how, decision.reason);
            return;
        case RestartDecision::Action::give_up:
            s.state = ServiceState::failed;
            spdlog::error("{} ended ({}); {}", spec.name, how, decision.reason);
            return begin_shutdown(exit_code == 0 ? 1 : exit_code, spec.name + " failed");
        case RestartDecision::Action::done:
            s.state = ServiceState::exited;
            spdlog::info("{} finished ({})", spec.name, how);
            return;
    }
}

void Supervisor::begin_stop(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    if (s.state == ServiceState::waiting || s.state == ServiceState::backoff) {
        s.state = ServiceState::stopped;
        s.deadline = kNever;
        return;
    }
    cancel_probe(i);
    s.state = ServiceState::stopping;
    if (spec.before_stop.empty()) return send_stop_signal(i, now);
    run_hook(i, HookKind::before_stop, now);
}

void Supervisor::send_stop_signal(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    if (s.pid <= 0) return finish_stop(i, now);  // it ended while before_stop ran
    spdlog::info("stopping {} with {} (SIGKILL after {} s)", spec.name,
                 signal_name(spec.stop_signal), spec.stop_timeout);
    if (kill(-s.group, spec.stop_signal) != 0) kill(s.pid, spec.stop_signal);
    s.deadline = now + spec.stop_timeout;
}

void Supervisor::finish_stop(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    s.deadline = kNever;
    // What the service left behind in its process group goes with it.
    if (s.group > 0 && !plan_.single_command) kill(-s.group, SIGKILL);
    if (spec.after_stop.empty()) {
        s.state = ServiceState::stopped;
        return;
    }
    run_hook(i, HookKind::after_stop, now);
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
    if (s.state == ServiceState::waiting) {
        std::string missing;
        for (size_t j : dependencies_[i])
            if (!ready_for_dependents(j))
                missing += (missing.empty() ? "" : ", ") + plan_.services[j].name;
        return void(spdlog::info("{} is waiting for {} to be ready", spec.name, missing));
    }
    spdlog::info("still waiting for {} to be ready ({}): {:.0f} s of {} s{}{}", spec.name,
                 probe_text(spec.ready), now - s.started_at, spec.start_timeout,
                 s.last_probe_failure.empty() ? "" : "; last try: ", s.last_probe_failure);
}

ServiceSnapshot Supervisor::snapshot_of(size_t i, double now) const {
    const ServiceRuntime& s = runtime_[i];
    const std::string& name = plan_.services[i].name;
    ServiceSnapshot row{name,
                        s.pid,
                        state_name(s.state),
                        s.restarts,
                        s.pid > 0 ? now - s.started_at : 0,
                        s.last_exit,
                        false,
                        ""};
    bool failing = s.health_failures >= plan_.services[i].health_retries;
    row.healthy = ready_for_dependents(i) && !failing;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f s", now - s.started_at);
    switch (s.state) {
        case ServiceState::waiting:
            row.why = name + " is waiting for its dependencies";
            break;
        case ServiceState::starting:
            row.why = name + " is starting: not ready after " + seconds +
                      (s.last_probe_failure.empty() ? "" : " (" + s.last_probe_failure + ")");
            break;
        case ServiceState::ready:
            row.why = name + " failed its health check " + std::to_string(s.health_failures) +
                      " times in a row: " + s.last_probe_failure;
            break;
        case ServiceState::backoff:
            row.why = name + " is restarting after " + s.last_exit + " (restart " +
                      std::to_string(s.restarts) + ")";
            break;
        default:
            row.why = name + " is " + state_name(s.state) +
                      (s.last_exit.empty() ? "" : " (" + s.last_exit + ")");
    }
    return row;
}

const char* state_name(ServiceState state) {
    switch (state) {
        case ServiceState::waiting:
            return "waiting";
        case ServiceState::starting:
            return "starting";
        case ServiceState::ready:
            return "ready";
        case ServiceState::backoff:
            return "backoff";
        case ServiceState::stopping:
            return "stopping";
        case ServiceState::stopped:
            return "stopped";
        case ServiceState::exited:
            return "exited";
        case ServiceState::failed:
            return "failed";
    }
    return "?";
}

}  // namespace rqinit
