#include "spank/qpu_request.hpp"

#include <doctest/doctest.h>

using namespace rqinit::qpu;
using Names = std::vector<std::string>;

TEST_CASE("--qpu=a,b: the names in order, a repeated one once") {
    CHECK(parse_qpu_names("a").names == Names{"a"});
    CHECK(parse_qpu_names("b,a").names == Names{"b", "a"});
    CHECK(parse_qpu_names("a,b,a").names == Names{"a", "b"});
    CHECK(parse_qpu_names("a,b").error.empty());
}

TEST_CASE("--qpu with an empty list or an empty name is one line") {
    CHECK(parse_qpu_names("").error == "--qpu needs at least one QPU name (--qpu=NAME[,NAME...])");
    for (const char* bad : {",a", "a,", "a,,b", ","}) {
        CAPTURE(bad);
        auto parsed = parse_qpu_names(bad);
        CHECK(parsed.error == "--qpu=" + std::string(bad) + " has an empty name");
        CHECK(parsed.names.empty());
    }
}

TEST_CASE("the names-only file lives beside the config") {
    CHECK(names_file_for("/etc/slurm/qrmi_config.json") == "/etc/slurm/qrmi_config.names");
    CHECK(names_file_for("/etc/qrmi.conf") == "/etc/qrmi.conf.names");
    CHECK(names_file_for(".json") == ".json.names");
}

TEST_CASE("the names-only file: one a line, blanks and comments skipped") {
    CHECK(parse_names_file("a\nb\n") == Names{"a", "b"});
    CHECK(parse_names_file("# QPUs\n\n  a \r\nb") == Names{"a", "b"});
    CHECK(parse_names_file("").empty());
}

TEST_CASE("an unknown name is refused with every known one") {
    CHECK_FALSE(unknown_names_error({"a", "b"}, {"b", "a", "c"}));
    CHECK(unknown_names_error({"a", "x", "y"}, {"a", "b"}) ==
          "--qpu: unknown QPU x, y (this cluster has: a, b)");
    CHECK(unknown_names_error({"a"}, {}) == "--qpu: unknown QPU a (this cluster has: none)");
}
