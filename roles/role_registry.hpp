// The built-in roles: each turns the container's configuration into a Plan (data only; roles
// know nothing of processes). A built-in role is only a built-in plan: rqinit.toml can declare
// the same services by hand.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "init/plan.hpp"

namespace rqinit {

std::vector<std::string> known_roles();
// nullopt for an unknown role.
std::optional<Plan> plan_for_role(const std::string& role);

}  // namespace rqinit
