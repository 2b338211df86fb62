// The service table, cell by cell: each (state, event) with the next state and the actions,
// for oneshot and long-running services and each restart policy. No process, fd or clock.
#include "init/service_transitions.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace rqinit;
using S = ServiceState;
using A = ActionKind;
using E = EventKind;

namespace {

ServiceSpec daemon_spec() {
    ServiceSpec spec;
    spec.name = "d";
    spec.command = {"/bin/d"};
    spec.ready.kind = Probe::Kind::tcp;
    spec.ready.address = "127.0.0.1:1";
    spec.ready.interval = 0.2;
    spec.start_timeout = 30;
    spec.stop_timeout = 7;
    spec.restart_delay = 0.5;
    return spec;
}

ServiceSpec oneshot_spec() {
    ServiceSpec spec;
    spec.name = "setup";
    spec.command = {"/bin/setup"};
    spec.oneshot = true;  // restart keeps its default: always
    return spec;
}

ServiceSpec wait_spec() {
    ServiceSpec spec = daemon_spec();
    spec.command.clear();
    return spec;
}

std::vector<A> kinds(const std::vector<Action>& actions) {
    std::vector<A> out;
    for (const auto& a : actions)
        if (a.kind != A::log) out.push_back(a.kind);
    return out;
}

bool has(const std::vector<Action>& actions, A kind) {
    return std::any_of(actions.begin(), actions.end(),
                       [kind](const Action& a) { return a.kind == kind; });
}

const Action* find(const std::vector<Action>& actions, A kind) {
    for (const auto& a : actions)
        if (a.kind == kind) return &a;
    return nullptr;
}

std::string logs(const std::vector<Action>& actions) {
    std::string text;
    for (const auto& a : actions)
        if (a.kind == A::log) text += a.text + "\n";
    return text;
}

struct Cell {
    ServiceSpec spec;
    ServiceRecord record;
    StepContext context;
    std::vector<Action> actions;

    Cell(ServiceSpec s, ServiceState state, bool running = false) : spec(std::move(s)) {
        record.state = state;
        record.running = running;
    }
    Cell& on(Event event) {
        actions = step(spec, context, record, event);
        return *this;
    }
    Cell& on(EventKind kind, double now = 10) { return on(make_event(kind, now)); }
};

}  // namespace

TEST_CASE("waiting: dependencies ready spawns, with the start deadline") {
    Cell c(daemon_spec(), S::waiting);
    c.on(E::dependencies_ready, 5);
    CHECK(c.record.state == S::starting);
    CHECK(c.record.started_at == 5);
    CHECK(kinds(c.actions) == std::vector<A>{A::arm_deadline, A::spawn});
    CHECK(find(c.actions, A::arm_deadline)->seconds == 30);
}

TEST_CASE("waiting: a wait (no command) probes at once instead of spawning") {
    Cell c(wait_spec(), S::waiting);
    c.on(E::dependencies_ready);
    CHECK(c.record.state == S::starting);
    CHECK(kinds(c.actions) == std::vector<A>{A::arm_deadline, A::start_probe});
}

TEST_CASE("waiting: start_timeout 0 means no deadline") {
    ServiceSpec spec = daemon_spec();
    spec.start_timeout = 0;
    Cell c(spec, S::waiting);
    c.on(E::dependencies_ready);
    CHECK(kinds(c.actions) == std::vector<A>{A::clear_deadline, A::spawn});
}

TEST_CASE("waiting: a stop request stops it without a signal") {
    Cell c(daemon_spec(), S::waiting);
    c.on(E::stop_requested);
    CHECK(c.record.state == S::stopped);
    CHECK(!has(c.actions, A::send_stop_signal));
}

TEST_CASE("waiting: events that cannot happen there change nothing") {
    for (E kind : {E::spawned, E::probe_passed, E::probe_failed, E::probe_never, E::hook_finished,
                   E::deadline}) {
        Cell c(daemon_spec(), S::waiting);
        c.on(kind);
        CHECK(c.record.state == S::waiting);
        CHECK(c.actions.empty());
    }
}

