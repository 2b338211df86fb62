#include "nfs/node_table.hpp"

#include <doctest/doctest.h>

using namespace rqinit;

TEST_CASE("node table: the root is node 1 and is never forgotten") {
    NodeTable table("root-fh");
    REQUIRE(table.handle(NodeTable::kRoot));
    CHECK(*table.handle(NodeTable::kRoot) == "root-fh");
    table.forget(NodeTable::kRoot, 100);
    CHECK(table.handle(NodeTable::kRoot));
}

TEST_CASE("node table: one node per handle, alive while the kernel holds a lookup") {
    NodeTable table("root");
    uint64_t a = table.remember("fh-a");
    CHECK(a != NodeTable::kRoot);
    CHECK(table.remember("fh-a") == a);  // two lookups of the same file
    uint64_t b = table.remember("fh-b");
    CHECK(b != a);
    table.forget(a, 1);
    REQUIRE(table.handle(a));  // one lookup left
    table.forget(a, 1);
    CHECK(!table.handle(a));             // forgotten: the kernel will not name it again
    CHECK(table.size() == 2);            // root and b
    CHECK(table.remember("fh-a") != a);  // a new node for a new lookup
    table.forget(b, 5);                  // more than it had: gone, not wrapped around
    CHECK(!table.handle(b));
}
