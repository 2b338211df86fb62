// Turns a plan's mounts into services that the supervisor already knows how to run:
//   export-NAME  a wait: `rqinit-nfs probe URL` until the server answers a mount of the export
//   mount-NAME   the FUSE server (`rqinit-nfs fuse URL`, rqinit mounts /dev/fuse for it), or a
//                oneshot `rqinit-nfs mount URL TARGET` that asks the kernel's client
// and makes every service that needs the mounts depend on them. NAME comes from the target:
// /shared -> shared, /data/in -> data-in.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "init/plan.hpp"

namespace rqinit {

struct MountEnvironment {
    std::string nfs_helper_path;  // rqinit-nfs, which probes, serves and mounts the exports
    bool kernel_has_nfs = false;  // /proc/filesystems lists nfs: `auto` means the kernel
};

// Adds the services; returns one line per problem (a bad URL, a target given twice).
std::vector<std::string> add_mount_services(Plan& plan, const MountEnvironment& environment);

// RQINIT_MOUNTS: "TARGET=URL" pairs separated by spaces or commas, e.g.
// "/shared=nfs://nfs/shared /home=nfs://nfs/home". Empty: no mounts.
std::vector<MountSpec> parse_mount_list(std::string_view text, const std::string& origin,
                                        std::vector<std::string>& errors);

}  // namespace rqinit