TEST_CASE("starting: spawned starts the ready probe") {
    Cell c(daemon_spec(), S::starting);
    c.on(E::spawned);
    CHECK(c.record.running);
    CHECK(c.record.state == S::starting);
    CHECK(kinds(c.actions) == std::vector<A>{A::start_probe});
}

TEST_CASE("starting: spawned with no probe and no after_ready is ready at once") {
    ServiceSpec spec = daemon_spec();
    spec.ready = {};
    Cell c(spec, S::starting);
    c.on(E::spawned);
    CHECK(c.record.state == S::ready);
}

TEST_CASE("starting: spawned with no probe but after_ready runs the hook first") {
    ServiceSpec spec = daemon_spec();
    spec.ready = {};
    spec.after_ready = {"/bin/hook"};
    Cell c(spec, S::starting);
    c.on(E::spawned);
    CHECK(c.record.state == S::after_ready);
    REQUIRE(find(c.actions, A::run_hook));
    CHECK(find(c.actions, A::run_hook)->hook == HookKind::after_ready);
}

TEST_CASE("starting: a oneshot is not probed; it waits for its exit") {
    Cell c(oneshot_spec(), S::starting);
    c.on(E::spawned);
    CHECK(c.record.state == S::starting);
    CHECK(c.actions.empty());
}

TEST_CASE("starting: probe passed makes it ready and schedules health checks") {
    ServiceSpec spec = daemon_spec();
    spec.health.kind = Probe::Kind::tcp;
    spec.health.interval = 5;
    Cell c(spec, S::starting, true);
    c.record.started_at = 8;
    c.record.health_failures = 2;
    c.on(E::probe_passed, 10);
    CHECK(c.record.state == S::ready);
    CHECK(c.record.health_failures == 0);
    CHECK(kinds(c.actions) == std::vector<A>{A::clear_deadline, A::schedule_probe});
    CHECK(find(c.actions, A::schedule_probe)->seconds == 5);
    CHECK(logs(c.actions).find("d is ready (2.00 s after start)") != std::string::npos);
}

TEST_CASE("starting: probe passed with after_ready runs the hook, not ready yet") {
    ServiceSpec spec = daemon_spec();
    spec.after_ready = {"/bin/hook"};
    Cell c(spec, S::starting, true);
    c.on(E::probe_passed);
    CHECK(c.record.state == S::after_ready);
    CHECK(kinds(c.actions) == std::vector<A>{A::run_hook});
}

TEST_CASE("starting: probe failed tries again after the ready interval") {
    Cell c(daemon_spec(), S::starting, true);
    c.on(E::probe_failed);
    CHECK(c.record.state == S::starting);
    CHECK(kinds(c.actions) == std::vector<A>{A::schedule_probe});
    CHECK(find(c.actions, A::schedule_probe)->seconds == doctest::Approx(0.2));
}

TEST_CASE("starting: a probe that says never shuts down with exit 4 at once") {
    Cell c(daemon_spec(), S::starting, true);
    c.on(make_event(E::probe_never, 10, "Access denied"));
    const Action* down = find(c.actions, A::shut_down);
    REQUIRE(down);
    CHECK(down->code == 4);
    CHECK(logs(c.actions).find("Access denied") != std::string::npos);
}

TEST_CASE("starting: the start deadline shuts down with exit 4, naming the last failure") {
    Cell c(daemon_spec(), S::starting, true);
    c.on(make_event(E::deadline, 40, "connection refused"));
    REQUIRE(find(c.actions, A::shut_down));
    CHECK(find(c.actions, A::shut_down)->code == 4);
    CHECK(logs(c.actions).find("within 30 s") != std::string::npos);
    CHECK(logs(c.actions).find("connection refused") != std::string::npos);
}

TEST_CASE("starting: a stop request signals the process and arms the stop deadline") {
    Cell c(daemon_spec(), S::starting, true);
    c.on(E::stop_requested);
    CHECK(c.record.state == S::stopping);
    CHECK(kinds(c.actions) ==
          std::vector<A>{A::cancel_probe, A::clear_deadline, A::send_stop_signal, A::arm_deadline});
    CHECK(find(c.actions, A::arm_deadline)->seconds == 7);
}

