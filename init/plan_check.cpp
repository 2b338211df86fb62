#include "init/plan_check.hpp"

#include <stdexcept>

#include "init/capabilities.hpp"
#include "init/dependency_order.hpp"
#include "init/executable_lookup.hpp"
#include "init/exit_codes.hpp"

namespace rqinit {
namespace {

constexpr int kConfigError = exit_code::kConfig;

// "rqinit.toml:12: services.web.user: " or "role c: services.web.user: ".
std::string where(const ServiceSpec& spec, const std::string& key) {
    auto found = spec.key_origins.find(key);
    const std::string& origin = found != spec.key_origins.end() ? found->second : spec.origin;
    return (origin.empty() ? "" : origin + ": ") + "services." + spec.name + "." + key + ": ";
}

void check_program(const ServiceSpec& spec, const std::string& key,
                   const std::vector<std::string>& argv, const std::string& search_path, Plan& plan,
                   std::vector<PlanProblem>& problems) {
    if (argv.empty()) return;
    ExecutableLookup lookup = find_executable(argv[0], search_path);
    if (lookup.exit_code != 0)
        return problems.push_back({lookup.exit_code, where(spec, key) + lookup.reason});
    plan.programs[argv[0]] = lookup.path;
}

void check_service(ServiceSpec& spec, const std::string& search_path, const UserDbPaths& user_db,
                   Plan& plan, std::vector<PlanProblem>& problems) {
    if (spec.command.empty() && spec.ready.kind == Probe::Kind::none)
        problems.push_back(
            {kConfigError, where(spec, "command") + "a service needs a command, or a ready probe"});
    check_program(spec, "command", spec.command, search_path, plan, problems);
    check_program(spec, "ready", spec.ready.argv, search_path, plan, problems);
    check_program(spec, "health", spec.health.argv, search_path, plan, problems);
    check_program(spec, "after_ready", spec.after_ready, search_path, plan, problems);
    check_program(spec, "before_stop", spec.before_stop, search_path, plan, problems);
    check_program(spec, "after_stop", spec.after_stop, search_path, plan, problems);
    if (!spec.user.empty()) {
        try {
            spec.credentials = resolve_credentials(spec.user, user_db);
        } catch (const std::exception& error) {
            problems.push_back({kConfigError, where(spec, "user") + error.what()});
        }
    }
    spec.kept_pid1_capability_values.clear();
    for (const auto& name : spec.keeps_pid1_capabilities) {
        if (auto value = capability_from_name(name))
            spec.kept_pid1_capability_values.push_back(*value);
        else
            problems.push_back({kConfigError, where(spec, "keeps_pid1_capabilities") +
                                                  "unknown capability '" + name + "'"});
    }
    if (spec.capabilities) {
        spec.capability_values.emplace();
        for (const auto& name : *spec.capabilities) {
            if (auto value = capability_from_name(name))
                spec.capability_values->push_back(*value);
            else
                problems.push_back({kConfigError, where(spec, "capabilities") +
                                                      "unknown capability '" + name + "'"});
        }
    }
}

}  // namespace

std::vector<PlanProblem> check_plan(Plan& plan, const std::string& search_path,
                                    const UserDbPaths& user_db) {
    std::vector<PlanProblem> problems;
    if (plan.services.empty()) problems.push_back({kConfigError, "the plan has no services"});
    try {
        dependency_order(plan.services);
    } catch (const std::exception& error) {
        problems.push_back({kConfigError, error.what()});
    }
    for (auto& spec : plan.services) check_service(spec, search_path, user_db, plan, problems);
    plan.pid1_only_capability_values.clear();
    for (const auto& name : plan.pid1_only_capabilities) {
        if (auto value = capability_from_name(name))
            plan.pid1_only_capability_values.push_back(*value);
        else
            problems.push_back({kConfigError, "pid1-only capability: unknown '" + name + "'"});
    }
    return problems;
}

}  // namespace rqinit
