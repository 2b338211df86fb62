#include "init/service_requests.hpp"

#include "init/capabilities.hpp"

namespace rqinit {

std::string probe_text(const Probe& probe) {
    switch (probe.kind) {
        case Probe::Kind::tcp:
            return "tcp " + probe.address;
        case Probe::Kind::unix_socket:
            return "unix " + probe.address;
        case Probe::Kind::command:
            return "command " + probe.argv[0];
        case Probe::Kind::none:
            break;
    }
    return "after_ready";
}

const char* hook_name(HookKind kind) {
    switch (kind) {
        case HookKind::after_ready:
            return "after_ready";
        case HookKind::before_stop:
            return "before_stop";
        case HookKind::after_stop:
            return "after_stop";
    }
    return "?";
}

SpawnRequest request_for(const ServiceSpec& spec, const std::vector<std::string>& argv) {
    SpawnRequest request;
    request.argv = argv;
    request.environment = merge_environment({spec.environment.begin(), spec.environment.end()});
    request.working_directory = spec.working_directory;
    return request;
}

SpawnRequest service_request(const ServiceSpec& spec, bool single_command) {
    SpawnRequest request = request_for(spec, spec.command);
    if (!spec.user.empty()) request.credentials = resolve_credentials(spec.user);
    if (spec.capabilities) {
        request.capabilities.emplace();
        for (const auto& name : *spec.capabilities)
            request.capabilities->push_back(*capability_from_name(name));
    }
    request.new_session = !single_command;
    return request;
}

}  // namespace rqinit
