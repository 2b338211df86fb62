// A service's hooks (after_ready, before_stop, after_stop): one at a time, as root, each with
// hook_timeout; where each leads in the service's state machine.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "init/service_requests.hpp"
#include "init/supervisor.hpp"
#include "init/wait_status.hpp"

namespace rqinit {

void Supervisor::run_hook(size_t i, HookKind kind, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    const auto& argv = kind == HookKind::after_ready   ? spec.after_ready
                       : kind == HookKind::before_stop ? spec.before_stop
                                                       : spec.after_stop;
    SpawnRequest request = request_for(spec, argv);
    request.output_fd = open_output_pipe(spec.name + "[" + hook_name(kind) + "]");
    SpawnResult result = spawn(request);
    close(request.output_fd);
    s.hook_kind = kind;
    if (result.pid < 0) {
        spdlog::warn("{}: cannot run {}: {}", spec.name, hook_name(kind), result.reason);
        return on_hook_exit(i, result.exit_code << 8, now);  // as a wait status
    }
    children_[result.pid] = {ChildRef::Kind::hook, i};
    s.hook_pid = result.pid;
    s.hook_deadline = now + spec.hook_timeout;
}

void Supervisor::on_hook_exit(size_t i, int wait_status, double now) {
    ServiceRuntime& s = runtime_[i];
    const ServiceSpec& spec = plan_.services[i];
    s.hook_deadline = kNever;
    bool ok = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
    if (!ok)
        spdlog::warn("{}: {} failed ({})", spec.name, hook_name(s.hook_kind),
                     describe_wait_status(wait_status));
    switch (s.hook_kind) {
        case HookKind::after_ready:
            if (s.state != ServiceState::starting) return;
            if (ok) return mark_ready(i, now);
            s.last_probe_failure = "after_ready failed";
            s.next_probe_at = now + spec.ready.interval;  // probe and hook again
            return;
        case HookKind::before_stop:
            return send_stop_signal(i, now);
        case HookKind::after_stop:
            s.state = ServiceState::stopped;
            return;
    }
}

}  // namespace rqinit
