// FUSE node ids <-> NFS file handles. The kernel names files by node id and counts its
// lookups of each; the NFS server names them by handle. A node lives while the kernel holds
// a lookup of it (FUSE's forget lowers the count); the root (node 1) lives for ever.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace rqinit {

class NodeTable {
  public:
    static constexpr uint64_t kRoot = 1;  // FUSE_ROOT_ID

    explicit NodeTable(std::string root_handle);

    // The node of handle, with one more lookup counted (what a FUSE entry reply promises).
    uint64_t remember(const std::string& handle);
    // The handle of node, or nullptr for a node the kernel has forgotten (ESTALE).
    const std::string* handle(uint64_t node) const;
    void forget(uint64_t node, uint64_t lookups);
    size_t size() const { return nodes_.size(); }

  private:
    struct Node {
        std::string handle;
        uint64_t lookups = 0;
    };
    std::unordered_map<uint64_t, Node> nodes_;
    std::unordered_map<std::string, uint64_t> by_handle_;
    uint64_t next_ = kRoot + 1;
};

}  // namespace rqinit
