#include "init/service_requests.hpp"

#include <algorithm>

namespace rqinit {

std::string probe_text(const Probe& probe) {
    switch (probe.kind) {
        case Probe::Kind::tcp:
            return "tcp " + probe.address;
        case Probe::Kind::unix_socket:
            return "unix " + probe.address;
        case Probe::Kind::command: {
            // The whole command when it is short: "rqinit-nfs probe nfs://nfs/shared" says
            // what is awaited, where "rqinit-nfs" alone would not.
            std::string text = "command";
            for (const auto& word : probe.argv) text += " " + word;
            return text.size() <= 100 ? text : "command " + probe.argv[0] + " ...";
        }
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

SpawnRequest request_for(const ServiceSpec& spec, const std::vector<std::string>& argv,
                         const Plan& plan) {
    SpawnRequest request;
    request.argv = argv;
    if (auto found = plan.programs.find(argv.at(0)); found != plan.programs.end())
        request.program = found->second;
    // Services, probes and hooks alike: what only rqinit needs stays with rqinit.
    for (int cap : plan.pid1_only_capability_values) {
        const auto& named = spec.capability_values;
        const auto& kept = spec.kept_pid1_capability_values;
        bool keeps = (named && std::find(named->begin(), named->end(), cap) != named->end()) ||
                     std::find(kept.begin(), kept.end(), cap) != kept.end();
        if (!keeps) request.drop_from_bounding.push_back(cap);
    }
    request.environment = merge_environment({spec.environment.begin(), spec.environment.end()});
    request.working_directory = spec.working_directory;
    return request;
}

SpawnRequest service_request(const ServiceSpec& spec, const Plan& plan) {
    SpawnRequest request = request_for(spec, spec.command, plan);
    request.credentials = spec.credentials;
    request.capabilities = spec.capability_values;
    request.new_session = !plan.single_command;
    return request;
}

}  // namespace rqinit
