#include "roles/role_environment.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <string>

using rqinit::role_environment_errors;

namespace {

rqinit::EnvironmentLookup table(std::map<std::string, std::string> values) {
    return [values = std::move(values)](const char* name) -> const char* {
        auto found = values.find(name);
        return found == values.end() ? nullptr : found->second.c_str();
    };
}

}  // namespace

TEST_CASE("slurmctld: RQINIT_LOST_NODE_GRACE unset or seconds above 0 passes") {
    CHECK(role_environment_errors("slurmctld", table({})).empty());
    CHECK(role_environment_errors("slurmctld", table({{"RQINIT_LOST_NODE_GRACE", "120"}})).empty());
    CHECK(role_environment_errors("slurmctld", table({{"RQINIT_LOST_NODE_GRACE", "2.5"}})).empty());
}

TEST_CASE("slurmctld: a bad RQINIT_LOST_NODE_GRACE is one line naming it, its value and a fix") {
    for (const char* bad : {"", "10s", "0", "-5", "two minutes"}) {
        auto errors =
            role_environment_errors("slurmctld", table({{"RQINIT_LOST_NODE_GRACE", bad}}));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0] == std::string("RQINIT_LOST_NODE_GRACE='") + bad +
                               "': not a number of seconds above 0 (lost-nodes's grace period); "
                               "set it to one, such as 120, or unset it");
    }
}

TEST_CASE("a role whose services do not read the variable ignores it") {
    CHECK(role_environment_errors("c", table({{"RQINIT_LOST_NODE_GRACE", "10s"}})).empty());
}
