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
    CHECK(parse_names_file("a\nb\n").names() == Names{"a", "b"});
    CHECK(parse_names_file("# QPUs\n\n  a \r\nb").names() == Names{"a", "b"});
    CHECK(parse_names_file("").resources.empty());
}

TEST_CASE("the names-only file: NAME groups=a,b gives the QPU's allowed groups") {
    auto known =
        parse_names_file("open\nreserved  groups=staff,teachers \r\nlater groups=x future=y\n");
    CHECK(known.names() == Names{"open", "reserved", "later"});
    CHECK(known.find("open")->allowed_groups.empty());
    CHECK(known.find("reserved")->allowed_groups == Names{"staff", "teachers"});
    // A word it does not know is skipped, the groups kept.
    CHECK(known.find("later")->allowed_groups == Names{"x"});
}

TEST_CASE(
    "the names-only file reads back what names_file_text wrote, and writes back what it read") {
    auto config = parse_qrmi_config(R"({"resources": [
        {"name": "a", "type": "pasqal-local", "environment": {"K": "secret"}},
        {"name": "b", "type": "iqm-server", "allowed_groups": ["staff"]},
        {"name": "c", "type": "iqm-server", "allowed_groups": ["staff", "teachers"]}]})",
                                    "qrmi_config.json");
    const std::string text = names_file_text(config);
    CHECK(text == "a\nb groups=staff\nc groups=staff,teachers\n");
    CHECK(text.find("secret") == std::string::npos);
    auto known = parse_names_file(text);
    CHECK(known.names() == config.names());
    for (const auto& qpu : config.resources) {
        CAPTURE(qpu.name);
        CHECK(known.find(qpu.name)->allowed_groups == qpu.allowed_groups);
    }
    CHECK(names_file_text(known) == text);
}

TEST_CASE("an unknown name is refused with every known one") {
    CHECK_FALSE(unknown_names_error({"a", "b"}, {"b", "a", "c"}));
    CHECK(unknown_names_error({"a", "x", "y"}, {"a", "b"}) ==
          "--qpu: unknown QPU x, y (this cluster has: a, b)");
    CHECK(unknown_names_error({"a"}, {}) == "--qpu: unknown QPU a (this cluster has: none)");
}
