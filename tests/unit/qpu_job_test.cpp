#include "spank/qpu_job.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "tests/unit/temp_dir.hpp"

using namespace rqinit::qpu;

namespace {

class FakeEnvironment : public JobEnvironment {
  public:
    std::map<std::string, std::string> values;
    std::vector<std::string> order;  // keys in the order they were first set
    std::optional<std::string> get(const std::string& key) const override {
        auto found = values.find(key);
        if (found == values.end()) return std::nullopt;
        return found->second;
    }
    std::vector<std::pair<std::string, std::string>> starting_with(
        const std::string& prefix) const override {
        std::vector<std::pair<std::string, std::string>> found;
        for (const auto& [key, value] : values)
            if (key.rfind(prefix, 0) == 0) found.emplace_back(key, value);
        return found;
    }
    void set(const std::string& key, const std::string& value, bool overwrite) override {
        if (!values.count(key)) order.push_back(key);
        if (overwrite || !values.count(key)) values[key] = value;
    }
};

class FakeQrmi : public QrmiAccess {
  public:
    bool present = true;
    std::string offline;             // this QPU is not accessible
    std::vector<std::string> calls;  // "acquire A", "release A token-A-1"
    std::vector<QpuResource> seen;   // what acquire was given
    std::string release_problem;
    bool loaded() const override { return present; }
    std::optional<std::string> acquire(const QpuResource& resource, const std::string&,
                                       std::string& error) override {
        seen.push_back(resource);
        calls.push_back("acquire " + resource.name);
        if (resource.name == offline) {
            error = "offline";
            return std::nullopt;
        }
        return "token-" + resource.name + "-" + std::to_string(calls.size());
    }
    std::string release(const QpuResource& resource, const std::string&,
                        const std::string& token) override {
        calls.push_back("release " + resource.name + " " + token);
        return release_problem;
    }
};

struct Fixture {
    TempDir scratch;
    std::string config_path = scratch / "qrmi_config.json";
    PluginArguments arguments{config_path, {}, ""};
    FakeEnvironment environment;
    FakeQrmi qrmi;
    JobIdentity job{1000, 42, {"rasqberry", "users"}};
    Fixture() {
        std::ofstream(config_path) << R"({"resources": [
            {"name": "A", "type": "ibm-quantum-system",
             "environment": {"QRMI_URL": "https://a", "QRMI_APIKEY": "secret-a"}},
            {"name": "B", "type": "pasqal-cloud", "environment": {"QRMI_TOKEN": "secret-b"}},
            {"name": "C", "type": "iqm-server"},
            {"name": "D", "type": "iqm-server", "allowed_groups": ["staff", "teachers"],
             "environment": {"QRMI_URL": "https://d", "QRMI_APIKEY": "secret-d"}}]})";
    }
    PreparedJob prepare(std::vector<std::string> names) {
        return prepare_qpu_job(arguments, names, job, environment, qrmi);
    }
};

}  // namespace

TEST_CASE("--qpu=B,A: the contract's variables, configured values, lists in the job's order") {
    Fixture f;
    auto prepared = f.prepare({"B", "A"});
    CHECK(prepared.error.empty());
    CHECK(prepared.notice.empty());
    CHECK(f.qrmi.calls == std::vector<std::string>{"acquire B", "acquire A"});
    CHECK(f.environment.values == std::map<std::string, std::string>{
                                      {"QRMI_JOB_UID", "1000"},
                                      {"QRMI_JOB_ID", "42"},
                                      {"RUST_LOG", "info"},
                                      {"B_QRMI_TOKEN", "secret-b"},
                                      {"B_QRMI_JOB_ACQUISITION_TOKEN", "token-B-1"},
                                      {"A_QRMI_URL", "https://a"},
                                      {"A_QRMI_APIKEY", "secret-a"},
                                      {"A_QRMI_JOB_ACQUISITION_TOKEN", "token-A-2"},
                                      {"QRMI_JOB_QPU_RESOURCES", "B,A"},
                                      {"QRMI_JOB_QPU_TYPES", "pasqal-cloud,ibm-quantum-system"},
                                      {"SLURM_JOB_QPU_RESOURCES", "B,A"},
                                      {"SLURM_JOB_QPU_TYPES", "pasqal-cloud,ibm-quantum-system"}});
    // A QPU's settings are in place before it is acquired (QRMI reads them).
    auto before = [&](const std::string& first, const std::string& second) {
        auto& order = f.environment.order;
        return std::find(order.begin(), order.end(), first) <
               std::find(order.begin(), order.end(), second);
    };
    CHECK(before("B_QRMI_TOKEN", "B_QRMI_JOB_ACQUISITION_TOKEN"));
    CHECK(before("B_QRMI_JOB_ACQUISITION_TOKEN", "A_QRMI_URL"));
    REQUIRE(prepared.acquired.size() == 2);
    CHECK(prepared.acquired[0].token == "token-B-1");
}

