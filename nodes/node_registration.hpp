// What a compute node does about its own entry in slurmctld, decided from what scontrol says.
// Pure: rqinit-node (nodes/node_main.cpp) runs scontrol and acts.
//
// Three facts of Slurm's dynamic nodes (22.05 as 24.11) shape it:
// - A dynamic node's address is the one it registered from (slurmd -Z; NodeAddr in --conf is
//   ignored), and the controller keeps it, and saves it: a container back with a new address is
//   unreachable until the node's address is its name again, which Docker's DNS resolves afresh each
//   time.
// - slurmctld saves its state a few seconds after a change; a controller killed in between
//   comes back with the node as it was saved: unknown, or at the address it registered from.
// - slurmd registers only when it starts. A node deleted under a live slurmd stays out.
#pragma once

#include <string>
#include <string_view>

namespace rqinit {

// What `scontrol -o show node NAME` gave: its exit status and what it printed.
struct NodeAnswer {
    int exit_code = -1;
    std::string output;
};

// What a node's watch does after one look at its own entry.
enum class WatchAction {
    none,            // listed at its name, or no answer at all (no controller: nothing to do)
    pin_address,     // listed at another address (an IP it registered from): name it again
    restart_slurmd,  // the controller does not know the node: slurmd must register again
};
WatchAction watch_action(std::string_view name, const NodeAnswer& answer);

// The mark of one registration: the controller's SlurmdStartTime of the node, "" when the
// answer has none. Two slurmds registering as one name (a Swarm task replaced while its old
// task still runs) have different marks.
std::string registration_mark(const NodeAnswer& answer);

// What a node that stops does with its entry, given the mark it recorded when it joined.
enum class LeaveAction {
    delete_node,  // the entry is this node's registration (or none was recorded): delete it
    leave_alone,  // another slurmd has registered as this name since: the entry is its
};
LeaveAction leave_action(std::string_view recorded_mark, const NodeAnswer& answer);

// True while the entry holds jobs: its State is ALLOCATED, MIXED or COMPLETING.
bool holds_jobs(const NodeAnswer& answer);

// What a node about to stop slurmd does first. Its jobs end with the container; told nothing,
// the controller keeps them running on an entry it cannot delete ("still in use") until it next
// asks the node to register, minutes later. Set DOWN while slurmd still runs, the node has Slurm
// requeue its batch jobs (or end the others NODE_FAIL) at once, and slurmd kill their processes.
// An idle node is set DOWN too: the scheduler could give it a job between this look and
// slurmd's end, and that job would be stranded the same way.
enum class StopAction {
    nothing,     // the controller does not list the node, or the entry is another slurmd's
    down_first,  // set the node DOWN, wait for its jobs to leave it, then stop slurmd
};
StopAction stop_action(std::string_view recorded_mark, const NodeAnswer& answer);

}  // namespace rqinit
