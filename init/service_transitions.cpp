#include "init/service_transitions.hpp"

#include <spdlog/fmt/fmt.h>

#include "init/exit_codes.hpp"
#include "init/service_requests.hpp"
#include "init/signal_names.hpp"

namespace rqinit {
namespace {

using Actions = std::vector<Action>;
using S = ServiceState;

Action act(ActionKind kind) {
    Action a;
    a.kind = kind;
    return a;
}
Action after(ActionKind kind, double seconds) {
    Action a = act(kind);
    a.seconds = seconds;
    return a;
}
Action hook(HookKind kind) {
    Action a = act(ActionKind::run_hook);
    a.hook = kind;
    return a;
}
Action shut_down(int code, std::string why) {
    Action a = act(ActionKind::shut_down);
    a.code = code;
    a.text = std::move(why);
    return a;
}
Action log(int level, std::string text) {
    Action a = act(ActionKind::log);
    a.level = level;
    a.text = std::move(text);
    return a;
}
constexpr int kInfo = 0, kWarn = 1, kError = 2;

// start_timeout 0 means "no limit" (the command of `rqinit -- CMD`).
void arm_start_deadline(const ServiceSpec& spec, Actions& out) {
    out.push_back(spec.start_timeout > 0 ? after(ActionKind::arm_deadline, spec.start_timeout)
                                         : act(ActionKind::clear_deadline));
}

// From waiting or backoff: spawn the process, or, for a wait (no command), probe at once.
Actions start(const ServiceSpec& spec, ServiceRecord& r, const Event& e) {
    r.state = S::starting;
    r.started_at = e.now;
    Actions out;
    arm_start_deadline(spec, out);
    if (spec.command.empty()) {
        out.push_back(log(kInfo, fmt::format("waiting for {} ({}), up to {} s", spec.name,
                                             probe_text(spec.ready), spec.start_timeout)));
        out.push_back(act(ActionKind::start_probe));
        return out;
    }
    out.push_back(act(ActionKind::spawn));
    return out;
}

Actions mark_ready(const ServiceSpec& spec, ServiceRecord& r, const Event& e) {
    r.state = S::ready;
    r.health_failures = 0;
    Actions out{act(ActionKind::clear_deadline),
                log(kInfo, fmt::format("{} is ready ({:.2f} s after start)", spec.name,
                                       e.now - r.started_at))};
    if (spec.health.kind != Probe::Kind::none)
        out.push_back(after(ActionKind::schedule_probe, spec.health.interval));
    return out;
}

// The ready probe passed (or there is none): the after_ready hook, if any, has the last word.
Actions probe_passed_while_starting(const ServiceSpec& spec, ServiceRecord& r, const Event& e) {
    if (spec.after_ready.empty()) return mark_ready(spec, r, e);
    r.state = S::after_ready;
    return {hook(HookKind::after_ready)};
}

Actions on_spawned(const ServiceSpec& spec, ServiceRecord& r, const Event& e) {
    r.running = true;
    // A oneshot is never "ready" while it runs: its dependents wait for its exit 0.
    if (spec.oneshot) return {};
    if (spec.ready.kind == Probe::Kind::none) return probe_passed_while_starting(spec, r, e);
    return {log(kInfo, fmt::format("waiting for {} to be ready ({}), up to {} s", spec.name,
                                   probe_text(spec.ready), spec.start_timeout)),
            act(ActionKind::start_probe)};
}

// The process ended on its own (not on a stop): done, restart after a delay, or give up.
Actions on_exit_while_up(const ServiceSpec& spec, const StepContext& c, ServiceRecord& r,
                         const Event& e) {
    Actions out{act(ActionKind::cancel_probe), act(ActionKind::clear_deadline)};
    bool success = e.exit_code == 0;
    if (c.single_command) {
        r.state = success ? S::done : S::failed;
        out.push_back(shut_down(e.exit_code, fmt::format("{} ended ({})", spec.name, e.detail)));
        return out;
    }
    if (e.shutting_down) {
        r.state = S::stopped;
        out.push_back(
            log(kInfo, fmt::format("{} ended during shutdown ({})", spec.name, e.detail)));
        return out;
    }
    // A setup step that succeeded is done, whatever its restart policy says.
    if (spec.oneshot && success) {
        r.state = S::done;
        out.push_back(log(kInfo, fmt::format("{} finished ({})", spec.name, e.detail)));
        return out;
    }
    RestartDecision decision = decide_restart(spec, e.exit_code, e.now, r.history);
    switch (decision.action) {
        case RestartDecision::Action::restart:
            r.state = S::backoff;
            ++r.restarts;
            out.push_back(after(ActionKind::arm_deadline, decision.delay));
            out.push_back(
                log(kWarn, fmt::format("{} ended ({}); {}", spec.name, e.detail, decision.reason)));
            break;
        case RestartDecision::Action::give_up:
            r.state = S::failed;
            out.push_back(log(
                kError, fmt::format("{} ended ({}); {}", spec.name, e.detail, decision.reason)));
            out.push_back(shut_down(success ? exit_code::kServiceFailed : e.exit_code,
                                    spec.name + " failed"));
            break;
        case RestartDecision::Action::done:
            r.state = S::done;
            out.push_back(log(kInfo, fmt::format("{} finished ({})", spec.name, e.detail)));
            break;
    }
    return out;
}

Actions send_stop_signal(const ServiceSpec& spec, ServiceRecord& r) {
    r.state = S::stopping;
    return {log(kInfo, fmt::format("stopping {} with {} (SIGKILL after {} s)", spec.name,
                                   signal_name(spec.stop_signal), spec.stop_timeout)),
            act(ActionKind::send_stop_signal), after(ActionKind::arm_deadline, spec.stop_timeout)};
}

// The process has ended on a stop: what it left in its process group goes with it.
Actions finish_stop(const ServiceSpec& spec, ServiceRecord& r) {
    Actions out{act(ActionKind::clear_deadline), act(ActionKind::kill_group)};
    if (spec.after_stop.empty()) {
        r.state = S::stopped;
        return out;
    }
    r.state = S::after_stop;
    out.push_back(hook(HookKind::after_stop));
    return out;
}

// What a service provides at its mount point goes first: every service that used it has
// stopped already (reverse order), and a FUSE server must still run to answer the unmount.
Actions unmount_first(const ServiceSpec& spec) {
    if (spec.mount_point.empty()) return {};
    return {act(ActionKind::unmount)};
}

Actions begin_stop(const ServiceSpec& spec, ServiceRecord& r) {
    // The probe first: a health probe in flight is a user of the mount too.
    Actions out{act(ActionKind::cancel_probe), act(ActionKind::clear_deadline)};
    for (auto& a : unmount_first(spec)) out.push_back(std::move(a));
    if (!r.running) {  // a wait, or a process that is not there
        r.state = S::stopped;
        return out;
    }
    if (!spec.before_stop.empty()) {
        r.state = S::before_stop;
        out.push_back(hook(HookKind::before_stop));
        return out;
    }
    for (auto& a : send_stop_signal(spec, r)) out.push_back(std::move(a));
    return out;
}

Actions on_deadline(const ServiceSpec& spec, ServiceRecord& r, const Event& e) {
    switch (r.state) {
        case S::starting:
        case S::after_ready:
            return {act(ActionKind::clear_deadline),
                    log(kError, fmt::format("{} did not become ready within {} s (waiting on "
                                            "{}{}{}); giving up",
                                            spec.name, spec.start_timeout, probe_text(spec.ready),
                                            e.detail.empty() ? "" : ": ", e.detail)),
                    shut_down(exit_code::kNotReady, spec.name + " did not become ready")};
        case S::backoff:
            if (e.shutting_down) return {act(ActionKind::clear_deadline)};
            return start(spec, r, e);
        case S::stopping:
            if (!r.running) return {act(ActionKind::clear_deadline)};
            return {act(ActionKind::clear_deadline),
                    log(kWarn,
                        fmt::format("{} did not stop within {} s of {}; sending SIGKILL", spec.name,
                                    spec.stop_timeout, signal_name(spec.stop_signal))),
                    act(ActionKind::kill_group)};
        default:
            return {};
    }
}

Actions on_probe(const ServiceSpec& spec, ServiceRecord& r, const Event& e) {
    bool passed = e.kind == EventKind::probe_passed;
    if (r.state == S::starting) {
        if (e.kind == EventKind::probe_never)
            return {act(ActionKind::clear_deadline),
                    log(kError, fmt::format("{} will never be ready ({} exited 100): {}", spec.name,
                                            probe_text(spec.ready), e.detail)),
                    shut_down(exit_code::kNotReady, spec.name + " cannot become ready")};
        if (passed) return probe_passed_while_starting(spec, r, e);
        return {after(ActionKind::schedule_probe, spec.ready.interval)};
    }
    if (r.state != S::ready) return {};
    // Health: only `health_retries` failures in a row make the service unhealthy.
    Actions out{after(ActionKind::schedule_probe, spec.health.interval)};
    if (passed) {
        if (r.health_failures >= spec.health_retries)
            out.push_back(log(kInfo, spec.name + " is healthy again"));
        r.health_failures = 0;
        return out;
    }
    if (++r.health_failures == spec.health_retries)
        out.push_back(log(
            kWarn, fmt::format("{} failed its health check {} times in a row ({}): {}", spec.name,
                               r.health_failures, probe_text(spec.health), e.detail)));
    return out;
}

Actions on_hook_finished(const ServiceSpec& spec, ServiceRecord& r, const Event& e) {
    Actions out;
    const char* which = r.state == S::after_ready   ? "after_ready"
                        : r.state == S::before_stop ? "before_stop"
                                                    : "after_stop";
    if (!e.ok)
        out.push_back(log(kWarn, fmt::format("{}: {} failed ({})", spec.name, which, e.detail)));
    auto append = [&out](Actions more) {
        for (auto& a : more) out.push_back(std::move(a));
        return out;
    };
    switch (r.state) {
        case S::after_ready:
            if (e.ok) return append(mark_ready(spec, r, e));
            r.state = S::starting;  // probe, then the hook, again
            out.push_back(after(ActionKind::schedule_probe, spec.ready.interval));
            return out;
        case S::before_stop:
            if (r.running) return append(send_stop_signal(spec, r));
            return append(finish_stop(spec, r));
        case S::after_stop:
            r.state = S::stopped;
            return out;
        default:
            return {};
    }
}

Actions on_exited(const ServiceSpec& spec, const StepContext& c, ServiceRecord& r, const Event& e) {
    r.running = false;
    switch (r.state) {
        case S::starting:
        case S::after_ready:
        case S::ready:
            return on_exit_while_up(spec, c, r, e);
        case S::before_stop:  // the hook goes on; its end finishes the stop
            return {log(kInfo, fmt::format("{} stopped ({})", spec.name, e.detail))};
        case S::stopping: {
            Actions out{log(kInfo, fmt::format("{} stopped ({})", spec.name, e.detail))};
            for (auto& a : finish_stop(spec, r)) out.push_back(std::move(a));
            return out;
        }
        default:
            return {};
    }
}

}  // namespace

std::vector<Action> step(const ServiceSpec& spec, const StepContext& context, ServiceRecord& record,
                         const Event& event) {
    switch (event.kind) {
        case EventKind::dependencies_ready:
            if (record.state != S::waiting) return {};
            return start(spec, record, event);
        case EventKind::spawned:
            if (record.state != S::starting) return {};
            return on_spawned(spec, record, event);
        case EventKind::exited:
            return on_exited(spec, context, record, event);
        case EventKind::probe_passed:
        case EventKind::probe_failed:
        case EventKind::probe_never:
            return on_probe(spec, record, event);
        case EventKind::hook_finished:
            return on_hook_finished(spec, record, event);
        case EventKind::deadline:
            return on_deadline(spec, record, event);
        case EventKind::stop_requested:
            switch (record.state) {
                case S::waiting:
                case S::backoff: {  // a FUSE server that crashed left its mount behind
                    record.state = S::stopped;
                    Actions out = unmount_first(spec);
                    out.push_back(act(ActionKind::clear_deadline));
                    return out;
                }
                case S::starting:
                case S::after_ready:
                case S::ready:
                    return begin_stop(spec, record);
                case S::done:  // a oneshot that mounted (the kernel's client) stays done
                    return unmount_first(spec);
                default:
                    return {};
            }
    }
    return {};
}

const char* state_name(ServiceState state) {
    switch (state) {
        case S::waiting:
            return "waiting";
        case S::starting:
            return "starting";
        case S::after_ready:
            return "after_ready";
        case S::ready:
            return "ready";
        case S::backoff:
            return "backoff";
        case S::before_stop:
            return "before_stop";
        case S::stopping:
            return "stopping";
        case S::after_stop:
            return "after_stop";
        case S::stopped:
            return "stopped";
        case S::done:
            return "done";
        case S::failed:
            return "failed";
    }
    return "?";
}

bool is_terminal(ServiceState state) {
    return state == S::stopped || state == S::done || state == S::failed;
}

}  // namespace rqinit
