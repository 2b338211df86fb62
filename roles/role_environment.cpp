#include "roles/role_environment.hpp"

#include "init/seconds_text.hpp"

namespace rqinit {

namespace {

struct SecondsVariable {
    const char* role;  // the role whose service reads it
    const char* name;
    const char* reader;  // the service, for the message
};

// slurmctld's lost-nodes reads its grace period from the environment (rqinit-lost-nodes --grace).
constexpr SecondsVariable kSecondsVariables[] = {
    {"slurmctld", "RQINIT_LOST_NODE_GRACE", "lost-nodes"},
};

}  // namespace

std::vector<std::string> role_environment_errors(const std::string& role,
                                                 const EnvironmentLookup& lookup) {
    std::vector<std::string> errors;
    for (const auto& variable : kSecondsVariables) {
        if (role != variable.role) continue;
        const char* value = lookup(variable.name);
        if (value == nullptr || seconds_of(value)) continue;  // unset: the service's default
        errors.push_back(std::string(variable.name) + "='" + value +
                         "': not a number of seconds above 0 (" + variable.reader +
                         "'s grace period); set it to one, such as 120, or unset it");
    }
    return errors;
}

}  // namespace rqinit
