#include "init/plan_check.hpp"

#include <stdexcept>

#include "init/capabilities.hpp"
#include "init/dependency_order.hpp"
#include "init/executable_lookup.hpp"

namespace rqinit {
namespace {

constexpr int kConfigError = 3;

// "rqinit.toml:12: services.web.user: " or "role c: services.web.user: ".
std::string where(const ServiceSpec& spec, const std::string& key) {
    auto found = spec.key_origins.find(key);
    const std::string& origin = found != spec.key_origins.end() ? found->second : spec.origin;
    return (origin.empty() ? "" : origin + ": ") + "services." + spec.name + "." + key + ": ";
}

void check_program(const ServiceSpec& spec, const std::string& key,
                   const std::vector<std::string>& argv, const std::string& search_path,
                   std::vector<PlanProblem>& problems) {
    if (argv.empty()) return;
    ExecutableLookup lookup = find_executable(argv[0], search_path);
    if (lookup.exit_code != 0)
        problems.push_back({lookup.exit_code, where(spec, key) + lookup.reason});
}

void check_service(const ServiceSpec& spec, const std::string& search_path,
                   const UserDbPaths& user_db, std::vector<PlanProblem>& problems) {
    if (spec.command.empty() && spec.ready.kind == Probe::Kind::none)
        problems.push_back(
            {kConfigError, where(spec, "command") + "a service needs a command, or a ready probe"});
    check_program(spec, "command", spec.command, search_path, problems);
    check_program(spec, "ready", spec.ready.argv, search_path, problems);
    check_program(spec, "after_ready", spec.after_ready, search_path, problems);
    check_program(spec, "before_stop", spec.before_stop, search_path, problems);
    check_program(spec, "after_stop", spec.after_stop, search_path, problems);
    if (!spec.user.empty()) {
        try {
            resolve_credentials(spec.user, user_db);
        } catch (const std::exception& error) {
            problems.push_back({kConfigError, where(spec, "user") + error.what()});
        }
    }
    if (spec.capabilities) {
        for (const auto& name : *spec.capabilities)
            if (!capability_from_name(name))
                problems.push_back({kConfigError, where(spec, "capabilities") +
                                                      "unknown capability '" + name + "'"});
    }
}

}  // namespace

std::vector<PlanProblem> check_plan(const Plan& plan, const std::string& search_path,
                                    const UserDbPaths& user_db) {
    std::vector<PlanProblem> problems;
    if (plan.services.empty()) problems.push_back({kConfigError, "the plan has no services"});
    try {
        dependency_order(plan.services);
    } catch (const std::exception& error) {
        problems.push_back({kConfigError, error.what()});
    }
    for (const auto& spec : plan.services) check_service(spec, search_path, user_db, problems);
    return problems;
}

}  // namespace rqinit
