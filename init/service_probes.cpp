// Readiness and health probes of a service: tcp and unix connects without blocking the loop,
// command probes as children whose last output line explains a failure (exit 100: never).
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <csignal>

#include "init/connect_probe.hpp"
#include "init/service_requests.hpp"
#include "init/supervisor.hpp"
#include "init/wait_status.hpp"

namespace rqinit {

// The readiness probe while starting; the health probe once ready. One runs at a time.
void Supervisor::start_probe(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    const Probe& probe = s.state == ServiceState::ready ? spec.health : spec.ready;
    s.probe_deadline = now + spec.hook_timeout;
    if (probe.kind == Probe::Kind::none) return on_probe_result(i, true, "", now);
    if (probe.kind == Probe::Kind::command) {
        SpawnRequest request = request_for(spec, probe.argv);
        // Probes run often: their output is kept, not printed, to say why one failed.
        int read_end = -1;
        s.probe_output_line.clear();
        request.output_fd = open_output_pipe(spec.name, i, &read_end);
        SpawnResult result = spawn(request);
        close(request.output_fd);
        if (result.pid < 0) return on_probe_result(i, false, result.reason, now);
        children_[result.pid] = {ChildRef::Kind::probe, i};
        s.probe_pid = result.pid;
        s.probe_output_fd = read_end;
        return;
    }
    ConnectAttempt attempt = start_connect(probe);
    if (attempt.outcome == ConnectAttempt::Outcome::in_progress) {
        s.probe_fd = attempt.fd;
        watch(attempt.fd, EPOLLOUT, probe_token(i));
        return;
    }
    on_probe_result(i, attempt.outcome == ConnectAttempt::Outcome::connected, attempt.reason, now);
}

void Supervisor::on_probe_result(size_t i, bool ready, const std::string& reason, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    s.probe_deadline = kNever;
    if (s.state == ServiceState::ready) return on_health_result(i, ready, reason, now);
    if (s.state != ServiceState::starting) return;
    if (!ready) {
        s.last_probe_failure = reason;
        s.next_probe_at = now + spec.ready.interval;
        return;
    }
    if (spec.after_ready.empty()) return mark_ready(i, now);
    run_hook(i, HookKind::after_ready, now);
}

void Supervisor::on_health_result(size_t i, bool healthy, const std::string& reason, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    s.next_probe_at = now + spec.health.interval;
    if (healthy) {
        if (s.health_failures >= spec.health_retries)
            spdlog::info("{} is healthy again", spec.name);
        s.health_failures = 0;
        return;
    }
    s.last_probe_failure = reason;
    if (++s.health_failures == spec.health_retries)
        spdlog::warn("{} failed its health check {} times in a row ({}): {}", spec.name,
                     s.health_failures, probe_text(spec.health), reason);
}

void Supervisor::on_probe_refused(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    if (s.state != ServiceState::starting) return;
    s.next_probe_at = kNever;  // no more tries while the stop proceeds
    s.deadline = kNever;
    spdlog::error("{} will never be ready ({} exited 100): {}", spec.name, probe_text(spec.ready),
                  s.last_probe_failure);
    begin_shutdown(kNotReadyExit, spec.name + " cannot become ready");
    (void)now;
}

void Supervisor::cancel_probe(size_t i) {
    ServiceRuntime& s = runtime_[i];
    if (s.probe_fd >= 0) {
        unwatch(s.probe_fd);
        close(s.probe_fd);
        s.probe_fd = -1;
    }
    if (s.probe_pid > 0) {
        kill(-s.probe_pid, SIGKILL);
        children_.erase(s.probe_pid);  // reaped later as an orphan, never as a probe result
        s.probe_pid = -1;
    }
    if (s.hook_pid > 0 && s.hook_kind == HookKind::after_ready) {
        kill(-s.hook_pid, SIGKILL);
        children_.erase(s.hook_pid);
        s.hook_pid = -1;
        s.hook_deadline = kNever;
    }
    s.probe_deadline = kNever;
}

}  // namespace rqinit
