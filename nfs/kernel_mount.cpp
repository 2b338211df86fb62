#include "nfs/kernel_mount.hpp"

#include <netdb.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace rqinit {

MountCall kernel_nfs_mount_call(const NfsUrl& url, const std::string& target,
                                const std::string& server_address) {
    MountCall call;
    call.source = url.server + ":" + url.export_path;
    call.target = target;
    call.fstype = url.version == 4 ? "nfs4" : "nfs";
    // nosuid, nodev: a file on a shared export must not carry privilege onto every node.
    call.flags = MS_NOSUID | MS_NODEV;
    // hard: a job waits for a restarting server instead of getting EIO. nolock (v3): no
    // rpc.statd runs in the container, so locks stay local to the node instead of failing.
    std::string data =
        "vers=" + std::to_string(url.version) + ",addr=" + server_address + ",proto=tcp,hard";
    if (url.version == 3) {
        data += ",mountproto=tcp,nolock";
        if (url.mount_port) data += ",mountport=" + std::to_string(url.mount_port);
    }
    if (url.port) data += ",port=" + std::to_string(url.port);
    call.data = data;
    return call;
}

bool kernel_has_nfs(std::string_view proc_filesystems) {
    // Lines are "nodev\tnfs" or "\text4": the name is the last tab-separated field.
    while (!proc_filesystems.empty()) {
        auto end = proc_filesystems.find('\n');
        std::string_view line = proc_filesystems.substr(0, end);
        proc_filesystems = end == std::string_view::npos ? "" : proc_filesystems.substr(end + 1);
        auto tab = line.rfind('\t');
        std::string_view name = tab == std::string_view::npos ? line : line.substr(tab + 1);
        if (name == "nfs" || name == "nfs4") return true;
    }
    return false;
}

namespace {

std::string resolve(const std::string& server, std::string& address) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int error = getaddrinfo(server.c_str(), nullptr, &hints, &found);
    if (error != 0) return "cannot resolve NFS server '" + server + "': " + gai_strerror(error);
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, freeaddrinfo);
    char text[NI_MAXHOST];
    error = getnameinfo(found->ai_addr, found->ai_addrlen, text, sizeof text, nullptr, 0,
                        NI_NUMERICHOST);
    if (error != 0) return "cannot print the address of '" + server + "': " + gai_strerror(error);
    address = text;
    return {};
}

}  // namespace

std::string mount_with_kernel_client(const NfsUrl& url, const std::string& target) {
    std::string address;
    if (std::string error = resolve(url.server, address); !error.empty()) return error;
    MountCall call = kernel_nfs_mount_call(url, target, address);
    if (mount(call.source.c_str(), call.target.c_str(), call.fstype.c_str(), call.flags,
              call.data.c_str()) != 0)
        return "mount " + url.text() + " on " + target + " (" + call.fstype + ", " + call.data +
               "): " + std::strerror(errno);
    return {};
}

}  // namespace rqinit
