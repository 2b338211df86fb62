#include "init/status_report.hpp"

#include <doctest/doctest.h>

using namespace rqinit;

TEST_CASE("the status table has a header and aligned rows") {
    std::vector<ServiceSnapshot> rows = {
        {"munged", 12, "ready", 0, 75, "", true, ""},
        {"slurmd", -1, "backoff", 2, 0, "exit status 1", false, "x"}};
    std::string table = format_status_table(rows);
    CHECK(table ==
          "SERVICE  PID  STATE    RESTARTS  UPTIME  LAST EXIT\n"
          "munged   12   ready    0         1m15s   -\n"
          "slurmd   -    backoff  2         -       exit status 1\n");
}

TEST_CASE("health names the first service that is not healthy") {
    std::vector<ServiceSnapshot> rows = {{"a", 1, "ready", 0, 1, "", true, ""},
                                         {"b", 2, "starting", 0, 1, "", false, "b is starting"}};
    CHECK(health_line(rows, false, true) == "unhealthy: b is starting");
    rows[1].healthy = true;
    CHECK(health_line(rows, false, true) == "healthy");
    CHECK(health_line(rows, true, true) == "unhealthy: rqinit is stopping");
}

TEST_CASE("health says starting until every service has been ready once") {
    std::vector<ServiceSnapshot> rows = {{"a", 1, "ready", 0, 1, "", true, ""},
                                         {"b", 2, "starting", 0, 1, "", false, "b is starting"}};
    CHECK(health_line(rows, false, false) == "starting: b is starting");
    rows[1].healthy = true;
    CHECK(health_line(rows, false, false) == "healthy");
    // A stop is never a start, even before the first health.
    CHECK(health_line(rows, true, false) == "unhealthy: rqinit is stopping");
}
