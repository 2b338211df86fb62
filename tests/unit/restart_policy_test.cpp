#include "init/restart_policy.hpp"

#include <doctest/doctest.h>

using namespace rqinit;
using Action = RestartDecision::Action;

TEST_CASE("delays double up to the maximum, then the limit gives up") {
    ServiceSpec spec;
    spec.restart_delay = 0.1;
    spec.restart_delay_max = 0.3;
    spec.restart_limit = 3;
    spec.restart_window = 60;
    RestartHistory history;
    auto first = decide_restart(spec, 1, 100.0, history);
    auto second = decide_restart(spec, 1, 100.5, history);
    auto third = decide_restart(spec, 1, 101.0, history);
    auto fourth = decide_restart(spec, 1, 101.5, history);
    CHECK(first.action == Action::restart);
    CHECK(first.delay == doctest::Approx(0.1));
    CHECK(second.delay == doctest::Approx(0.2));
    CHECK(third.delay == doctest::Approx(0.3));
    CHECK(fourth.action == Action::give_up);
    CHECK(fourth.reason.find("restarted 3 times") != std::string::npos);
}

TEST_CASE("restarts outside the window are forgotten") {
    ServiceSpec spec;
    spec.restart_limit = 1;
    spec.restart_window = 10;
    RestartHistory history;
    CHECK(decide_restart(spec, 1, 0.0, history).action == Action::restart);
    CHECK(decide_restart(spec, 1, 5.0, history).action == Action::give_up);
    CHECK(decide_restart(spec, 1, 20.0, history).action == Action::restart);
}

TEST_CASE("policies: never, on-failure, always") {
    ServiceSpec spec;
    RestartHistory history;
    spec.restart = RestartPolicy::never;
    CHECK(decide_restart(spec, 0, 0, history).action == Action::done);
    CHECK(decide_restart(spec, 2, 0, history).action == Action::give_up);
    spec.restart = RestartPolicy::on_failure;
    CHECK(decide_restart(spec, 0, 0, history).action == Action::done);
    CHECK(decide_restart(spec, 143, 0, history).action == Action::restart);
    spec.restart = RestartPolicy::always;
    CHECK(decide_restart(spec, 0, 0, history).action == Action::restart);
}

TEST_CASE("the window's edge: a restart exactly restart_window ago still counts") {
    ServiceSpec spec;
    spec.restart_limit = 1;
    spec.restart_window = 10;
    RestartHistory history;
    REQUIRE(decide_restart(spec, 1, 100.0, history).action == Action::restart);
    RestartHistory at_edge = history;
    CHECK(decide_restart(spec, 1, 110.0, at_edge).action == Action::give_up);
    RestartHistory past_edge = history;
    CHECK(decide_restart(spec, 1, 110.25, past_edge).action == Action::restart);
}
