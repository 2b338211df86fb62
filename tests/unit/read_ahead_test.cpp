#include "nfs/read_ahead.hpp"

#include <doctest/doctest.h>

using namespace rqinit;

namespace {
std::string bytes(size_t n, char c) {
    return std::string(n, c);
}
}  // namespace

TEST_CASE("read-ahead: a window serves the reads inside it, none outside") {
    ReadAhead ra;
    CHECK(!ra.find(0, 10));
    ra.add(0, bytes(ReadAhead::kWindow, 'a'), false);
    auto hit = ra.find(4096, 131072);
    REQUIRE(hit);
    CHECK(hit->size() == 131072);
    CHECK(!ra.find(ReadAhead::kWindow, 10));         // past it: not there yet
    CHECK(!ra.find(ReadAhead::kWindow - 100, 200));  // runs past its end: the next's
}

TEST_CASE("read-ahead: the file's last window answers short reads and reads past the end") {
    ReadAhead ra;
    ra.add(0, bytes(5000, 'x'), true);
    CHECK(ra.find(4000, 131072)->size() == 1000);
    REQUIRE(ra.find(5000, 10));
    CHECK(ra.find(5000, 10)->empty());  // at the end: an empty read, as read(2) gives
    CHECK(ra.find(9000, 10)->empty());
}

TEST_CASE("read-ahead: the next window is asked for past the middle, once, never past eof") {
    ReadAhead ra;
    ra.add(0, bytes(ReadAhead::kWindow, 'a'), false);
    CHECK(!ra.prefetch_after(ReadAhead::kWindow / 2 - 1));
    CHECK(ra.prefetch_after(ReadAhead::kWindow / 2) == ReadAhead::kWindow);
    ra.set_in_flight(ReadAhead::kWindow);
    CHECK(!ra.prefetch_after(ReadAhead::kWindow));  // one in flight is enough
    CHECK(ra.in_flight_covers(ReadAhead::kWindow + 5));
    CHECK(!ra.in_flight_covers(2 * ReadAhead::kWindow));
    ra.clear_in_flight();
    ra.add(ReadAhead::kWindow, bytes(10, 'b'), true);
    CHECK(!ra.prefetch_after(ReadAhead::kWindow + 10));  // the file ends here
}

TEST_CASE("read-ahead: two windows at most; clear forgets them and starts a new generation") {
    ReadAhead ra;
    ra.add(0, bytes(100, 'a'), false);
    ra.add(100, bytes(100, 'b'), false);
    ra.add(200, bytes(100, 'c'), false);
    CHECK(!ra.find(0, 10));
    CHECK((*ra.find(150, 10))[0] == 'b');
    uint64_t before = ra.generation();
    ra.set_in_flight(300);
    ra.clear();
    CHECK(!ra.find(250, 10));
    CHECK(!ra.in_flight());
    CHECK(ra.generation() == before + 1);
}