TEST_CASE("starting: a stop request on a wait stops it, there is nothing to signal") {
    Cell c(wait_spec(), S::starting);
    c.on(E::stop_requested);
    CHECK(c.record.state == S::stopped);
    CHECK(!has(c.actions, A::send_stop_signal));
}

TEST_CASE("after_ready: the hook's success makes it ready; its failure probes again") {
    ServiceSpec spec = daemon_spec();
    spec.after_ready = {"/bin/hook"};
    Cell ok(spec, S::after_ready, true);
    ok.on(hook_event(10, true, "exit status 0"));
    CHECK(ok.record.state == S::ready);

    Cell bad(spec, S::after_ready, true);
    bad.on(hook_event(10, false, "exit status 1"));
    CHECK(bad.record.state == S::starting);
    CHECK(kinds(bad.actions) == std::vector<A>{A::schedule_probe});
    CHECK(logs(bad.actions).find("after_ready failed (exit status 1)") != std::string::npos);
}

TEST_CASE("after_ready: the start deadline still holds") {
    ServiceSpec spec = daemon_spec();
    spec.after_ready = {"/bin/hook"};
    Cell c(spec, S::after_ready, true);
    c.on(E::deadline);
    CHECK(find(c.actions, A::shut_down)->code == 4);
}

TEST_CASE("oneshot: exit 0 is done whatever the restart policy") {
    for (RestartPolicy policy :
         {RestartPolicy::always, RestartPolicy::on_failure, RestartPolicy::never}) {
        ServiceSpec spec = oneshot_spec();
        spec.restart = policy;
        Cell c(spec, S::starting, true);
        c.on(exit_event(10, 0, "exit status 0"));
        CHECK(c.record.state == S::done);
        CHECK(!c.record.running);
        CHECK(!has(c.actions, A::shut_down));
        CHECK(c.record.restarts == 0);
    }
}

TEST_CASE("oneshot: a failure follows the restart policy") {
    ServiceSpec spec = oneshot_spec();
    Cell again(spec, S::starting, true);
    again.on(exit_event(10, 2, "exit status 2"));
    CHECK(again.record.state == S::backoff);

    spec.restart = RestartPolicy::never;
    Cell never(spec, S::starting, true);
    never.on(exit_event(10, 2, "exit status 2"));
    CHECK(never.record.state == S::failed);
    CHECK(find(never.actions, A::shut_down)->code == 2);
}

TEST_CASE("ready: exit with restart always goes to backoff with the restart delay") {
    Cell c(daemon_spec(), S::ready, true);
    c.on(exit_event(10, 0, "exit status 0"));
    CHECK(c.record.state == S::backoff);
    CHECK(c.record.restarts == 1);
    CHECK(kinds(c.actions) == std::vector<A>{A::cancel_probe, A::clear_deadline, A::arm_deadline});
    CHECK(find(c.actions, A::arm_deadline)->seconds == doctest::Approx(0.5));
}

TEST_CASE("ready: on-failure is done after exit 0, restarts after a failure") {
    ServiceSpec spec = daemon_spec();
    spec.restart = RestartPolicy::on_failure;
    Cell ok(spec, S::ready, true);
    ok.on(exit_event(10, 0, "exit status 0"));
    CHECK(ok.record.state == S::done);
    Cell bad(spec, S::ready, true);
    bad.on(exit_event(10, 3, "exit status 3"));
    CHECK(bad.record.state == S::backoff);
}

TEST_CASE("ready: never fails the plan with the service's status, 1 for a status of 0") {
    ServiceSpec spec = daemon_spec();
    spec.restart = RestartPolicy::never;
    Cell bad(spec, S::ready, true);
    bad.on(exit_event(10, 137, "killed by SIGKILL (137)"));
    CHECK(bad.record.state == S::failed);
    CHECK(find(bad.actions, A::shut_down)->code == 137);
    Cell ok(spec, S::ready, true);
    ok.on(exit_event(10, 0, "exit status 0"));
    CHECK(ok.record.state == S::done);  // never + exit 0: finished, not failed
}

TEST_CASE("ready: past the restart limit it gives up with the service's status") {
    ServiceSpec spec = daemon_spec();
    spec.restart_limit = 2;
    Cell c(spec, S::ready, true);
    c.record.history = {9.0, 9.5};
    c.on(exit_event(10, 0, "exit status 0"));
    CHECK(c.record.state == S::failed);
    CHECK(find(c.actions, A::shut_down)->code == 1);
}

