// The built-in roles: each turns the container's context into a Plan (data only; roles know
// nothing of processes). A built-in role is only a built-in plan: rqinit.toml can declare the
// same services by hand, and adds its own to a role's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "init/plan.hpp"

namespace rqinit {

struct RoleContext {
    std::string hostname;   // a Slurm node's name is its container's hostname
    std::string node_size;  // RQINIT_NODE_SIZE, checked (roles/node_size.hpp); c and q only
};

std::vector<std::string> known_roles();
// nullopt for an unknown role.
std::optional<Plan> plan_for_role(const std::string& role, const RoleContext& context);

}  // namespace rqinit
