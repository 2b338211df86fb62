#include "init/config_file.hpp"

#include <doctest/doctest.h>

using namespace rqinit;

TEST_CASE("a full service table becomes a ServiceSpec") {
    auto result = parse_config(R"(
[services.db]
command = ["/usr/sbin/mariadbd", "--user=mysql"]
user = "mysql:mysql"
capabilities = ["CAP_NET_BIND_SERVICE"]
environment = { TZ = "UTC" }
depends_on = ["net"]
restart = "on-failure"
output = "inherit"
start_timeout = 12
stop_signal = "SIGINT"
stop_timeout = 2.5
restart_limit = 3
ready = { tcp = "127.0.0.1:3306", interval = 0.5 }
after_ready = ["/bin/true"]
)",
                               "test.toml");
    REQUIRE(result.errors.empty());
    REQUIRE(result.plan.services.size() == 1);
    const ServiceSpec& db = result.plan.services[0];
    CHECK(db.name == "db");
    CHECK(db.command == std::vector<std::string>{"/usr/sbin/mariadbd", "--user=mysql"});
    CHECK(db.user == "mysql:mysql");
    CHECK(db.capabilities == std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
    CHECK(db.environment.at("TZ") == "UTC");
    CHECK(db.restart == RestartPolicy::on_failure);
    CHECK(db.output == OutputMode::inherit);
    CHECK(db.start_timeout == 12.0);
    CHECK(db.stop_signal == 2);
    CHECK(db.stop_timeout == 2.5);
    CHECK(db.restart_limit == 3);
    CHECK(db.ready.kind == Probe::Kind::tcp);
    CHECK(db.ready.address == "127.0.0.1:3306");
    CHECK(db.ready.interval == 0.5);
    CHECK(db.after_ready == std::vector<std::string>{"/bin/true"});
    CHECK(db.key_origins.at("user") == "test.toml:4");
}

TEST_CASE("defaults apply when keys are absent") {
    auto result = parse_config("[services.a]\ncommand = [\"/bin/true\"]\n", "t.toml");
    REQUIRE(result.errors.empty());
    const ServiceSpec& a = result.plan.services[0];
    CHECK(a.restart == RestartPolicy::always);
    CHECK(a.output == OutputMode::prefix);
    CHECK(!a.capabilities.has_value());
    CHECK(a.ready.kind == Probe::Kind::none);
    CHECK(a.stop_signal == 15);
}

TEST_CASE("a syntax error names the file and line") {
    auto result = parse_config("[services.a]\ncommand = [\"/bin/true\"\n", "bad.toml");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].rfind("bad.toml:", 0) == 0);
}

TEST_CASE("an unknown key names its line and the key") {
    auto result = parse_config("[services.a]\ncommand = [\"/bin/true\"]\ncomand = []\n", "t.toml");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].find("t.toml:3: services.a.comand: unknown key") == 0);
}

TEST_CASE("wrong types and values are each reported") {
    auto result = parse_config(R"([services.a]
command = "/bin/true"
restart = "sometimes"
stop_timeout = -1
stop_signal = "SIGNOPE"
ready = { tcp = "x:1", unix = "/y" }
[other]
)",
                               "t.toml");
    std::string all;
    for (const auto& e : result.errors) all += e + "\n";
    CHECK(all.find("t.toml:2: services.a.command: expected an array of strings") !=
          std::string::npos);
    CHECK(all.find("t.toml:3: services.a.restart: 'sometimes' is not one of") != std::string::npos);
    CHECK(all.find("t.toml:4: services.a.stop_timeout: expected a number of seconds") !=
          std::string::npos);
    CHECK(all.find("t.toml:5: services.a.stop_signal: unknown signal 'SIGNOPE'") !=
          std::string::npos);
    CHECK(all.find("services.a.ready: give exactly one of tcp, unix or command") !=
          std::string::npos);
    CHECK(all.find("t.toml:7: other: unknown key") != std::string::npos);
}

TEST_CASE("a missing file is one error naming it") {
    auto result = load_config_file("/nonexistent/rqinit.toml");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].find("/nonexistent/rqinit.toml") == 0);
}

TEST_CASE("[[mounts]]: url, target, client and timeout; each bad key named with its line") {
    auto good = parse_config(R"(
[[mounts]]
url = "nfs://nfs/shared"
target = "/shared"
client = "fuse"
timeout = 20

[services.a]
command = ["/bin/true"]
)",
                             "m.toml");
    REQUIRE(good.errors.empty());
    REQUIRE(good.plan.mounts.size() == 1);
    CHECK(good.plan.mounts[0].url == "nfs://nfs/shared");
    CHECK(good.plan.mounts[0].target == "/shared");
    CHECK(good.plan.mounts[0].client == MountSpec::Client::fuse);
    CHECK(good.plan.mounts[0].timeout == 20);
    CHECK(good.plan.mounts[0].origin == "m.toml:2: mounts");

    auto bad = parse_config(R"(
[[mounts]]
url = "nfs://nfs/shared"
target = "shared"
client = "nfs"
timeout = -1
options = "ro"
)",
                            "m.toml");
    std::string all;
    for (const auto& e : bad.errors) all += e + "\n";
    CAPTURE(all);
    CHECK(bad.errors.size() == 4);
    CHECK(all.find("m.toml:2: mounts.options: unknown key") != std::string::npos);
    CHECK(all.find("m.toml:2: mounts.target: an absolute path") != std::string::npos);
    CHECK(all.find("m.toml:2: mounts.client: 'nfs' is not auto, kernel or fuse") !=
          std::string::npos);
    CHECK(all.find("m.toml:2: mounts.timeout: expected a positive") != std::string::npos);
}
