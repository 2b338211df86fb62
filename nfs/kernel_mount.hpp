// The kernel's NFS client, where there is one (a Raspberry Pi's kernel has it; these build
// machines do not): exactly what rqinit passes to mount(2), built apart so that a unit test can
// check it without a kernel client.
#pragma once

#include <string>
#include <string_view>

#include "nfs/nfs_url.hpp"

namespace rqinit {

struct MountCall {
    std::string source;  // "nfs:/shared"
    std::string target;  // "/shared"
    std::string fstype;  // "nfs" or "nfs4"
    unsigned long flags = 0;
    std::string data;  // the text options mount.nfs would give the kernel
};

// server_address: the server's address, looked up by name at mount time (the kernel takes
// only an address in addr=; the URL and the config hold only the name).
MountCall kernel_nfs_mount_call(const NfsUrl& url, const std::string& target,
                                const std::string& server_address);

// Whether /proc/filesystems (its text) lists the kernel's NFS client.
bool kernel_has_nfs(std::string_view proc_filesystems);

// Looks the server up, then mounts. Returns "" or one line saying what failed.
std::string mount_with_kernel_client(const NfsUrl& url, const std::string& target);

}  // namespace rqinit
