#include "init/mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rqinit {

FuseMountResult mount_fuse(const std::string& target, const std::string& source) {
    // A server that died leaves its mount answering ENOTCONN; a new one cannot mount over it
    // usefully. EINVAL: nothing was mounted there, the usual case.
    umount2(target.c_str(), MNT_DETACH);
    mkdir(target.c_str(), 0755);  // EEXIST is the usual case; mount says if it is not a dir
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return {-1, std::string("open /dev/fuse: ") + std::strerror(errno) +
                        " (give the container the device: devices: [/dev/fuse])"};
    // rootmode: the root's file type; user_id/group_id: who mounted (root). allow_other lets
    // every user in, and the server's own checks (the NFS server's, per caller) decide.
    std::string data =
        "fd=" + std::to_string(fd) + ",rootmode=40000,user_id=0,group_id=0,allow_other";
    if (mount(source.c_str(), target.c_str(), "fuse.rqinit-nfs", MS_NOSUID | MS_NODEV,
              data.c_str()) != 0) {
        int error = errno;
        close(fd);
        return {-1, "mount a FUSE file system on " + target + ": " + std::strerror(error) +
                        (error == EPERM ? " (the container needs cap_add: [SYS_ADMIN])" : "")};
    }
    return {fd, {}};
}

UnmountResult unmount(const std::string& target) {
    if (umount2(target.c_str(), 0) == 0 || errno == EINVAL || errno == ENOENT) return {};
    if (errno == EBUSY && umount2(target.c_str(), MNT_DETACH) == 0) return {true, {}};
    return {false, "unmount " + target + ": " + std::strerror(errno)};
}

}  // namespace rqinit
