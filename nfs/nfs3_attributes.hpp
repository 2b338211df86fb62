// NFSv3's attributes and errors in the kernel's terms (struct stat, errno), both ways.
#pragma once

#include <sys/stat.h>

#include "nfs/libnfs.hpp"

namespace rqinit {

struct stat stat_from_fattr3(const fattr3& attributes);

// FUSE's setattr (to_set: FUSE_SET_ATTR_* bits) as what SETATTR3 sends.
sattr3 sattr3_from_stat(const struct stat& wanted, int to_set);
sattr3 sattr3_with_mode(mode_t mode);  // CREATE, MKDIR: only the mode; the server sets owners

int errno_from_nfsstat3(int status);  // a positive errno; EIO for what has none

}  // namespace rqinit
