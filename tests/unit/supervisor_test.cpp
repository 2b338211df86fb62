// The supervisor against real short-lived processes, in this test process (which becomes a
// child subreaper). The PID-1 behaviour itself is tested in tests/init.
#include "init/supervisor.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "init/plan_check.hpp"
#include "init/signal_mask.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace rqinit;

namespace {

std::string read_all(const std::string& path) {
    std::stringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
}
ServiceSpec shell_service(const std::string& name, const std::string& script) {
    ServiceSpec s;
    s.name = name;
    s.command = {"/bin/sh", "-c", script};
    s.restart = RestartPolicy::on_failure;
    s.restart_delay = 0.01;
    return s;
}
int run_plan(std::vector<ServiceSpec> services) {
    Plan plan;
    plan.services = std::move(services);
    auto problems = check_plan(plan, "/usr/bin:/bin");  // resolves programs, as main does
    REQUIRE(problems.empty());
    block_signals();
    Supervisor supervisor(std::move(plan), {});
    return supervisor.run();
}
}  // namespace

TEST_CASE("a dependent starts only after its dependency's probe succeeds") {
    TempDir scratch;
    const std::string& dir = scratch.path();
    ServiceSpec a = shell_service(
        "a", "sleep 0.3; echo a-ready >> " + dir + "/log; touch " + dir + "/ready; sleep 0.3");
    a.ready.kind = Probe::Kind::command;
    a.ready.argv = {"/usr/bin/test", "-e", dir + "/ready"};
    a.ready.interval = 0.05;
    ServiceSpec b = shell_service("b", "echo b-started >> " + dir + "/log");
    b.depends_on = {"a"};
    CHECK(run_plan({a, b}) == 0);
    CHECK(read_all(dir + "/log") == "a-ready\nb-started\n");
}

TEST_CASE("a crashing service is restarted, then rqinit gives up with its status") {
    TempDir scratch;
    const std::string& dir = scratch.path();
    ServiceSpec crash = shell_service("crash", "echo start >> " + dir + "/log; exit 7");
    crash.restart_limit = 2;
    CHECK(run_plan({crash}) == 7);
    CHECK(read_all(dir + "/log") == "start\nstart\nstart\n");
}

TEST_CASE("a service that never becomes ready ends startup with exit 4") {
    ServiceSpec slow = shell_service("slow", "sleep 30");
    slow.ready.kind = Probe::Kind::unix_socket;
    slow.ready.address = "/nonexistent.sock";
    slow.start_timeout = 0.3;
    CHECK(run_plan({slow}) == 4);
}

TEST_CASE("a probe that exits 100 ends startup at once, without waiting for the timeout") {
    ServiceSpec refused = shell_service("db-up", "");
    refused.command.clear();  // a wait: only the probe
    refused.ready.kind = Probe::Kind::command;
    refused.ready.argv = {"/bin/sh", "-c", "echo 'ERROR 1045: Access denied'; exit 100"};
    refused.start_timeout = 30;
    double started = monotonic_seconds();
    CHECK(run_plan({refused}) == 4);
    CHECK(monotonic_seconds() - started < 5);
}

TEST_CASE("a oneshot's dependents start only after it has exited 0") {
    TempDir scratch;
    const std::string& dir = scratch.path();
    ServiceSpec setup = shell_service("setup", "sleep 0.3; echo setup-done >> " + dir + "/log");
    setup.oneshot = true;
    setup.restart = RestartPolicy::never;
    ServiceSpec app = shell_service("app", "echo app-started >> " + dir + "/log");
    app.depends_on = {"setup"};
    CHECK(run_plan({setup, app}) == 0);
    CHECK(read_all(dir + "/log") == "setup-done\napp-started\n");
}

TEST_CASE("a oneshot with the default restart policy is done after exit 0, not restarted") {
    TempDir scratch;
    const std::string& dir = scratch.path();
    ServiceSpec setup = shell_service("setup", "echo setup >> " + dir + "/log");
    setup.oneshot = true;
    setup.restart = RestartPolicy::always;  // the default
    ServiceSpec app = shell_service("app", "echo app >> " + dir + "/log");
    app.depends_on = {"setup"};
    CHECK(run_plan({setup, app}) == 0);
    CHECK(read_all(dir + "/log") == "setup\napp\n");
}
