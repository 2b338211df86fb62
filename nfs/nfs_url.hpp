// An NFS export named as a URL: nfs://SERVER[:PORT]/EXPORT[?version=3|4&nfsport=N&mountport=N].
// The server is a name (a Compose or Swarm service, a NAS's host name), resolved where the
// mount happens; nothing here looks it up.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rqinit {

struct NfsUrl {
    std::string server;       // "nfs"
    int port = 0;             // the NFS port; 0: ask the server's portmapper (v3) or 2049 (v4)
    int mount_port = 0;       // the MOUNT protocol's port (v3); 0: ask the portmapper
    std::string export_path;  // "/shared"
    int version = 3;

    std::string text() const;  // back to its URL form, for messages and libnfs
};

struct NfsUrlResult {
    std::optional<NfsUrl> url;
    std::string error;  // when url is empty: one line naming the value and the fix
};

NfsUrlResult parse_nfs_url(std::string_view text);

}  // namespace rqinit
