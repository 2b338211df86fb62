// Readiness and health probes of a service: tcp and unix connects without blocking the loop,
// command probes as children whose last output line explains a failure (exit 100: never).
// What a result means is the table's business (service_transitions.cpp); here they are run.
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <csignal>

#include "init/connect_probe.hpp"
#include "init/exit_codes.hpp"
#include "init/service_requests.hpp"
#include "init/supervisor.hpp"
#include "init/wait_status.hpp"

namespace rqinit {

// The readiness probe while starting; the health probe once ready. One runs at a time, and
// none longer than hook_timeout.
void Supervisor::start_probe(size_t i, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    const Probe& probe = s.state() == ServiceState::ready ? spec.health : spec.ready;
    s.next_probe_at = kNever;
    s.probe_deadline = now + spec.hook_timeout;
    if (probe.kind == Probe::Kind::none) return on_probe_result(i, true, "", now);
    if (probe.kind == Probe::Kind::command) {
        SpawnRequest request = request_for(spec, probe.argv, plan_);
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

void Supervisor::on_probe_result(size_t i, bool passed, const std::string& reason, double now) {
    ServiceRuntime& s = runtime_[i];
    s.probe_deadline = kNever;
    if (!passed) s.last_probe_failure = reason;
    deliver(i, make_event(passed ? EventKind::probe_passed : EventKind::probe_failed, now, reason));
}

void Supervisor::on_probe_exit(size_t i, int wait_status, double now) {
    ServiceRuntime& s = runtime_[i];
    s.probe_pid = -1;
    read_output(s.probe_output_fd);  // its last line, if it wrote one, says more
    s.probe_output_fd = -1;
    std::string reason =
        s.probe_output_line.empty() ? describe_wait_status(wait_status) : s.probe_output_line;
    bool exited = WIFEXITED(wait_status);
    if (exited && WEXITSTATUS(wait_status) == exit_code::kProbeNever) {
        s.probe_deadline = kNever;
        s.last_probe_failure = reason;
        return deliver(i, make_event(EventKind::probe_never, now, reason));
    }
    on_probe_result(i, exited && WEXITSTATUS(wait_status) == 0, reason, now);
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
    s.next_probe_at = kNever;
}

}  // namespace rqinit
