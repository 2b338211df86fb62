// What the service state machine spawns for a service (its process, its probes, its hooks),
// and how its probes and hooks are named in log lines.
#pragma once

#include <string>
#include <vector>

#include "init/plan.hpp"
#include "init/service_transitions.hpp"
#include "init/spawn.hpp"

namespace rqinit {

std::string probe_text(const Probe& probe);  // "tcp host:port", "command /usr/bin/x"
const char* hook_name(HookKind kind);
// The program paths come from check_plan (Plan::programs); a name not there is looked up in PATH.
// A probe or hook: the service's environment and directory, as root.
SpawnRequest request_for(const ServiceSpec& spec, const std::vector<std::string>& argv,
                         const Plan& plan);
// The service's own process: as its user, with its capabilities, in its own session, all as
// check_plan resolved them.
SpawnRequest service_request(const ServiceSpec& spec, const Plan& plan);

}  // namespace rqinit