using Settings = std::vector<std::pair<std::string, std::string>>;

// Whether any value of the environment, or of what acquire was given, is this one.
bool anywhere(const Fixture& f, const std::string& value) {
    for (const auto& [key, seen] : f.environment.values)
        if (seen == value) return true;
    for (const auto& resource : f.qrmi.seen)
        for (const auto& [key, seen] : resource.environment)
            if (seen == value) return true;
    return false;
}

TEST_CASE(
    "a job that brings none of its own settings: QRMI and the job get the config's, exactly") {
    Fixture f;
    f.environment.values["A_NOTE"] = "x";  // neither a key of the config nor a QRMI_ one
    f.environment.values["A_QRMI_JOB_ACQUISITION_TOKEN"] = "old";  // the plugin's own variable
    f.environment.values["B_QRMI_TOKEN"] = "not-for-A";
    f.prepare({"A"});
    REQUIRE(f.qrmi.seen.size() == 1);
    CHECK(f.qrmi.seen[0].environment ==
          Settings{{"A_QRMI_URL", "https://a"}, {"A_QRMI_APIKEY", "secret-a"}});
    CHECK(f.environment.values["A_QRMI_URL"] == "https://a");
    CHECK(f.environment.values["A_QRMI_APIKEY"] == "secret-a");
}

TEST_CASE(
    "a job that sets a key of the config: QRMI gets the job's own settings and no site value") {
    Fixture f;
    f.environment.values["A_QRMI_URL"] = "https://mine";
    f.environment.values["A_NOTE"] = "x";
    f.environment.values["B_QRMI_TOKEN"] = "not-for-A";
    auto prepared = f.prepare({"A"});
    CHECK(prepared.error.empty());
    REQUIRE(f.qrmi.seen.size() == 1);
    CHECK(f.qrmi.seen[0].environment == Settings{{"A_NOTE", "x"}, {"A_QRMI_URL", "https://mine"}});
    // The site's key is sent nowhere: neither to QRMI nor into the job.
    CHECK_FALSE(anywhere(f, "secret-a"));
    CHECK_FALSE(f.environment.values.count("A_QRMI_APIKEY"));
    CHECK(f.environment.values["A_QRMI_URL"] == "https://mine");
    CHECK(f.environment.values["A_QRMI_JOB_ACQUISITION_TOKEN"] == "token-A-1");
}

TEST_CASE("a job that sets any QRMI_ key of a QPU brings its own settings, config key or not") {
    Fixture f;
    f.environment.values["A_QRMI_EXTRA"] = "x";
    f.prepare({"A", "B"});
    REQUIRE(f.qrmi.seen.size() == 2);
    CHECK(f.qrmi.seen[0].environment == Settings{{"A_QRMI_EXTRA", "x"}});
    CHECK_FALSE(anywhere(f, "secret-a"));
    CHECK_FALSE(f.environment.values.count("A_QRMI_URL"));
    // B, asked in the same job, brought nothing of its own: it has the config's.
    CHECK(f.qrmi.seen[1].environment == Settings{{"B_QRMI_TOKEN", "secret-b"}});
    CHECK(f.environment.values["B_QRMI_TOKEN"] == "secret-b");
}

