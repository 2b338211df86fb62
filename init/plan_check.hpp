// Everything that can be known wrong about a Plan before anything starts: unknown users,
// missing programs, bad capability names, dependency cycles. rqinit refuses to start half a
// plan, so all of it is checked first.
#pragma once

#include <string>
#include <vector>

#include "init/plan.hpp"
#include "init/user_db.hpp"

namespace rqinit {

struct PlanProblem {
    int exit_code;        // 3 configuration, 126/127 executables (docs/reference.md, "Exit codes")
    std::string message;  // one line
};

// Also resolves what it checks, once, into the plan (ServiceSpec::credentials,
// ServiceSpec::capability_values, Plan::programs): the supervisor needs a checked plan.
std::vector<PlanProblem> check_plan(Plan& plan, const std::string& search_path,
                                    const UserDbPaths& user_db = {});

}  // namespace rqinit
