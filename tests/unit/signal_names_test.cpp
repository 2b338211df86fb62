#include "init/signal_names.hpp"

#include <doctest/doctest.h>

#include <csignal>

using namespace rqinit;

TEST_CASE("signal names in every form people write them") {
    CHECK(parse_signal("SIGTERM") == SIGTERM);
    CHECK(parse_signal("TERM") == SIGTERM);
    CHECK(parse_signal("10") == 10);
    CHECK(!parse_signal("SIGNOPE"));
    CHECK(!parse_signal("0"));
    CHECK(!parse_signal("99999999999"));
    CHECK(signal_name(SIGKILL) == "SIGKILL");
    CHECK(signal_name(40) == "signal 40");
}
