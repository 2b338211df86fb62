#include "nodes/node_registration.hpp"

#include <doctest/doctest.h>

using namespace rqinit;

namespace {

// As Slurm 22.05's `scontrol -o show node c3` prints it (fields trimmed).
NodeAnswer listed(const char* address, const char* started,
                  const char* state = "IDLE+DYNAMIC_NORM") {
    return {0, std::string("NodeName=c3 Arch=x86_64 NodeAddr=") + address +
                   " NodeHostName=c3 Version=22.05.8 State=" + state +
                   " BootTime=2026-11-26T23:21:08 SlurmdStartTime=" + started +
                   " LastBusyTime=2026-11-27T02:57:49\n"};
}
const NodeAnswer kNotFound{1, "Node c3 not found\n"};
const NodeAnswer kNoController{
    1, "slurm_load_node error: Unable to contact slurm controller (connect failure)\n"};

}  // namespace

TEST_CASE("watch: a node the controller forgot has slurmd register again") {
    CHECK(watch_action("c3", kNotFound) == WatchAction::restart_slurmd);
    // Another node's name in the message is not this node.
    CHECK(watch_action("c3", {1, "Node c33 not found\n"}) == WatchAction::none);
}

TEST_CASE("watch: a node listed at an address is named again; at its name, left alone") {
    CHECK(watch_action("c3", listed("10.0.1.140", "2026-11-27T02:57:28")) ==
          WatchAction::pin_address);
    CHECK(watch_action("c3", listed("c3", "2026-11-27T02:57:28")) == WatchAction::none);
}

TEST_CASE("watch: no controller, no news: nothing is done") {
    CHECK(watch_action("c3", kNoController) == WatchAction::none);
    CHECK(watch_action("c3", {0, ""}) == WatchAction::none);
}

TEST_CASE("the mark of a registration is the controller's SlurmdStartTime") {
    CHECK(registration_mark(listed("c3", "2026-11-27T02:57:28")) == "2026-11-27T02:57:28");
    CHECK(registration_mark(kNotFound).empty());
    // A restarted controller, before the node's slurmd has answered it again.
    CHECK(registration_mark(listed("c3", "None")).empty());
    CHECK(registration_mark(kNoController).empty());
}

TEST_CASE("leaving: the entry is deleted only while it is this node's registration") {
    const char* ours = "2026-11-27T02:41:00";
    CHECK(leave_action(ours, listed("c3", ours)) == LeaveAction::delete_node);
    // A Swarm task replaced while cut off: the new task registered as c3 after this one.
    CHECK(leave_action(ours, listed("c3", "2026-11-27T02:57:08")) == LeaveAction::leave_alone);
    // Nothing recorded, or nothing to compare with: a clean stop deletes, as it always did.
    CHECK(leave_action("", listed("c3", ours)) == LeaveAction::delete_node);
    CHECK(leave_action(ours, kNoController) == LeaveAction::delete_node);
    CHECK(leave_action(ours, kNotFound) == LeaveAction::delete_node);
    CHECK(leave_action(ours, listed("c3", "None")) == LeaveAction::delete_node);
    CHECK(leave_action(ours, listed("c3", "2026-11-27T02:40:59")) == LeaveAction::delete_node);
}

TEST_CASE("stopping: a node is set down first, busy or idle; another's entry, or none, is not") {
    const char* ours = "2026-11-27T02:41:00";
    for (const char* state : {"ALLOCATED+DYNAMIC_NORM", "MIXED+DYNAMIC_NORM",
                              "IDLE+COMPLETING+DYNAMIC_NORM", "IDLE+DYNAMIC_NORM"}) {
        CAPTURE(state);
        CHECK(stop_action(ours, listed("c3", ours, state)) == StopAction::down_first);
    }
    // A Swarm task replaced while cut off: the entry, and its jobs, are the new task's.
    CHECK(stop_action(ours, listed("c3", "2026-11-27T02:57:08", "ALLOCATED+DYNAMIC_NORM")) ==
          StopAction::nothing);
    CHECK(stop_action(ours, kNoController) == StopAction::nothing);
    CHECK(stop_action(ours, kNotFound) == StopAction::nothing);
}

TEST_CASE("a node holds jobs while it is allocated, mixed or completing") {
    for (const char* state :
         {"ALLOCATED+DYNAMIC_NORM", "MIXED+DYNAMIC_NORM", "DOWN+COMPLETING+DYNAMIC_NORM"}) {
        CAPTURE(state);
        CHECK(holds_jobs(listed("c3", "2026-11-27T02:41:00", state)));
    }
    CHECK_FALSE(holds_jobs(listed("c3", "2026-11-27T02:41:00", "DOWN+DYNAMIC_NORM")));
    CHECK_FALSE(holds_jobs(listed("c3", "2026-11-27T02:41:00")));
    CHECK_FALSE(holds_jobs(kNoController));
}
