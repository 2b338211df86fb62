#include "nodes/lost_nodes.hpp"

#include <doctest/doctest.h>

using namespace rqinit;

namespace {

// As Slurm 22.05's `scontrol -o show nodes` prints them (fields trimmed): a node killed is
// first IDLE+...+NOT_RESPONDING (a ping missed), then DOWN+...+NOT_RESPONDING.
const char* kNodes =
    "NodeName=c1 Arch=x86_64 CoresPerSocket=1 State=IDLE+DYNAMIC_NORM ThreadsPerCore=1\n"
    "NodeName=c3 Arch=x86_64 State=DOWN+DYNAMIC_NORM+NOT_RESPONDING Reason=Not responding "
    "[slurm@2026-11-26T19:20:01]\n"
    "NodeName=q1 Arch=x86_64 State=IDLE+DYNAMIC_NORM+NOT_RESPONDING Gres=qpu:1\n"
    "NodeName=s1 Arch=x86_64 State=DOWN+NOT_RESPONDING Reason=static node, not ours to delete\n";

}  // namespace

TEST_CASE("scontrol's one-line records give name, silence and dynamic-ness") {
    std::vector<NodeState> nodes = parse_node_states(kNodes);
    REQUIRE(nodes.size() == 4);
    CHECK(nodes[0].name == "c1");
    CHECK_FALSE(nodes[0].not_responding);
    CHECK(nodes[0].dynamic);
    CHECK(nodes[1].name == "c3");
    CHECK(nodes[1].state == "DOWN+DYNAMIC_NORM+NOT_RESPONDING");
    CHECK(nodes[1].not_responding);
    CHECK(nodes[2].not_responding);  // silent, not yet declared down: counts from now
    CHECK_FALSE(nodes[3].dynamic);
}

TEST_CASE("a field is matched whole, and lines without a node are skipped") {
    std::vector<NodeState> nodes = parse_node_states(
        "No nodes in the system\n\nNodeName=x OtherState=IDLE+NOT_RESPONDING "
        "State=MIXED+DYNAMIC_NORMAL\n");
    REQUIRE(nodes.size() == 1);
    CHECK(nodes[0].state == "MIXED+DYNAMIC_NORMAL");
    CHECK_FALSE(nodes[0].not_responding);
    CHECK_FALSE(nodes[0].dynamic);
}

TEST_CASE("a dynamic node silent for the grace period is lost; static and answering ones never") {
    LostNodeWatch watch(120);
    std::vector<NodeState> nodes = parse_node_states(kNodes);
    CHECK(watch.observe(nodes, 1000).empty());  // silence starts being counted
    CHECK(watch.observe(nodes, 1119).empty());
    CHECK(watch.observe(nodes, 1120) == std::vector<std::string>{"c3", "q1"});
}

TEST_CASE("a node that answers again starts a new grace period when next silent") {
    LostNodeWatch watch(60);
    std::vector<NodeState> silent =
        parse_node_states("NodeName=c3 State=DOWN+DYNAMIC_NORM+NOT_RESPONDING\n");
    std::vector<NodeState> back = parse_node_states("NodeName=c3 State=IDLE+DYNAMIC_NORM\n");
    CHECK(watch.observe(silent, 0).empty());
    CHECK(watch.observe(back, 50).empty());
    CHECK(watch.observe(silent, 70).empty());  // 70 s after the first silence, 0 s after this one
    CHECK(watch.observe(silent, 129).empty());
    CHECK(watch.observe(silent, 130) == std::vector<std::string>{"c3"});
}

TEST_CASE("a node gone from the list is forgotten") {
    LostNodeWatch watch(60);
    std::vector<NodeState> silent =
        parse_node_states("NodeName=c3 State=DOWN+DYNAMIC_NORM+NOT_RESPONDING\n");
    CHECK(watch.observe(silent, 0).empty());
    CHECK(watch.observe({}, 30).empty());
    CHECK(watch.observe(silent, 61).empty());  // deleted, then back and silent again: anew
}

TEST_CASE("Slurm 24.11's unreachable node: DOWN, reason Not responding, no flag: silent too") {
    std::vector<NodeState> nodes = parse_node_states(
        "NodeName=c3 Arch=x86_64 State=DOWN+DYNAMIC_NORM ThreadsPerCore=1 Reason=Not responding "
        "[slurm@2026-12-02T21:00:18]\n"
        "NodeName=c4 Arch=x86_64 State=DOWN+DYNAMIC_NORM Reason=maintenance [root@2026-12-02]\n");
    REQUIRE(nodes.size() == 2);
    CHECK(nodes[0].not_responding);
    CHECK_FALSE(nodes[1].not_responding);  // set down by a person: not ours to delete
}
