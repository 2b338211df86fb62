#include "init/line_prefixer.hpp"

#include <doctest/doctest.h>

using namespace rqinit;

TEST_CASE("whole lines are prefixed, partial ones held back") {
    LinePrefixer p("web | ");
    CHECK(p.feed("one\ntw") == "web | one\n");
    CHECK(p.feed("o\n") == "web | two\n");
    CHECK(p.feed("tail") == "");
    CHECK(p.flush() == "web | tail\n");
    CHECK(p.flush() == "");
}

TEST_CASE("a line without end is cut at the limit") {
    LinePrefixer p("x | ", 4);
    CHECK(p.feed("abcdefg") == "x | abcd\n");
    CHECK(p.flush() == "x | efg\n");
}

TEST_CASE("a probe's telling line skips decoration and blank lines") {
    std::string ping =
        "Slurmctld(primary) at slurmctld is DOWN\n"
        "*****************************************\n"
        "** RESTORE SLURMCTLD DAEMON TO SERVICE **\n"
        "*****************************************\n";
    CHECK(last_telling_line(ping) == "Slurmctld(primary) at slurmctld is DOWN");
    CHECK(last_telling_line("first\n  second\n\n") == "  second");
    CHECK(last_telling_line("no newline") == "no newline");
    CHECK(last_telling_line("***\n---\n\n") == "");
    CHECK(last_telling_line("") == "");
}