TEST_CASE("ready: an exit during the shutdown is a stop, never a restart") {
    Cell c(daemon_spec(), S::ready, true);
    Event e = exit_event(10, 1, "exit status 1");
    e.shutting_down = true;
    c.on(e);
    CHECK(c.record.state == S::stopped);
    CHECK(!has(c.actions, A::arm_deadline));
}

TEST_CASE("ready: the single command's exit ends rqinit with its status") {
    Cell c(daemon_spec(), S::ready, true);
    c.context.single_command = true;
    c.on(exit_event(10, 42, "exit status 42"));
    CHECK(c.record.state == S::failed);
    CHECK(find(c.actions, A::shut_down)->code == 42);
}

TEST_CASE("ready: health failures count in a row; unhealthy only at health_retries") {
    ServiceSpec spec = daemon_spec();
    spec.health.kind = Probe::Kind::tcp;
    spec.health.interval = 5;
    spec.health_retries = 3;
    Cell c(spec, S::ready, true);
    c.on(E::probe_failed);
    CHECK(c.record.health_failures == 1);
    CHECK(logs(c.actions).empty());
    CHECK(find(c.actions, A::schedule_probe)->seconds == 5);
    c.on(E::probe_failed);
    CHECK(logs(c.actions).empty());
    c.on(E::probe_failed);
    CHECK(c.record.health_failures == 3);
    CHECK(logs(c.actions).find("failed its health check 3 times in a row") != std::string::npos);
    c.on(E::probe_passed);
    CHECK(c.record.health_failures == 0);
    CHECK(logs(c.actions).find("healthy again") != std::string::npos);
    CHECK(c.record.state == S::ready);  // health never restarts a service
}

TEST_CASE("ready: a stop request runs before_stop first when there is one") {
    ServiceSpec spec = daemon_spec();
    spec.before_stop = {"/bin/pre"};
    Cell c(spec, S::ready, true);
    c.on(E::stop_requested);
    CHECK(c.record.state == S::before_stop);
    CHECK(find(c.actions, A::run_hook)->hook == HookKind::before_stop);
    CHECK(!has(c.actions, A::send_stop_signal));
}

TEST_CASE("backoff: the deadline restarts it; during the shutdown it does not") {
    Cell c(daemon_spec(), S::backoff);
    c.on(E::deadline, 12);
    CHECK(c.record.state == S::starting);
    CHECK(c.record.started_at == 12);
    CHECK(has(c.actions, A::spawn));

    Cell s(daemon_spec(), S::backoff);
    Event e = make_event(E::deadline, 12);
    e.shutting_down = true;
    s.on(e);
    CHECK(s.record.state == S::backoff);
    CHECK(!has(s.actions, A::spawn));
    s.on(E::stop_requested);
    CHECK(s.record.state == S::stopped);
}

TEST_CASE("before_stop: the hook's end sends the stop signal; failed or not") {
    ServiceSpec spec = daemon_spec();
    spec.before_stop = {"/bin/pre"};
    for (bool ok : {true, false}) {
        Cell c(spec, S::before_stop, true);
        c.on(hook_event(10, ok, ok ? "exit status 0" : "exit status 1"));
        CHECK(c.record.state == S::stopping);
        CHECK(has(c.actions, A::send_stop_signal));
    }
}

TEST_CASE("before_stop: a process that ended meanwhile finishes the stop at the hook's end") {
    ServiceSpec spec = daemon_spec();
    spec.before_stop = {"/bin/pre"};
    Cell c(spec, S::before_stop, true);
    c.on(exit_event(10, 0, "exit status 0"));
    CHECK(c.record.state == S::before_stop);
    CHECK(!c.record.running);
    c.on(hook_event(11, true, "exit status 0"));
    CHECK(c.record.state == S::stopped);
    CHECK(has(c.actions, A::kill_group));
    CHECK(!has(c.actions, A::send_stop_signal));
}

