// A compute node's size, for slurmd -Z --conf. By default the size the cluster's design gives
// each role (a classical node 4 CPUs and 1000 MB, a quantum node 1 CPU and 1000 MB), so that
// several node containers on one board do not each claim the whole board. A container may
// declare another (RQINIT_NODE_SIZE, e.g. "CPUs=2 RealMemory=500": whole numbers above 0 for the
// hardware keys Slurm's node records take, so that a typo is one clear error at the start, not
// a node that registers with a wrong size or not at all), or "hardware": what slurmd finds.
#pragma once

#include <string>

namespace rqinit::slurm {

struct NodeSize {
    std::string conf;   // "CPUs=4 RealMemory=1000", single-spaced; "" for the real hardware
    std::string error;  // one line naming the value and the fix; "" if none
};

NodeSize parse_node_size(const std::string& text);

// RQINIT_NODE_SIZE's word for the real hardware.
inline constexpr const char* kHardwareSize = "hardware";

// What a node of role (c or q) declares to slurmd: its role's size when text is blank, nothing
// (the real hardware) for "hardware", else text's size. text must have passed node_size_error.
std::string node_size_conf(const std::string& role, const std::string& text);

// What is wrong with RQINIT_NODE_SIZE=text in a container of role, in one line; "" if nothing
// (empty text, or a well-formed size on a compute node: c or q).
std::string node_size_error(const std::string& role, const std::string& text);

}  // namespace rqinit::slurm
