// One connection to one NFS export through libnfs: what the FUSE server serves from and what
// the wait for a server tries. libnfs finds the ports (portmapper), mounts, and reconnects to a
// restarted server by itself, sending again what was in flight.
#pragma once

#include <string>

#include "nfs/nfs_url.hpp"

struct nfs_context;
struct rpc_context;

namespace rqinit {

class NfsSession {
  public:
    NfsSession();
    ~NfsSession();
    NfsSession(const NfsSession&) = delete;
    NfsSession& operator=(const NfsSession&) = delete;

    // Mounts the export. Returns "" or one line: the URL and libnfs's reason.
    std::string connect(const NfsUrl& url, int timeout_ms);
    // The export's root file handle, asked of the server's MOUNT service (libnfs 4.0 keeps its
    // own copy private). Returns "" or one line why not.
    std::string ask_root_handle(const NfsUrl& url, int timeout_ms, std::string& handle);

    nfs_context* nfs() const { return nfs_; }
    rpc_context* rpc() const;
    size_t max_read() const;
    size_t max_write() const;

  private:
    nfs_context* nfs_ = nullptr;
};

// Serves rpc until done is set, or timeout_ms passes (false), or the connection fails (false).
bool serve_until(rpc_context* rpc, const bool& done, int timeout_ms);

}  // namespace rqinit
