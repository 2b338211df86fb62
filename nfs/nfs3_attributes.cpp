#include "nfs/nfs3_attributes.hpp"

#include <fuse_lowlevel.h>

#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>

#include "nfs/libnfs.hpp"

namespace rqinit {
namespace {

mode_t file_type(ftype3 type) {
    switch (type) {
        case NF3REG:
            return S_IFREG;
        case NF3DIR:
            return S_IFDIR;
        case NF3BLK:
            return S_IFBLK;
        case NF3CHR:
            return S_IFCHR;
        case NF3LNK:
            return S_IFLNK;
        case NF3SOCK:
            return S_IFSOCK;
        case NF3FIFO:
            return S_IFIFO;
    }
    return S_IFREG;
}

timespec to_timespec(const nfstime3& time) {
    return {static_cast<time_t>(time.seconds), static_cast<long>(time.nseconds)};
}

nfstime3 to_nfstime(const timespec& time) {
    return {static_cast<u_int>(time.tv_sec), static_cast<u_int>(time.tv_nsec)};
}

}  // namespace

struct stat stat_from_fattr3(const fattr3& a) {
    struct stat st;
    std::memset(&st, 0, sizeof st);
    st.st_ino = a.fileid;
    st.st_mode = file_type(a.type) | (a.mode & 07777);
    st.st_nlink = a.nlink;
    st.st_uid = a.uid;
    st.st_gid = a.gid;
    st.st_size = static_cast<off_t>(a.size);
    st.st_blksize = 4096;
    st.st_blocks = static_cast<blkcnt_t>((a.used + 511) / 512);
    st.st_rdev = makedev(a.rdev.specdata1, a.rdev.specdata2);
    st.st_atim = to_timespec(a.atime);
    st.st_mtim = to_timespec(a.mtime);
    st.st_ctim = to_timespec(a.ctime);
    return st;
}

sattr3 sattr3_from_stat(const struct stat& wanted, int to_set) {
    sattr3 s;
    std::memset(&s, 0, sizeof s);
    if (to_set & FUSE_SET_ATTR_MODE) {
        s.mode.set_it = 1;
        s.mode.set_mode3_u.mode = wanted.st_mode & 07777;
    }
    if (to_set & FUSE_SET_ATTR_UID) {
        s.uid.set_it = 1;
        s.uid.set_uid3_u.uid = wanted.st_uid;
    }
    if (to_set & FUSE_SET_ATTR_GID) {
        s.gid.set_it = 1;
        s.gid.set_gid3_u.gid = wanted.st_gid;
    }
    if (to_set & FUSE_SET_ATTR_SIZE) {
        s.size.set_it = 1;
        s.size.set_size3_u.size = static_cast<uint64_t>(wanted.st_size);
    }
    if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
        s.atime.set_it = SET_TO_SERVER_TIME;
    } else if (to_set & FUSE_SET_ATTR_ATIME) {
        s.atime.set_it = SET_TO_CLIENT_TIME;
        s.atime.set_atime_u.atime = to_nfstime(wanted.st_atim);
    }
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
        s.mtime.set_it = SET_TO_SERVER_TIME;
    } else if (to_set & FUSE_SET_ATTR_MTIME) {
        s.mtime.set_it = SET_TO_CLIENT_TIME;
        s.mtime.set_mtime_u.mtime = to_nfstime(wanted.st_mtim);
    }
    return s;
}

sattr3 sattr3_with_mode(mode_t mode) {
    sattr3 s;
    std::memset(&s, 0, sizeof s);
    s.mode.set_it = 1;
    s.mode.set_mode3_u.mode = mode & 07777;
    return s;
}

int errno_from_nfsstat3(int status) {
    int error = -nfsstat3_to_errno(status);  // libnfs answers -errno
    return error > 0 ? error : EIO;
}

}  // namespace rqinit
