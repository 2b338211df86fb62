#include "spank/job_time_limit.hpp"

#include <doctest/doctest.h>

using namespace rqinit::qpu;

namespace {

// A job started at this Unix time (2026-11-27), ending `seconds` later.
constexpr uint64_t kStart = 1795000000;

JobTimeLimit ending_after(uint64_t seconds) {
    return job_time_limit(std::to_string(kStart), std::to_string(kStart + seconds));
}

std::string error_of(const std::optional<std::string>& start,
                     const std::optional<std::string>& end) {
    const JobTimeLimit limit = job_time_limit(start, end);
    CHECK(limit.minutes == 0);
    return limit.error;
}

}  // namespace

TEST_CASE("the limit is the job's end less its start, in minutes: --time=7 is 420 seconds") {
    const JobTimeLimit seven = ending_after(7 * 60);
    CHECK(seven.error.empty());
    CHECK(seven.minutes == 7);
    CHECK(timeout_seconds(seven.minutes) == "420");
    CHECK(ending_after(60).minutes == 1);
    CHECK(ending_after(2 * 24 * 60 * 60 + 3 * 60 * 60 + 4 * 60).minutes ==
          2u * 24 * 60 + 3 * 60 + 4);
    CHECK(ending_after(0).minutes == 0);
}

TEST_CASE("an end moved by a wait for the job's configuration: the seconds of the wait dropped") {
    CHECK(ending_after(7 * 60 + 59).minutes == 7);
    CHECK(timeout_seconds(ending_after(7 * 60 + 30).minutes) == "420");
}

TEST_CASE("no limit: slurmctld's end is the start plus 365 days, and the timeout is as ever") {
    const JobTimeLimit unlimited = ending_after(365 * 24 * 60 * 60);
    CHECK(unlimited.error.empty());
    CHECK(unlimited.minutes == kInfiniteTimeLimit);
    CHECK(timeout_seconds(unlimited.minutes) == "4294967295");
    // One minute either side is a limit.
    CHECK(ending_after(365 * 24 * 60 * 60 - 60).minutes == 365 * 24 * 60 - 1);
    CHECK(ending_after(365 * 24 * 60 * 60 + 60).minutes == 365 * 24 * 60 + 1);
}

TEST_CASE("a span too long for 32-bit minutes is no limit, never a wrapped one") {
    CHECK(job_time_limit("0", "18446744073709551615").minutes == kInfiniteTimeLimit);
    CHECK(ending_after(uint64_t{kInfiniteTimeLimit} * 60).minutes == kInfiniteTimeLimit);
}

TEST_CASE("absent variables (a Slurm before 23.02) refuse --qpu in one line naming the variable") {
    const std::string now = std::to_string(kStart);
    CHECK(error_of(std::nullopt, now) ==
          "--qpu needs the job's time limit, and SLURM_JOB_START_TIME is not in its environment "
          "(Slurm 23.02 and later set it)");
    CHECK(error_of(now, std::nullopt) ==
          "--qpu needs the job's time limit, and SLURM_JOB_END_TIME is not in its environment "
          "(Slurm 23.02 and later set it)");
    CHECK(error_of(std::nullopt, std::nullopt).find("SLURM_JOB_START_TIME") != std::string::npos);
}

TEST_CASE("a value that is not Unix seconds refuses --qpu, quoting it") {
    const std::string now = std::to_string(kStart);
    CHECK(error_of(now, "soon") ==
          "--qpu needs the job's time limit, and SLURM_JOB_END_TIME=\"soon\" is not a time in Unix "
          "seconds");
    CHECK(error_of("", now) ==
          "--qpu needs the job's time limit, and SLURM_JOB_START_TIME=\"\" is not a time in Unix "
          "seconds");
    for (const char* bad : {"-1", "+5", " 5", "5 ", "5s", "1.5", "0x10", "18446744073709551616"}) {
        CAPTURE(bad);
        CHECK(error_of(now, bad).find("SLURM_JOB_END_TIME=\"") != std::string::npos);
        CHECK(error_of(bad, now).find("SLURM_JOB_START_TIME=\"") != std::string::npos);
    }
}

TEST_CASE("an end before the start refuses --qpu") {
    CHECK(
        error_of("100", "99") ==
        "--qpu needs the job's time limit, and SLURM_JOB_END_TIME is before SLURM_JOB_START_TIME");
}

TEST_CASE("<name>_QRMI_JOB_TIMEOUT_SECONDS from the time limit in minutes") {
    CHECK(timeout_seconds(0) == "0");
    CHECK(timeout_seconds(1) == "60");
    CHECK(timeout_seconds(90) == "5400");
    CHECK(timeout_seconds(71582788) == "4294967280");
    CHECK(timeout_seconds(71582789) == "4294967295");  // past 32 bits
    CHECK(timeout_seconds(kInfiniteTimeLimit) == "4294967295");
}
