#include "spank/time_limit_lookup.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>

using namespace rqinit::qpu;
using namespace std::chrono_literals;

namespace {
std::optional<uint32_t> none() {
    return std::nullopt;
}
}  // namespace

TEST_CASE("squeue's time limits, in minutes") {
    CHECK(parse_time_limit("7:00\n") == 7u);
    CHECK(parse_time_limit("  1:00:00\n") == 60u);
    CHECK(parse_time_limit("2-03:04:00\n") == 2u * 24 * 60 + 3 * 60 + 4);
    CHECK(parse_time_limit("0:30") == 1u);  // a part of a minute counts as a minute
    CHECK(parse_time_limit("UNLIMITED\n") == 0xffffffffu);
}

TEST_CASE("what is not a time limit gives none") {
    for (const char* text :
         {"", "\n", "NOT_SET", "INVALID", "Partition_Limit", "7:xx", "1-", "-5:00", "1:2:3:4",
          "squeue: error: Invalid job id", "7:00 TimeLimit=99-00:00:00"})
        CHECK_MESSAGE(!parse_time_limit(text), text);
}

TEST_CASE("the command's answer is read back") {
    TimeLimitLookup lookup;
    lookup.start({"sh", "-c", "echo 12:00"}, none);
    CHECK(lookup.wait(5s) == 12u);
}

TEST_CASE("no answer from the command: the fallback is asked; none from it either: none") {
    TimeLimitLookup failing;
    failing.start({"sh", "-c", "echo INVALID; exit 1"}, [] { return std::optional<uint32_t>(7); });
    CHECK(failing.wait(5s) == 7u);
    TimeLimitLookup missing;
    missing.start({"/nonexistent/squeue"}, [] { return std::optional<uint32_t>(8); });
    CHECK(missing.wait(5s) == 8u);
    TimeLimitLookup nothing;
    nothing.start({"true"}, none);
    CHECK_FALSE(nothing.wait(5s));
}

TEST_CASE("a command that hangs costs the wait's timeout, then the fallback is asked") {
    TimeLimitLookup lookup;
    lookup.start({"sleep", "5"}, [] { return std::optional<uint32_t>(5); });
    const auto start = std::chrono::steady_clock::now();
    CHECK(lookup.wait(200ms) == 5u);
    CHECK(std::chrono::steady_clock::now() - start < 4s);
}

TEST_CASE("the answer's pipe does not reach an exec'd program (close-on-exec)") {
    auto open_without_cloexec = [] {
        int count = 0;
        for (int fd = 3; fd < 1024; ++fd) {
            const int flags = fcntl(fd, F_GETFD);
            if (flags >= 0 && !(flags & FD_CLOEXEC)) ++count;
        }
        return count;
    };
    const int before = open_without_cloexec();
    TimeLimitLookup lookup;
    lookup.start({"sh", "-c", "echo 1:00"}, none);
    CHECK(open_without_cloexec() == before);
    CHECK(lookup.wait(5s) == 1u);
}
