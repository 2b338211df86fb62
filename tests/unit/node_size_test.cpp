#include "roles/node_size.hpp"

#include <doctest/doctest.h>

using rqinit::slurm::node_size_conf;
using rqinit::slurm::node_size_error;
using rqinit::slurm::parse_node_size;

TEST_CASE("unset: the role's size, as the cluster's design gives it; hardware: what slurmd finds") {
    CHECK(node_size_conf("c", "") == "CPUs=4 RealMemory=1000");
    CHECK(node_size_conf("q", " ") == "CPUs=1 RealMemory=1000");
    CHECK(node_size_conf("c", "hardware").empty());
    CHECK(node_size_conf("q", " hardware ").empty());
    CHECK(node_size_conf("c", "CPUs=2 RealMemory=500") == "CPUs=2 RealMemory=500");
    CHECK(node_size_error("c", "hardware").empty());
    CHECK_FALSE(node_size_error("c", "hardware CPUs=2").empty());
    CHECK_FALSE(node_size_error("login", "hardware").empty());
}

TEST_CASE("the architecture document's sizes, keys spelled as Slurm prints them") {
    CHECK(parse_node_size("CPUs=4 RealMemory=1000").conf == "CPUs=4 RealMemory=1000");
    CHECK(parse_node_size(" cpus=1\trealmemory=500 ").conf == "CPUs=1 RealMemory=500");
}

TEST_CASE("a wrong key or value is one line naming the value and the fix") {
    auto typo = parse_node_size("CPU=4");
    CHECK(typo.conf.empty());
    CHECK(typo.error ==
          "RQINIT_NODE_SIZE='CPU=4': 'CPU=4' is not KEY=NUMBER with KEY one of CPUs, Boards, "
          "Sockets, CoresPerSocket, ThreadsPerCore, RealMemory, TmpDisk (e.g. CPUs=4 "
          "RealMemory=1000), or hardware");
    CHECK(parse_node_size("CPUs=4 RealMemory=1G").error ==
          "RQINIT_NODE_SIZE='CPUs=4 RealMemory=1G': RealMemory must be a whole number above 0, "
          "not '1G'");
    CHECK_FALSE(parse_node_size("CPUs=0").error.empty());
    CHECK_FALSE(parse_node_size("CPUs=").error.empty());
    CHECK_FALSE(parse_node_size("CPUs=-1").error.empty());
    CHECK_FALSE(parse_node_size("Gres=qpu:1").error.empty());  // the role's, not the size's
    CHECK_FALSE(parse_node_size("CPUs").error.empty());
}

TEST_CASE("a size is for compute nodes only; empty is fine anywhere") {
    CHECK(node_size_error("c", "CPUs=4").empty());
    CHECK(node_size_error("q", "CPUs=1").empty());
    CHECK(node_size_error("login", " ").empty());
    CHECK(node_size_error("login", "CPUs=4") ==
          "RQINIT_NODE_SIZE='CPUs=4' is set, but role login is not a compute node (c or q); unset "
          "it for this container");
    CHECK(node_size_error("c", "CPUs=x") ==
          "RQINIT_NODE_SIZE='CPUs=x': CPUs must be a whole number above 0, not 'x'");
}
