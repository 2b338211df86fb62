#include "roles/role_registry.hpp"

namespace rqinit {

// The Slurm roles (mysql, slurmdbd, slurmctld, c, q, login, nfs) are added with the image.
std::vector<std::string> known_roles() {
    return {};
}

std::optional<Plan> plan_for_role(const std::string& role) {
    (void)role;
    return std::nullopt;
}

}  // namespace rqinit
