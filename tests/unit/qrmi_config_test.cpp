#include "spank/qrmi_config.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/temp_dir.hpp"

using namespace rqinit::qpu;

namespace {
const std::string kPath = "/etc/slurm/qrmi_config.json";

std::string error_of(const std::string& text) {
    try {
        parse_qrmi_config(text, kPath);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "";
}
}  // namespace

TEST_CASE("a config: names, types and environment in the file's order") {
    auto config = parse_qrmi_config(R"({"resources": [
        {"name": "torino", "type": "ibm-quantum-compute-service",
         "environment": {"QRMI_IBM_QCS_ENDPOINT": "https://q", "QRMI_IBM_QCS_IAM_APIKEY": "k"}},
        {"name": "fresnel", "type": "pasqal-cloud", "is_dynamic": true, "environment": {}}]})",
                                    kPath);
    REQUIRE(config.resources.size() == 2);
    CHECK(config.names() == std::vector<std::string>{"torino", "fresnel"});
    const auto* torino = config.find("torino");
    REQUIRE(torino);
    CHECK(torino->type == "ibm-quantum-compute-service");
    CHECK(torino->environment ==
          std::vector<std::pair<std::string, std::string>>{{"QRMI_IBM_QCS_ENDPOINT", "https://q"},
                                                           {"QRMI_IBM_QCS_IAM_APIKEY", "k"}});
    CHECK(config.find("nosuch") == nullptr);
    CHECK(torino->allowed_groups.empty());
    CHECK(names_file_text(config) == "torino\nfresnel\n");
}

TEST_CASE("allowed_groups: the groups whose members may use a QPU, in the names file too") {
    auto config = parse_qrmi_config(R"({"resources": [
        {"name": "open", "type": "pasqal-local"},
        {"name": "reserved", "type": "iqm-server", "allowed_groups": ["staff", "teachers"]}]})",
                                    kPath);
    CHECK(config.find("open")->allowed_groups.empty());
    CHECK(config.find("reserved")->allowed_groups == std::vector<std::string>{"staff", "teachers"});
    CHECK(names_file_text(config) == "open\nreserved groups=staff,teachers\n");
}

TEST_CASE("allowed_groups that is not a list of group names is one line with the fix") {
    const std::string not_a_list =
        kPath +
        ": QPU \"a\": \"allowed_groups\" is not a list of group names (write Unix group names, "
        "such as [\"staff\"], or leave the key out to let everyone use it)";
    for (const char* value : {R"("staff")", "[]", "{}", "null"}) {
        CAPTURE(value);
        CHECK(error_of(std::string(R"({"resources":[{"name":"a","type":"iqm-server",)") +
                       R"("allowed_groups":)" + value + "}]}") == not_a_list);
    }
    for (const char* value :
         {R"(["staff", ""])", R"(["staff", 7])", R"(["staff", "a b"])", R"(["staff", "a,b"])"}) {
        CAPTURE(value);
        CHECK(error_of(std::string(R"({"resources":[{"name":"a","type":"iqm-server",)") +
                       R"("allowed_groups":)" + value + "}]}") ==
              kPath +
                  ": QPU \"a\": allowed_groups[1] is not a group name (write a non-empty string "
                  "without spaces or commas)");
    }
}

TEST_CASE("every type QRMI knows by its current name is accepted") {
    for (const char* type : {"ibm-quantum-system", "ibm-quantum-compute-service", "pasqal-cloud",
                             "pasqal-local", "alice-bob-felis", "iqm-server"}) {
        CAPTURE(type);
        auto config = parse_qrmi_config(
            std::string(R"({"resources":[{"name":"a","type":")") + type + R"("}]})", kPath);
        CHECK(config.find("a")->type == type);
    }
}

TEST_CASE("a name given twice: the last entry wins, at the first's place") {
    auto config = parse_qrmi_config(R"({"resources": [
        {"name": "a", "type": "pasqal-cloud", "environment": {"K": "first"}},
        {"name": "b", "type": "pasqal-local"},
        {"name": "a", "type": "iqm-server", "environment": {"K": "last"}}]})",
                                    kPath);
    CHECK(config.names() == std::vector<std::string>{"a", "b"});
    CHECK(config.find("a")->type == "iqm-server");
    CHECK(config.find("a")->environment.at(0).second == "last");
}

