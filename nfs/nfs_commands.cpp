#include "nfs/nfs_commands.hpp"

#include <sys/stat.h>

#include <csignal>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "nfs/fuse_nfs.hpp"
#include "nfs/kernel_mount.hpp"
#include "nfs/nfs_session.hpp"
#include "nfs/nfs_url.hpp"

namespace rqinit {
namespace {

constexpr int kNever = 100;  // a probe's "will never pass" (docs/reference.md, "Services")
constexpr int kProbeTimeoutMs = 3000;

std::optional<NfsUrl> url_or_say(const std::string& text) {
    NfsUrlResult parsed = parse_nfs_url(text);
    if (!parsed.url) std::cout << parsed.error << "\n";
    return parsed.url;
}

// A refusal by the MOUNT service does not change by asking again; an absent server does.
bool refused_for_good(const std::string& error) {
    return error.find("MNT3ERR_NOENT") != std::string::npos ||
           error.find("MNT3ERR_ACCES") != std::string::npos ||
           error.find("MNT3ERR_NOTDIR") != std::string::npos;
}

}  // namespace

int nfs_probe_command(const std::string& text) {
    auto url = url_or_say(text);
    if (!url) return kNever;
    NfsSession session;
    std::string error = session.connect(*url, kProbeTimeoutMs);
    if (error.empty()) return 0;
    std::cout << error << "\n";
    return refused_for_good(error) ? kNever : 1;
}

int nfs_fuse_command(const std::string& text) {
    auto url = url_or_say(text);
    if (!url) return 2;
    struct stat st;
    if (fstat(3, &st) != 0) {
        std::cout
            << "rqinit-nfs fuse: no FUSE connection on fd 3 (rqinit passes it to mount services)\n";
        return 2;
    }
    // The FUSE server takes SIGTERM with its own handler, so it must see it, whatever mask
    // the program that started it left blocked.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    return serve_fuse_nfs(*url, 3);
}

int nfs_mount_command(const std::string& text, const std::string& target) {
    auto url = url_or_say(text);
    if (!url) return 2;
    std::string error = mount_with_kernel_client(*url, target);
    if (error.empty()) return 0;
    std::cout << error << "\n";
    return 1;
}

int mount_check_command(const std::string& target) {
    // mountinfo's fifth field is the mount point (spaces escaped as \040; ours have none).
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line;
    bool mounted = false;
    while (!mounted && std::getline(mountinfo, line)) {
        std::istringstream fields(line);
        std::string id, parent, device, root, point;
        fields >> id >> parent >> device >> root >> point;
        mounted = point == target;
    }
    if (!mounted) {
        std::cout << target << " is not mounted\n";
        return 1;
    }
    struct stat st;
    if (stat(target.c_str(), &st) != 0) {
        std::cout << target << " does not answer: " << std::strerror(errno) << "\n";
        return 1;
    }
    return 0;
}

}  // namespace rqinit
