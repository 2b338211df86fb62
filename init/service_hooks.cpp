// A service's hooks (after_ready, before_stop, after_stop): one at a time, as root, each with
// hook_timeout. Where each leads is the table's business (service_transitions.cpp).
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
    SpawnRequest request = request_for(spec, argv, plan_);
    request.output_fd = open_output_pipe(spec.name + "[" + hook_name(kind) + "]");
    SpawnResult result = spawn(request);
    close(request.output_fd);
    s.hook_kind = kind;
    if (result.pid < 0)
        return deliver(i, hook_event(now, false, "cannot run " + argv[0] + ": " + result.reason));
    children_[result.pid] = {ChildRef::Kind::hook, i};
    s.hook_pid = result.pid;
    s.hook_deadline = now + spec.hook_timeout;
}

void Supervisor::on_hook_exit(size_t i, int wait_status, double now) {
    ServiceRuntime& s = runtime_[i];
    s.hook_pid = -1;
    s.hook_deadline = kNever;
    bool ok = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
    deliver(i, hook_event(now, ok, describe_wait_status(wait_status)));
}

}  // namespace rqinit
