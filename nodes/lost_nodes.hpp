// Which of Slurm's dynamic nodes are lost: not responding to slurmctld for longer than a grace
// period. A compute container killed, or its host gone, never runs its own `scontrol delete`
// (roles/node_roles.cpp does that on a clean stop), and Slurm (22.05 as 24.11) keeps such a node,
// down and not responding, forever; rqinit-lost-nodes deletes it once this says so. Pure: the
// caller runs scontrol.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rqinit {

struct NodeState {
    std::string name;
    std::string state;            // State=, e.g. "DOWN+DYNAMIC_NORM+NOT_RESPONDING"
    bool not_responding = false;  // the NOT_RESPONDING flag (sinfo's '*' after the state)
    bool dynamic = false;         // registered with slurmd -Z: the only kind one may delete
};

// The nodes of `scontrol -o show nodes` (one node a line). Lines without NodeName= or State=
// (an empty cluster says "No nodes in the system") are skipped.
std::vector<NodeState> parse_node_states(std::string_view scontrol_output);

// Remembers since when each dynamic node has not responded. A node that answers again, or is
// gone from the list, is forgotten: its next silence starts a new grace period.
class LostNodeWatch {
  public:
    explicit LostNodeWatch(double grace_seconds) : grace_(grace_seconds) {}

    // The nodes silent for at least the grace period at `now` (seconds, any steady clock),
    // in name order. They stay tracked until a later observe() no longer lists them.
    std::vector<std::string> observe(const std::vector<NodeState>& nodes, double now);

  private:
    double grace_;
    std::map<std::string, double> silent_since_;
};

}  // namespace rqinit
