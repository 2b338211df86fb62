// Mounting and unmounting, as PID 1 does it for the services that provide a file system.
// Kept here, apart from any file system's protocol: rqinit mounts a FUSE device it opened
// itself (so that the FUSE server never needs CAP_SYS_ADMIN) and unmounts what it mounted.
#pragma once

#include <string>

namespace rqinit {

struct FuseMountResult {
    int fd = -1;        // the /dev/fuse connection the server must answer on; close-on-exec
    std::string error;  // one line, when fd < 0
};

// Detaches whatever a crashed server left at target, then mounts a fresh FUSE connection there
// (allow_other, so that every user reaches it; nosuid, nodev). source is shown in /proc/mounts.
FuseMountResult mount_fuse(const std::string& target, const std::string& source);

struct UnmountResult {
    bool lazily = false;  // busy (a process still uses it): detached, gone when it lets go
    std::string users;    // when lazily: "python3 (pid 88), bash (pid 90)", for the log
    std::string error;    // one line, when it could not even be detached
};

// Unmounts target; a target with nothing mounted is no error.
UnmountResult unmount(const std::string& target);

}  // namespace rqinit
