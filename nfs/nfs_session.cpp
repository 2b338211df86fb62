#include "nfs/nfs_session.hpp"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "nfs/libnfs.hpp"

namespace rqinit {

NfsSession::NfsSession() : nfs_(nfs_init_context()) {
    if (!nfs_) throw std::runtime_error("libnfs: cannot make a context (out of memory?)");
}

NfsSession::~NfsSession() {
    nfs_destroy_context(nfs_);
}

rpc_context* NfsSession::rpc() const {
    return nfs_get_rpc_context(nfs_);
}
size_t NfsSession::max_read() const {
    return nfs_get_readmax(nfs_);
}
size_t NfsSession::max_write() const {
    return nfs_get_writemax(nfs_);
}

std::string NfsSession::connect(const NfsUrl& url, int timeout_ms) {
    // The URL's options (version, nfsport, mountport) set the context's.
    nfs_url* parsed = nfs_parse_url_dir(nfs_, url.text().c_str());
    if (!parsed) return url.text() + ": " + nfs_get_error(nfs_);
    nfs_destroy_url(parsed);
    nfs_set_timeout(nfs_, timeout_ms);
    if (nfs_mount(nfs_, url.server.c_str(), url.export_path.c_str()) != 0)
        return url.text() + ": " + nfs_get_error(nfs_);
    nfs_set_timeout(nfs_, -1);  // once mounted, a slow server is waited for, as with `hard`
    return {};
}

bool serve_until(rpc_context* rpc, const bool& done, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        pollfd p{rpc_get_fd(rpc), static_cast<short>(rpc_which_events(rpc)), 0};
        int n = poll(&p, 1, 100);
        if (n < 0 && errno != EINTR) return false;
        if (rpc_service(rpc, n > 0 ? p.revents : 0) < 0) return false;
    }
    return true;
}

namespace {

struct MountReply {
    bool done = false;
    std::string error;
    std::string handle;
};

void on_mnt(rpc_context*, int status, void* data, void* private_data) {
    auto* reply = static_cast<MountReply*>(private_data);
    reply->done = true;
    if (status != RPC_STATUS_SUCCESS) {
        reply->error = data ? static_cast<const char*>(data) : "the MOUNT call was cancelled";
        return;
    }
    auto* result = static_cast<mountres3*>(data);
    if (result->fhs_status != MNT3_OK) {
        reply->error = "the server refused the mount (MOUNT status " +
                       std::to_string(result->fhs_status) + ")";
        return;
    }
    const fhandle3& fh = result->mountres3_u.mountinfo.fhandle;
    reply->handle.assign(fh.fhandle3_val, fh.fhandle3_len);
}

void on_connected(rpc_context* rpc, int status, void* data, void* private_data) {
    auto* reply = static_cast<MountReply*>(private_data);
    if (status != RPC_STATUS_SUCCESS) {
        reply->done = true;
        reply->error = data ? static_cast<const char*>(data) : "connect cancelled";
        return;
    }
    auto* export_path = static_cast<char*>(const_cast<char*>(reply->handle.c_str()));
    if (rpc_mount3_mnt_async(rpc, on_mnt, export_path, reply) != 0) {
        reply->done = true;
        reply->error = rpc_get_error(rpc);
    }
}

}  // namespace

std::string NfsSession::ask_root_handle(const NfsUrl& url, int timeout_ms, std::string& handle) {
    std::unique_ptr<rpc_context, decltype(&rpc_destroy_context)> rpc(rpc_init_context(),
                                                                     rpc_destroy_context);
    if (!rpc) return "libnfs: cannot make an RPC context";
    MountReply reply;
    reply.handle = url.export_path;  // carried to on_connected, then replaced by the handle
    int started =
        url.mount_port
            ? rpc_connect_async(rpc.get(), url.server.c_str(), url.mount_port, on_connected, &reply)
            : rpc_connect_program_async(rpc.get(), url.server.c_str(), MOUNT_PROGRAM, MOUNT_V3,
                                        on_connected, &reply);
    if (started != 0) return url.text() + ": " + rpc_get_error(rpc.get());
    if (!serve_until(rpc.get(), reply.done, timeout_ms))
        return url.text() + ": no MOUNT reply within " + std::to_string(timeout_ms) + " ms";
    if (!reply.error.empty()) return url.text() + ": " + reply.error;
    handle = reply.handle;
    return {};
}

}  // namespace rqinit
