// Every built-in role's plan, checked as data: its dependencies resolve with no cycle, and the
// node roles' health asks only the container's own daemons (Docker and Swarm act on health; a
// controller outage must not mark every node unhealthy).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "init/capabilities.hpp"
#include "init/dependency_order.hpp"
#include "init/plan_check.hpp"
#include "init/service_requests.hpp"
#include "reconfigure/command_run.hpp"
#include "roles/role_registry.hpp"
#include "roles/slurm_common.hpp"
#include "temp_dir.hpp"

using namespace rqinit;

namespace {

std::string joined(const std::vector<std::string>& argv) {
    std::string text;
    for (const auto& a : argv) text += (text.empty() ? "" : " ") + a;
    return text;
}

// The health checks that need only daemons of the same container.
const std::set<std::string> kLocalHealthChecks = {
    "/bin/sh -c /usr/bin/munge -n | /usr/bin/unmunge >/dev/null",  // munged round trip
    "/usr/bin/scontrol show slurmd",                               // the local slurmd
};

}  // namespace

TEST_CASE("every role's plan has services, known dependencies and no cycle") {
    REQUIRE(known_roles().size() >= 6);
    for (const auto& role : known_roles()) {
        CAPTURE(role);
        auto plan = plan_for_role(role, {"c1", ""});
        REQUIRE(plan);
        CHECK(!plan->services.empty());
        CHECK_NOTHROW(dependency_order(plan->services));
        for (const auto& spec : plan->services) {
            CAPTURE(spec.name);
            CHECK((!spec.command.empty() || spec.ready.kind != Probe::Kind::none));
            CHECK(spec.origin == "role " + role);
        }
    }
}

TEST_CASE("node roles: each daemon has a health check, and it asks only local daemons") {
    for (const std::string role : {"c", "q", "login"}) {
        CAPTURE(role);
        auto plan = plan_for_role(role, {role == "q" ? "q1" : "c1", ""});
        REQUIRE(plan);
        for (const auto& spec : plan->services) {
            CAPTURE(spec.name);
            if (spec.command.empty() || spec.name == "rejoin" || spec.oneshot) {
                // A wait, rejoin and a setup step look outside the container by nature (the
                // controller); they must not be part of health.
                CHECK(spec.health.kind == Probe::Kind::none);
                continue;
            }
            REQUIRE(spec.health.kind == Probe::Kind::command);
            CHECK(kLocalHealthChecks.count(joined(spec.health.argv)) == 1);
            CHECK(spec.health_retries >= 2);
        }
    }
}

TEST_CASE("node roles interpolate the host name as an argument, never into shell text") {
    auto plan = plan_for_role("c", {"c1; touch /tmp/owned", ""});
    REQUIRE(plan);
    for (const auto& spec : plan->services) {
        for (const auto* argv : {&spec.command, &spec.ready.argv, &spec.after_ready,
                                 &spec.after_stop, &spec.before_stop}) {
            if (argv->size() < 3 || (*argv)[0] != "/bin/sh") continue;
            CAPTURE(spec.name);
            CHECK((*argv)[2].find("owned") == std::string::npos);
        }
    }
}

TEST_CASE("the QRMI config reaches q nodes root-only, and the login node its names alone") {
    auto find = [](const Plan& plan, const std::string& target) -> const FileInstall* {
        for (const auto& file : plan.files)
            if (file.target == target) return &file;
        return nullptr;
    };
    const std::string config = "/etc/slurm/qrmi_config.json";
    const std::string names = "/etc/slurm/qrmi_config.names";
    auto q = *plan_for_role("q", {"q1", ""});
    REQUIRE(find(q, config));
    CHECK(find(q, config)->source == "/run/secrets/qrmi_config");
    CHECK(find(q, config)->owner == "root:root");
    CHECK(find(q, config)->mode == 0400);
    CHECK(find(q, config)->format == "qrmi-config");
    auto login = *plan_for_role("login", {"login", ""});
    CHECK_FALSE(find(login, config));
    REQUIRE(find(login, names));
    CHECK(find(login, names)->mode == 0644);
    CHECK(find(login, names)->format == "qrmi-names");
    for (const char* role : {"c", "slurmctld", "slurmdbd", "mysql"}) {
        CAPTURE(role);
        auto plan = *plan_for_role(role, {"c1", ""});
        CHECK_FALSE(find(plan, config));
        CHECK_FALSE(find(plan, names));
    }
}

TEST_CASE("every role that is given secrets hides them once they are installed") {
    for (const char* role : {"c", "q", "login", "slurmctld", "slurmdbd", "mysql"}) {
        CAPTURE(role);
        auto plan = *plan_for_role(role, {"c1", ""});
        CHECK(plan.hide_after_install == std::vector<std::string>{"/run/secrets"});
    }
}

TEST_CASE("every role runs its services, probes and jobs with no_new_privs") {
    for (const auto& role : known_roles()) {
        CAPTURE(role);
        CHECK(plan_for_role(role, {"c1", ""})->no_new_privs);
    }
}

TEST_CASE("a long-running service keeps root's capabilities only where it needs them") {
    // slurmd starts jobs as their users; ganesha serves every uid's files; rpcbind binds port
    // 111, then becomes its own user by itself. The rest run as their own user, or as root with
    // a named set (the FUSE client's), or none.
    const std::vector<std::string> need_root = {"slurmd", "ganesha", "rpcbind"};
    for (const auto& role : known_roles()) {
        const Plan plan = *plan_for_role(role, {"c1", ""});
        for (const auto& spec : plan.services) {
            if (spec.oneshot || spec.command.empty()) continue;  // waits and mounts, over at once
            CAPTURE(role);
            CAPTURE(spec.name);
            bool full_root = spec.user.empty() && !spec.capabilities;
            CHECK(full_root ==
                  (std::find(need_root.begin(), need_root.end(), spec.name) != need_root.end()));
        }
    }
}

