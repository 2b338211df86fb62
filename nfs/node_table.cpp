#include "nfs/node_table.hpp"

namespace rqinit {

NodeTable::NodeTable(std::string root_handle) {
    by_handle_[root_handle] = kRoot;
    nodes_[kRoot] = {std::move(root_handle), 1};
}

uint64_t NodeTable::remember(const std::string& handle) {
    auto [found, added] = by_handle_.try_emplace(handle, next_);
    if (added) nodes_[next_++] = {handle, 0};
    nodes_[found->second].lookups++;
    return found->second;
}

const std::string* NodeTable::handle(uint64_t node) const {
    auto found = nodes_.find(node);
    return found == nodes_.end() ? nullptr : &found->second.handle;
}

void NodeTable::forget(uint64_t node, uint64_t lookups) {
    if (node == kRoot) return;
    auto found = nodes_.find(node);
    if (found == nodes_.end()) return;
    Node& n = found->second;
    n.lookups = lookups >= n.lookups ? 0 : n.lookups - lookups;
    if (n.lookups > 0) return;
    by_handle_.erase(n.handle);
    nodes_.erase(found);
}

}  // namespace rqinit