TEST_CASE("what rejects the whole file, in one line naming the file and never a value") {
    CHECK(error_of("{\"resources\": [") == kPath + ": not valid JSON at line 1, column 16");
    // A broken value (a secret, say) is not quoted back.
    std::string broken = error_of(R"({"resources":[{"name":"a","environment":{"KEY": s3cret}}]})");
    CHECK(broken.find("s3cret") == std::string::npos);
    CHECK(broken.rfind(kPath + ": not valid JSON at line 1", 0) == 0);
    CHECK(error_of("[]") == kPath + ": no \"resources\" list at the top level");
    CHECK(error_of(R"({"resources":[{"name":"a","type":"quantum-toaster"}]})") ==
          kPath +
              ": QPU \"a\" has the unknown type \"quantum-toaster\" (known: ibm-quantum-system, "
              "ibm-quantum-compute-service, pasqal-cloud, pasqal-local, alice-bob-felis, "
              "iqm-server)");
    CHECK(error_of(R"({"resources":[{"type":"iqm-server"}]})") ==
          kPath + ": resources[0] has no \"name\" string");
    CHECK(error_of(R"({"resources":[{"name":"a"}]})") ==
          kPath + ": QPU \"a\" has no \"type\" string");
    CHECK(error_of(R"({"resources":[{"name":"a b","type":"iqm-server"}]})") ==
          kPath +
              ": resources[0]: the name \"a b\" is not usable in a variable name "
              "(letters, digits, _ - . only)");
    CHECK(error_of(R"({"resources":[{"name":"a","type":"iqm-server","environment":{"K":7}}]})") ==
          kPath + ": QPU \"a\": the value of K is not a string");
    CHECK(error_of(R"({"resources":[{"name":"a","type":"iqm-server","environment":[]}]})") ==
          kPath + ": QPU \"a\": \"environment\" is not an object");
}

TEST_CASE("QRMI's renamed type is refused in one line: the QPU, the old name, the new") {
    CHECK(error_of(R"({"resources":[{"name":"torino","type":"qiskit-runtime-service",
                                     "environment":{"QRMI_IBM_QCS_IAM_APIKEY":"s3cret"}}]})") ==
          kPath +
              ": QPU \"torino\" has the type \"qiskit-runtime-service\", which QRMI renamed "
              "\"ibm-quantum-compute-service\" (the old name was accepted until November 21, "
              "2026)");
}

TEST_CASE("QRMI's renamed keys are refused in one line, the key named and its value never") {
    CHECK(error_of(R"({"resources":[{"name":"torino","type":"ibm-quantum-compute-service",
                     "environment":{"QRMI_IBM_QCS_ENDPOINT":"https://q",
                                    "QRMI_IBM_QRS_IAM_APIKEY":"s3cret"}}]})") ==
          kPath +
              ": QPU \"torino\" has the environment key QRMI_IBM_QRS_IAM_APIKEY, which QRMI "
              "renamed QRMI_IBM_QCS_IAM_APIKEY (the old name was accepted until November 21, "
              "2026)");
    // Every key of the old prefix, under any type.
    for (const auto& [old_key, new_key] : std::vector<std::pair<std::string, std::string>>{
             {"QRMI_IBM_QRS_ENDPOINT", "QRMI_IBM_QCS_ENDPOINT"},
             {"QRMI_IBM_QRS_SERVICE_CRN", "QRMI_IBM_QCS_SERVICE_CRN"},
             {"QRMI_IBM_QRS_SESSION_MODE", "QRMI_IBM_QCS_SESSION_MODE"}}) {
        CAPTURE(old_key);
        const std::string error = error_of(R"({"resources":[{"name":"a","type":"iqm-server",)"
                                           R"("environment":{")" +
                                           old_key + R"(":"s3cret"}}]})");
        CHECK(error.find("key " + old_key + ", which QRMI renamed " + new_key + " (") !=
              std::string::npos);
        CHECK(error.find("s3cret") == std::string::npos);
    }
    // The new prefix, and a key that holds the old one past its start, are kept.
    auto config = parse_qrmi_config(R"({"resources":[{"name":"a","type":"iqm-server",
        "environment":{"QRMI_IBM_QCS_ENDPOINT":"x","MY_QRMI_IBM_QRS_NOTE":"y"}}]})",
                                    kPath);
    CHECK(config.find("a")->environment.size() == 2);
}

TEST_CASE("QRMI's removed direct-access is refused in one line with the types there are") {
    CHECK(error_of(R"({"resources":[{"name":"da","type":"direct-access"}]})") ==
          kPath +
              ": QPU \"da\" has the type \"direct-access\", which QRMI removed (known: "
              "ibm-quantum-system, ibm-quantum-compute-service, pasqal-cloud, pasqal-local, "
              "alice-bob-felis, iqm-server)");
}

TEST_CASE("the example config of stack/etc uses QRMI's current names") {
    // This file is tests/unit/ of the source tree (CMake compiles it by its full path).
    const auto root = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
    auto config = read_qrmi_config(root / "stack/etc/qrmi_config.example.json");
    CHECK(config.names() == std::vector<std::string>{"ibm_torino", "pasqal_fresnel"});
    CHECK(config.find("ibm_torino")->type == "ibm-quantum-compute-service");
    // It shows both: a QPU for everyone, and one for the members of a group.
    CHECK(config.find("ibm_torino")->allowed_groups.empty());
    CHECK(config.find("pasqal_fresnel")->allowed_groups == std::vector<std::string>{"staff"});
}

TEST_CASE("read_qrmi_config: a missing file is one line naming it") {
    TempDir scratch;
    const std::string path = scratch / "qrmi_config.json";
    try {
        read_qrmi_config(path);
        FAIL("no error");
    } catch (const ConfigError& error) {
        CHECK(std::string(error.what()) == path + ": cannot read it (No such file or directory)");
    }
    std::ofstream(path) << R"({"resources":[{"name":"a","type":"pasqal-local"}]})";
    CHECK(read_qrmi_config(path).names() == std::vector<std::string>{"a"});
}
