#include "nodes/lost_nodes.hpp"

#include "nodes/scontrol_record.hpp"

#include <algorithm>

namespace rqinit {

namespace {

NodeState node_of(std::string_view line) {
    NodeState node;
    node.name = std::string(scontrol_field(line, "NodeName="));
    node.state = std::string(scontrol_field(line, "State="));
    // "DOWN+DYNAMIC_NORM+NOT_RESPONDING": the base state, then '+' flags, as scontrol prints
    // it; sinfo's "down*" is the same node.
    std::string flags = node.state.substr(std::min(node.state.find('+'), node.state.size())) + "+";
    // Slurm 24.11 sets a node it could not reach for SlurmdTimeout DOWN with the reason "Not
    // responding" and clears the flag; that node is as silent.
    node.not_responding = flags.find("+NOT_RESPONDING+") != std::string::npos ||
                          (node.state.starts_with("DOWN") &&
                           line.find(" Reason=Not responding ") != std::string_view::npos);
    node.dynamic = flags.find("+DYNAMIC_NORM+") != std::string::npos ||
                   flags.find("+DYNAMIC_FUTURE+") != std::string::npos;
    return node;
}

}  // namespace

std::vector<NodeState> parse_node_states(std::string_view scontrol_output) {
    std::vector<NodeState> nodes;
    while (!scontrol_output.empty()) {
        size_t end = scontrol_output.find('\n');
        NodeState node = node_of(scontrol_output.substr(0, end));
        if (!node.name.empty() && !node.state.empty()) nodes.push_back(std::move(node));
        scontrol_output.remove_prefix(end == std::string_view::npos ? scontrol_output.size()
                                                                    : end + 1);
    }
    return nodes;
}

std::vector<std::string> LostNodeWatch::observe(const std::vector<NodeState>& nodes, double now) {
    std::map<std::string, double> still_silent;
    std::vector<std::string> lost;
    for (const NodeState& node : nodes) {
        if (!node.dynamic || !node.not_responding) continue;
        auto known = silent_since_.find(node.name);
        double since = known == silent_since_.end() ? now : known->second;
        still_silent[node.name] = since;
        if (now - since >= grace_) lost.push_back(node.name);
    }
    silent_since_ = std::move(still_silent);
    std::sort(lost.begin(), lost.end());
    return lost;
}

}  // namespace rqinit