TEST_CASE("a node's declared size reaches slurmd's --conf, after the role's own settings") {
    auto conf_of = [](const Plan& plan) {
        for (const auto& spec : plan.services)
            if (spec.name == "slurmd") return spec.command.back();
        return std::string("no slurmd");
    };
    CHECK(conf_of(*plan_for_role("c", {"c3", ""})) == "Feature=classical CPUs=4 RealMemory=1000");
    CHECK(conf_of(*plan_for_role("q", {"q2", ""})) ==
          "Feature=qpu Gres=qpu:1 CPUs=1 RealMemory=1000");
    CHECK(conf_of(*plan_for_role("c", {"c3", "hardware"})) == "Feature=classical");
    CHECK(conf_of(*plan_for_role("c", {"c3", "cpus=2 RealMemory=500"})) ==
          "Feature=classical CPUs=2 RealMemory=500");
    CHECK(conf_of(*plan_for_role("q", {"q2", "CPUs=1"})) == "Feature=qpu Gres=qpu:1 CPUs=1");
}

TEST_CASE("the controller runs the lost-node watch as the slurm user, after slurmctld") {
    auto plan = *plan_for_role("slurmctld", {"slurmctld", ""});
    auto found = std::find_if(plan.services.begin(), plan.services.end(),
                              [](const ServiceSpec& spec) { return spec.name == "lost-nodes"; });
    REQUIRE(found != plan.services.end());
    CHECK(found->command == std::vector<std::string>{"/usr/sbin/rqinit-lost-nodes"});
    CHECK(found->user == "slurm");
    CHECK(found->depends_on == std::vector<std::string>{"slurmctld"});
}

TEST_CASE("a compute node registers again when the controller no longer knows it") {
    for (const char* role : {"c", "q"}) {
        CAPTURE(role);
        auto plan = *plan_for_role(role, {"c3; touch /tmp/owned", ""});
        auto found = std::find_if(plan.services.begin(), plan.services.end(),
                                  [](const ServiceSpec& spec) { return spec.name == "rejoin"; });
        REQUIRE(found != plan.services.end());
        CHECK(found->depends_on == std::vector<std::string>{"slurmd"});
        // The node's name is an argument of its own, never shell text.
        CHECK(found->command ==
              std::vector<std::string>{"/usr/sbin/rqinit-node", "watch", "c3; touch /tmp/owned"});
        auto slurmd = std::find_if(plan.services.begin(), plan.services.end(),
                                   [](const ServiceSpec& spec) { return spec.name == "slurmd"; });
        REQUIRE(slurmd != plan.services.end());
        CHECK(slurmd->after_stop ==
              std::vector<std::string>{"/usr/sbin/rqinit-node", "leaving", "c3; touch /tmp/owned"});
        CHECK(slurmd->after_ready[2].find("rqinit-node joined \"$1\"") != std::string::npos);
    }
}

TEST_CASE("a wait for a host runs its probe only once the name resolves, with its own status") {
    // A getent of the test's own on PATH: no name is looked up on the network.
    TempDir dir;
    auto make_getent = [&](const char* script) {
        std::ofstream(dir / "getent") << "#!/bin/sh\n" << script << "\n";
        std::filesystem::permissions(dir / "getent", std::filesystem::perms::owner_all);
    };
    auto try_once = [&] {
        ServiceSpec wait =
            slurm::wait_for_host("x-up", "x", {"/bin/sh", "-c", "echo probed; exit 100"}, 10);
        return run_command(wait.ready.argv, {{"PATH", dir.path() + ":/usr/bin:/bin"}}, 10);
    };
    make_getent("exit 2");  // getent's status for a name it cannot find
    CommandRun unresolved = try_once();
    CHECK(unresolved.exit_code == 1);
    CHECK(unresolved.output == "x does not resolve yet\n");
    make_getent("echo '10.0.1.5 x'");
    CommandRun resolved = try_once();
    CHECK(resolved.exit_code == 100);  // the probe's "give up" reaches the wait
    CHECK(resolved.output == "probed\n");
}

TEST_CASE("on a compute node only slurmd keeps CAP_SYS_ADMIN, mounts or not") {
    for (const auto* role : {"c", "q"}) {
        CAPTURE(role);
        auto plan = *plan_for_role(role, {"n1", ""});
        // Resolves the capability names (this host lacks the daemons: their problems are not
        // this test's).
        (void)check_plan(plan, "/usr/sbin:/usr/bin:/sbin:/bin", {});
        const int sys_admin = *capability_from_name("sys_admin");
        REQUIRE(plan.pid1_only_capability_values == std::vector<int>{sys_admin});
        for (const auto& spec : plan.services) {
            CAPTURE(spec.name);
            // What its process, probes and hooks start with (the argv does not matter here).
            const auto dropped = request_for(spec, {"/bin/true"}, plan).drop_from_bounding;
            const bool drops =
                std::find(dropped.begin(), dropped.end(), sys_admin) != dropped.end();
            CHECK(drops == (spec.name != "slurmd"));
        }
    }
}