TEST_CASE("what the site sets is never the job's own: plugstack's --env and the other QPUs") {
    Fixture f;
    f.arguments.environment = {{"A_QRMI_SITE", "rasqberry"}};
    f.prepare({"A"});
    REQUIRE(f.qrmi.seen.size() == 1);
    CHECK(f.qrmi.seen[0].environment ==
          Settings{{"A_QRMI_URL", "https://a"}, {"A_QRMI_APIKEY", "secret-a"}});
    // A variable of a QPU with a longer name is that QPU's, not the shorter one's.
    Fixture g;
    std::ofstream(g.config_path) << R"({"resources": [
        {"name": "q", "type": "iqm-server", "environment": {"QRMI_URL": "https://q"}},
        {"name": "q_a", "type": "iqm-server", "environment": {"QRMI_URL": "https://q-a"}}]})";
    g.environment.values["q_a_QRMI_URL"] = "https://mine";
    g.prepare({"q_a", "q"});
    REQUIRE(g.qrmi.seen.size() == 2);
    CHECK(g.qrmi.seen[0].environment == Settings{{"q_a_QRMI_URL", "https://mine"}});
    CHECK(g.qrmi.seen[1].environment == Settings{{"q_QRMI_URL", "https://q"}});
}

TEST_CASE("a QPU of allowed groups: an outsider's job gets none of it, and nothing is acquired") {
    Fixture f;
    auto prepared = f.prepare({"D"});
    CHECK(prepared.error ==
          "QPU D may be used only by members of staff or teachers (you are in: rasqberry, users)");
    CHECK(f.qrmi.calls.empty());
    CHECK(prepared.acquired.empty());
    for (const auto& [key, value] : f.environment.values) CHECK(key.rfind("D_", 0) != 0);
    CHECK_FALSE(anywhere(f, "secret-d"));
    // Asked after a QPU it may use: that one is acquired (and released at the end), D is not.
    Fixture g;
    prepared = g.prepare({"A", "D"});
    CHECK(prepared.error.rfind("QPU D may be used only by members of staff or teachers", 0) == 0);
    CHECK(g.qrmi.calls == std::vector<std::string>{"acquire A"});
    for (const auto& [key, value] : g.environment.values) CHECK(key.rfind("D_", 0) != 0);
}

TEST_CASE("a QPU of allowed groups: a member's job has it as any other") {
    Fixture f;
    f.job.groups = {"rasqberry", "teachers"};
    auto prepared = f.prepare({"D"});
    CHECK(prepared.error.empty());
    CHECK(f.qrmi.calls == std::vector<std::string>{"acquire D"});
    CHECK(f.environment.values["D_QRMI_APIKEY"] == "secret-d");
    CHECK(f.environment.values["D_QRMI_JOB_ACQUISITION_TOKEN"] == "token-D-1");
    CHECK(f.environment.values["QRMI_JOB_QPU_RESOURCES"] == "D");
}

TEST_CASE("a QPU's credentials reach only a job that asked for that QPU") {
    Fixture f;
    f.prepare({"A"});
    CHECK_FALSE(f.environment.values.count("B_QRMI_TOKEN"));
    for (const auto& [key, value] : f.environment.values) CHECK(value != "secret-b");
}

TEST_CASE("--env:K=V of plugstack.conf is set for the job, over the job's own") {
    Fixture f;
    f.arguments.environment = {{"QRMI_SITE", "rasqberry"}};
    f.environment.values["QRMI_SITE"] = "mine";
    f.prepare({"C"});
    CHECK(f.environment.values["QRMI_SITE"] == "rasqberry");
}

