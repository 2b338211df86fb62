// A compute node's size as its container declares it (RQINIT_NODE_SIZE), for slurmd -Z --conf.
// Empty: slurmd reports the real hardware, the default (README, "Node sizes"). Otherwise the
// architecture document's way, e.g. "CPUs=4 RealMemory=1000": whole numbers above 0 for the
// hardware keys Slurm's node records take, so that a typo is one clear error at the start, not
// a node that registers with a wrong size or not at all.
#pragma once

#include <string>

namespace rqinit::slurm {

struct NodeSize {
    std::string conf;   // "CPUs=4 RealMemory=1000", single-spaced; "" for the real hardware
    std::string error;  // one line naming the value and the fix; "" if none
};

NodeSize parse_node_size(const std::string& text);

// What is wrong with RQINIT_NODE_SIZE=text in a container of role, in one line; "" if nothing
// (empty text, or a well-formed size on a compute node: c or q).
std::string node_size_error(const std::string& role, const std::string& text);

}  // namespace rqinit::slurm
