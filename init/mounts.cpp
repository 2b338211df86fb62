#include "init/mounts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

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

namespace {

bool under(const std::string& path, const std::string& target) {
    return path == target || path.rfind(target + "/", 0) == 0;
}

std::string link_of(const std::string& path) {
    char buffer[4096];
    ssize_t length = readlink(path.c_str(), buffer, sizeof buffer - 1);
    return length > 0 ? std::string(buffer, length) : "";
}

// Which processes keep target busy (their directory, root or an open file is under it): the
// operator's question when a mount cannot go. At most three named.
std::string users_of(const std::string& target) {
    std::string users;
    int named = 0;
    DIR* proc = opendir("/proc");
    if (!proc) return users;
    while (dirent* entry = readdir(proc)) {
        if (named == 3 || !std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
        std::string base = std::string("/proc/") + entry->d_name;
        bool uses = under(link_of(base + "/cwd"), target) || under(link_of(base + "/root"), target);
        if (DIR* fds = uses ? nullptr : opendir((base + "/fd").c_str())) {
            while (dirent* fd = readdir(fds))
                if (fd->d_name[0] != '.' && under(link_of(base + "/fd/" + fd->d_name), target)) {
                    uses = true;
                    break;
                }
            closedir(fds);
        }
        if (!uses) continue;
        std::ifstream comm(base + "/comm");
        std::string name;
        std::getline(comm, name);
        users += (named++ ? ", " : "") + name + " (pid " + entry->d_name + ")";
    }
    closedir(proc);
    return users;
}

}  // namespace

UnmountResult unmount(const std::string& target) {
    // A probe just killed may take a few milliseconds to let go of the mount: a short wait,
    // bounded (PID 1 waits here), before settling for a lazy detach.
    for (int attempt = 0; attempt < 10; ++attempt) {
        if (umount2(target.c_str(), 0) == 0 || errno == EINVAL || errno == ENOENT) return {};
        if (errno != EBUSY) break;
        usleep(20 * 1000);
    }
    if (errno == EBUSY) {
        std::string users = users_of(target);
        if (umount2(target.c_str(), MNT_DETACH) == 0) return {true, users, {}};
    }
    return {false, {}, "unmount " + target + ": " + std::strerror(errno)};
}

}  // namespace rqinit