TEST_CASE("RUST_LOG follows SRUN_DEBUG, and a job's own RUST_LOG is kept") {
    CHECK(rust_log_level(std::nullopt) == "info");
    CHECK(rust_log_level("0") == "error");
    CHECK(rust_log_level("2") == "error");
    CHECK(rust_log_level("3") == "info");
    CHECK(rust_log_level("4") == "debug");
    CHECK(rust_log_level("5") == "trace");
    CHECK(rust_log_level("9") == "trace");
    CHECK(rust_log_level("x") == "info");
    CHECK(rust_log_level("4x") == "info");
    Fixture f;
    f.environment.values["SRUN_DEBUG"] = "4";
    f.prepare({"C"});
    CHECK(f.environment.values["RUST_LOG"] == "debug");
    Fixture g;
    g.environment.values["RUST_LOG"] = "warn";
    g.prepare({"C"});
    CHECK(g.environment.values["RUST_LOG"] == "warn");
}

TEST_CASE("a name the node's config lacks is a held error with the names it has") {
    Fixture f;
    auto prepared = f.prepare({"A", "nosuch"});
    CHECK(prepared.error ==
          "QPU nosuch is not in " + f.config_path + " on this node (it has: A, B, C, D)");
    // A was acquired before: it is still released at the job's end.
    REQUIRE(prepared.acquired.size() == 1);
    release_all(prepared, f.config_path, f.qrmi);
    CHECK(f.qrmi.calls.back() == "release A token-A-1");
}

TEST_CASE("a config the node cannot read or parse is a held error naming the file") {
    Fixture f;
    f.arguments.config_path = f.scratch / "none.json";
    CHECK(f.prepare({"A"}).error == "QRMI config " + f.scratch / "none.json" +
                                        ": cannot read it (No such file or directory)");
    Fixture g;
    std::ofstream(g.config_path) << "{ not json";
    CHECK(g.prepare({"A"}).error ==
          "QRMI config " + g.config_path + ": not valid JSON at line 1, column 4");
    CHECK(g.qrmi.calls.empty());
}

TEST_CASE("the plugin's bad arguments are held for a --qpu job, nothing set") {
    Fixture f;
    f.arguments.error = "plugstack.conf, the qpu plugin's arguments: \"x\" is not --env:KEY=VALUE";
    CHECK(f.prepare({"A"}).error == f.arguments.error);
    CHECK(f.environment.values.empty());
}

TEST_CASE("a QPU that cannot be acquired fails the job; what was acquired is released") {
    Fixture f;
    f.qrmi.offline = "B";
    auto prepared = f.prepare({"A", "B"});
    CHECK(prepared.error == "QPU B could not be acquired: offline");
    REQUIRE(prepared.acquired.size() == 1);
    CHECK(release_all(prepared, f.config_path, f.qrmi).empty());
    CHECK(f.qrmi.calls ==
          std::vector<std::string>{"acquire A", "acquire B", "release A token-A-1"});
}

TEST_CASE("without a QRMI library: said once, no token, the settings and lists exported") {
    Fixture f;
    f.qrmi.present = false;
    auto prepared = f.prepare({"A"});
    CHECK(prepared.error.empty());
    CHECK(prepared.notice ==
          "no QRMI library on this node: no QPU is acquired; the QPU settings are in the "
          "environment");
    CHECK(f.qrmi.calls.empty());
    CHECK_FALSE(f.environment.values.count("A_QRMI_JOB_ACQUISITION_TOKEN"));
    CHECK(f.environment.values["A_QRMI_URL"] == "https://a");
    CHECK(f.environment.values["QRMI_JOB_QPU_RESOURCES"] == "A");
    CHECK(release_all(prepared, f.config_path, f.qrmi).empty());
    CHECK(f.qrmi.calls.empty());
}

TEST_CASE("release_all: each token once, a failed release is a line to log") {
    Fixture f;
    auto prepared = f.prepare({"A", "C"});
    f.qrmi.release_problem = "backend down";
    CHECK(release_all(prepared, f.config_path, f.qrmi) ==
          std::vector<std::string>{"QPU A: release failed: backend down",
                                   "QPU C: release failed: backend down"});
    CHECK(release_all(prepared, f.config_path, f.qrmi).empty());
    CHECK(std::count_if(f.qrmi.calls.begin(), f.qrmi.calls.end(), [](const std::string& call) {
              return call.rfind("release", 0) == 0;
          }) == 2);
}
