#include "init/dependency_order.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace rqinit;

namespace {
std::vector<ServiceSpec> services(
    std::vector<std::pair<std::string, std::vector<std::string>>> deps) {
    std::vector<ServiceSpec> out;
    for (auto& [name, depends_on] : deps) {
        ServiceSpec s;
        s.name = name;
        s.depends_on = depends_on;
        out.push_back(s);
    }
    return out;
}
std::string names(const std::vector<ServiceSpec>& s, const std::vector<size_t>& order) {
    std::string text;
    for (size_t i : order) text += s[i].name + " ";
    return text;
}
}  // namespace

TEST_CASE("dependencies come before their dependents") {
    auto s = services({{"c", {"b"}}, {"b", {"a"}}, {"a", {}}, {"d", {"a", "c"}}});
    CHECK(names(s, dependency_order(s)) == "a b c d ");
}

TEST_CASE("a cycle is named") {
    auto s = services({{"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}});
    CHECK_THROWS_WITH_AS(dependency_order(s), "dependency cycle: a -> b -> c -> a",
                         std::runtime_error);
}

TEST_CASE("a service that depends on itself is a cycle") {
    auto s = services({{"a", {"a"}}});
    CHECK_THROWS_WITH_AS(dependency_order(s), "dependency cycle: a -> a", std::runtime_error);
}

TEST_CASE("an unknown dependency and a duplicate name are errors") {
    auto s = services({{"a", {"x"}}});
    CHECK_THROWS_WITH_AS(dependency_order(s), "service 'a' depends on 'x', which is not a service",
                         std::runtime_error);
    auto twice = services({{"a", {}}, {"a", {}}});
    CHECK_THROWS_WITH_AS(dependency_order(twice), "service 'a' is declared twice",
                         std::runtime_error);
}