TEST_CASE("stopping: exit kills what is left of its process group") {
    Cell c(daemon_spec(), S::stopping, true);
    c.on(exit_event(10, 143, "killed by SIGTERM (143)"));
    CHECK(c.record.state == S::stopped);
    CHECK(kinds(c.actions) == std::vector<A>{A::clear_deadline, A::kill_group});
}

TEST_CASE("stopping: exit with after_stop runs the hook, then it is stopped") {
    ServiceSpec spec = daemon_spec();
    spec.after_stop = {"/bin/post"};
    Cell c(spec, S::stopping, true);
    c.on(exit_event(10, 0, "exit status 0"));
    CHECK(c.record.state == S::after_stop);
    CHECK(find(c.actions, A::run_hook)->hook == HookKind::after_stop);
    c.on(hook_event(11, false, "killed by SIGKILL (137)"));
    CHECK(c.record.state == S::stopped);
}

TEST_CASE("stopping: the stop deadline sends SIGKILL to the group") {
    Cell c(daemon_spec(), S::stopping, true);
    c.on(E::deadline);
    CHECK(c.record.state == S::stopping);
    CHECK(kinds(c.actions) == std::vector<A>{A::clear_deadline, A::kill_group});
    CHECK(logs(c.actions).find("did not stop within 7 s of SIGTERM") != std::string::npos);
}

TEST_CASE("stopping: a second stop request changes nothing") {
    Cell c(daemon_spec(), S::stopping, true);
    c.on(E::stop_requested);
    CHECK(c.actions.empty());
    CHECK(c.record.state == S::stopping);
}

TEST_CASE("terminal states take no event") {
    for (S state : {S::stopped, S::done, S::failed}) {
        for (E kind :
             {E::dependencies_ready, E::spawned, E::exited, E::probe_passed, E::probe_failed,
              E::probe_never, E::hook_finished, E::deadline, E::stop_requested}) {
            Cell c(daemon_spec(), state);
            c.on(kind);
            CHECK(c.record.state == state);
            CHECK(c.actions.empty());
        }
        CHECK(is_terminal(state));
    }
    for (S state : {S::waiting, S::starting, S::after_ready, S::ready, S::backoff, S::before_stop,
                    S::stopping, S::after_stop})
        CHECK(!is_terminal(state));
}

TEST_CASE("state names are what rqinit status prints") {
    CHECK(std::string(state_name(S::done)) == "done");
    CHECK(std::string(state_name(S::before_stop)) == "before_stop");
    CHECK(std::string(state_name(S::backoff)) == "backoff");
}

// A service that provides a mount (a FUSE server, a kernel mount's oneshot): the mount goes
// before its stop signal, after every user of it has stopped (the reverse order's job).
namespace {
ServiceSpec mount_spec() {
    ServiceSpec spec = daemon_spec();
    spec.mount_point = "/shared";
    spec.fuse_device = true;
    return spec;
}
}  // namespace

TEST_CASE("mount: a stop request cancels the probe, unmounts, then signals") {
    Cell c(mount_spec(), S::ready, true);
    c.on(E::stop_requested);
    CHECK(c.record.state == S::stopping);
    CHECK(kinds(c.actions) == std::vector<A>{A::cancel_probe, A::clear_deadline, A::unmount,
                                             A::send_stop_signal, A::arm_deadline});
}

TEST_CASE("mount: a crashed server waiting for its restart still unmounts on stop") {
    Cell c(mount_spec(), S::backoff);
    c.on(E::stop_requested);
    CHECK(c.record.state == S::stopped);
    CHECK(has(c.actions, A::unmount));
}

TEST_CASE("mount: a oneshot that mounted stays done and unmounts on stop") {
    ServiceSpec spec = mount_spec();
    spec.oneshot = true;
    spec.fuse_device = false;
    Cell c(spec, S::done);
    c.on(E::stop_requested);
    CHECK(c.record.state == S::done);
    CHECK(kinds(c.actions) == std::vector<A>{A::unmount});
}

TEST_CASE("mount: a service without a mount point never unmounts") {
    for (S state : {S::ready, S::backoff, S::done, S::waiting}) {
        Cell c(daemon_spec(), state, state == S::ready);
        c.on(E::stop_requested);
        CHECK(!has(c.actions, A::unmount));
    }
}
