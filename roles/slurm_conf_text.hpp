// Reading Slurm configuration text as data: the settings of slurm.conf that Slurm's
// reconfigure cannot change, and node-features.conf, the features each node role adds to its
// nodes. Pure functions: `rqinit reconfigure` decides with them, the unit tests hold them.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace rqinit::slurm {

// slurm.conf's global settings, KEY (lower case) -> value as written; comments, Include lines
// and the keyed records (NodeName, PartitionName, NodeSet, DownNodes, FrontendName) left out.
// A key given twice keeps its last value, as Slurm does.
std::map<std::string, std::string> global_settings(const std::string& slurm_conf);

// The settings whose change `scontrol reconfigure` does not apply in Slurm 24.11 (scontrol(1),
// "reconfigure": the listening ports and authentication), each named as the new file spells it.
// Empty: a reconfigure is enough.
std::vector<std::string> changes_needing_restart(const std::string& old_conf,
                                                 const std::string& new_conf);

// The feature a node role's nodes always have: the NodeSets of slurm.conf select by it
// ("classical" for c, "qpu" for q). "" for a role that is not a node role.
std::string role_feature(const std::string& role);

// node-features.conf: lines "Role=c Features=avx,neon" (Features may be empty); comments (#)
// and blank lines ignored. Each role's extra features; errors name the line and the fix.
struct NodeFeatures {
    std::map<std::string, std::vector<std::string>> extra;  // role -> features, in file order
    std::vector<std::string> errors;
};
NodeFeatures parse_node_features(const std::string& text, const std::string& file_name);

// The features a node of role should have: its role feature, then the extra ones, no repeats;
// comma-separated, as scontrol takes and prints them.
std::string wanted_features(const std::string& role, const NodeFeatures& features);

}  // namespace rqinit::slurm
