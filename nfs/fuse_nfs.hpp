// `rqinit-nfs fuse URL`: a FUSE file system over one NFSv3 export, served by libnfs.
//
// rqinit (PID 1) has mounted the FUSE device and passes it as fd 3, so this process needs no
// capability at all. Each kernel request becomes one NFSv3 call, sent asynchronously with the
// caller's uid, gid and groups (AUTH_SYS): the server's permission checks and root squash
// apply to each user as on any NFS client. Replies come back through one poll loop, so reads,
// writes and lookups from many processes are in flight together.
#pragma once

#include "nfs/nfs_url.hpp"

namespace rqinit {

// Serves until the mount goes away (0) or the server cannot be reached any more (1).
int serve_fuse_nfs(const NfsUrl& url, int fuse_fd);

}  // namespace rqinit
