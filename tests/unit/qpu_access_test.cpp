#include "spank/qpu_access.hpp"

#include <doctest/doctest.h>

#include <grp.h>

using namespace rqinit::qpu;
using Names = std::vector<std::string>;

TEST_CASE("a QPU without allowed groups is everyone's") {
    CHECK_FALSE(qpu_access_error("qpu_a", {}, {"rasqberry"}));
    CHECK_FALSE(qpu_access_error("qpu_a", {}, {}));
}

TEST_CASE("a member of any one allowed group may use the QPU") {
    CHECK_FALSE(qpu_access_error("qpu_c", {"staff"}, {"rasqberry", "staff"}));
    CHECK_FALSE(qpu_access_error("qpu_c", {"staff", "teachers"}, {"teachers"}));
}

TEST_CASE("anyone else is refused in one line: the QPU, its groups and the user's") {
    CHECK(qpu_access_error("qpu_c", {"staff"}, {"rasqberry", "users"}) ==
          "QPU qpu_c may be used only by members of staff (you are in: rasqberry, users)");
    CHECK(qpu_access_error("qpu_c", {"staff", "teachers"}, {"rasqberry"}) ==
          "QPU qpu_c may be used only by members of staff or teachers (you are in: rasqberry)");
    CHECK(qpu_access_error("qpu_c", {"staff"}, {}) ==
          "QPU qpu_c may be used only by members of staff (you are in: none)");
    // Names are compared whole.
    CHECK(qpu_access_error("qpu_c", {"staff"}, {"staffers", "Staff"}));
}

TEST_CASE("group_names: each group by name, once, in order; an unnamed one by its number") {
    const struct group* root = getgrgid(0);
    REQUIRE(root);
    const std::string root_name = root->gr_name;
    // No group has this number on a test machine.
    const gid_t unnamed = 4000000000u;
    REQUIRE_FALSE(getgrgid(unnamed));
    CHECK(group_names({0, unnamed, 0}) == Names{root_name, "4000000000"});
    CHECK(group_names({}).empty());
}
