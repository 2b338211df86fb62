#include "roles/role_registry.hpp"

#include <map>

#include "roles/slurm_roles.hpp"

namespace rqinit {
namespace {

using RolePlanner = Plan (*)(const RoleContext&);

const std::map<std::string, RolePlanner>& roles() {
    static const std::map<std::string, RolePlanner> table = {
        {"mysql", mysql_plan},      {"slurmdbd", slurmdbd_plan}, {"slurmctld", slurmctld_plan},
        {"c", classical_node_plan}, {"q", quantum_node_plan},    {"login", login_plan},
        {"nfs", nfs_plan},
    };
    return table;
}

}  // namespace

std::vector<std::string> known_roles() {
    std::vector<std::string> names;
    for (const auto& [name, planner] : roles()) names.push_back(name);
    return names;
}

std::optional<Plan> plan_for_role(const std::string& role, const RoleContext& context) {
    auto found = roles().find(role);
    if (found == roles().end()) return std::nullopt;
    Plan plan = found->second(context);
    for (auto& service : plan.services) service.origin = "role " + role;
    // Users' sessions and jobs run under every role's rqinit: none may gain a privilege by exec.
    plan.no_new_privs = true;
    return plan;
}

}  // namespace rqinit
