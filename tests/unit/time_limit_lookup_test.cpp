#include "spank/time_limit_lookup.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>

using namespace rqinit::qpu;
using namespace std::chrono_literals;

TEST_CASE("the worker's answer is read back, and it was asked in another process") {
    TimeLimitLookup lookup;
    const pid_t here = getpid();
    lookup.start([here]() -> std::optional<uint32_t> {
        return getpid() != here ? std::optional<uint32_t>(90) : std::nullopt;
    });
    CHECK(lookup.wait(5s) == 90u);
}

TEST_CASE("INFINITE comes through whole") {
    TimeLimitLookup lookup;
    lookup.start([] { return std::optional<uint32_t>(0xffffffffu); });
    CHECK(lookup.wait(5s) == 0xffffffffu);
}

TEST_CASE("no answer from the worker: asked again here; still none: none") {
    TimeLimitLookup lookup;
    const pid_t here = getpid();
    lookup.start([here]() -> std::optional<uint32_t> {
        if (getpid() != here) return std::nullopt;  // the worker fails
        return 7;                                   // the second try, here, answers
    });
    CHECK(lookup.wait(5s) == 7u);
    TimeLimitLookup nothing;
    nothing.start([] { return std::optional<uint32_t>(); });
    CHECK_FALSE(nothing.wait(5s));
}

TEST_CASE("a worker that hangs costs the wait's timeout, then the task asks itself") {
    TimeLimitLookup lookup;
    const pid_t here = getpid();
    lookup.start([here]() -> std::optional<uint32_t> {
        if (getpid() != here) sleep(1);  // hung, as far as the wait is concerned
        return 5;
    });
    auto start = std::chrono::steady_clock::now();
    CHECK(lookup.wait(200ms) == 5u);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("the answer's pipe does not reach an exec'd program (close-on-exec)") {
    // Every descriptor open now: the lookup's must be close-on-exec.
    TimeLimitLookup lookup;
    lookup.start([] { return std::optional<uint32_t>(1); });
    int open_without_cloexec = 0;
    for (int fd = 3; fd < 1024; ++fd) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0 && !(flags & FD_CLOEXEC)) ++open_without_cloexec;
    }
    CHECK(lookup.wait(5s) == 1u);
    int after = 0;
    for (int fd = 3; fd < 1024; ++fd) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0 && !(flags & FD_CLOEXEC)) ++after;
    }
    CHECK(open_without_cloexec == after);
}
