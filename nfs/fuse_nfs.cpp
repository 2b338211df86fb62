#include "nfs/fuse_nfs.hpp"

#include <fuse_lowlevel.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

#include "nfs/libnfs.hpp"

#include "nfs/nfs3_attributes.hpp"
#include "nfs/nfs_session.hpp"
#include "nfs/node_table.hpp"

namespace rqinit {
namespace {

// NFS clients cache attributes a few seconds; one keeps what one node writes visible on the
// next within a second, which is what jobs moving between nodes expect.
constexpr double kAttributeSeconds = 1.0;
constexpr size_t kLargestTransfer = 1 << 20;

// One NFS call in flight for one kernel request. done runs with the decoded reply; a failed
// call (the connection gone for good) answers the kernel EIO instead.
struct Call {
    fuse_req_t req;
    std::function<void(void*)> done;
};

void on_reply(rpc_context*, int status, void* data, void* private_data) {
    std::unique_ptr<Call> call(static_cast<Call*>(private_data));
    if (status == RPC_STATUS_SUCCESS) return call->done(data);
    // Cancelled: the session is being torn down at the end; nothing failed that matters.
    if (status == RPC_STATUS_CANCEL)
        spdlog::debug("an NFS call was cancelled at the end of the session");
    else
        spdlog::warn("an NFS call failed: {}", data ? static_cast<const char*>(data) : "timed out");
    fuse_reply_err(call->req, EIO);
}

nfs_fh3 fh3(const std::string& handle) {
    nfs_fh3 fh;
    fh.data.data_len = static_cast<u_int>(handle.size());
    fh.data.data_val = const_cast<char*>(handle.data());
    return fh;
}

// What a post-op attribute or handle carries, when the server sent it.
const fattr3* attributes_of(const post_op_attr& attr) {
    return attr.attributes_follow ? &attr.post_op_attr_u.attributes : nullptr;
}

class FuseNfs {
  public:
    FuseNfs(NfsSession& session, std::string root_handle)
        : session_(session), rpc_(session.rpc()), nodes_(std::move(root_handle)) {}

    // The caller's identity on every call that follows: AUTH_SYS credentials are encoded when
    // a call is queued, so one switch per change of caller is enough.
    void act_as_caller(fuse_req_t req) {
        const fuse_ctx* ctx = fuse_req_ctx(req);
        std::vector<uint32_t> groups = groups_of(req, ctx->pid);
        Caller caller{ctx->uid, ctx->gid, groups};
        if (caller == current_) return;
        rpc_set_auth(rpc_,
                     libnfs_authunix_create("rqinit", caller.uid, caller.gid,
                                            static_cast<uint32_t>(groups.size()), groups.data()));
        current_ = std::move(caller);
    }

    // Queues one NFS call for req; done gets the reply.
    template <class Args>
    void send(fuse_req_t req, int (*function)(rpc_context*, rpc_cb, Args*, void*), Args& args,
              std::function<void(void*)> done) {
        act_as_caller(req);
        auto* call = new Call{req, std::move(done)};
        if (function(rpc_, on_reply, &args, call) != 0) {
            delete call;
            spdlog::warn("cannot queue an NFS call: {}", rpc_get_error(rpc_));
            fuse_reply_err(req, EIO);
        }
    }

    // The handle of a node, or an ESTALE answer to the kernel (nullptr).
    const std::string* handle_or_reply(fuse_req_t req, fuse_ino_t node) {
        const std::string* handle = nodes_.handle(node);
        if (!handle) fuse_reply_err(req, ESTALE);
        return handle;
    }

    void reply_entry(fuse_req_t req, const std::string& handle, const fattr3& attributes) {
        fuse_entry_param entry;
        std::memset(&entry, 0, sizeof entry);
        entry.ino = nodes_.remember(handle);
        entry.attr = stat_from_fattr3(attributes);
        entry.attr_timeout = kAttributeSeconds;
        entry.entry_timeout = kAttributeSeconds;
        fuse_reply_entry(req, &entry);
    }

    // CREATE, MKDIR, SYMLINK, MKNOD answer with an optional handle and attributes.
    void reply_new_entry(fuse_req_t req, const post_op_fh3& handle, const post_op_attr& attr,
                         fuse_file_info* fi = nullptr) {
        const fattr3* attributes = attributes_of(attr);
        if (!handle.handle_follows || !attributes) {
            spdlog::warn("the NFS server made a file but sent no handle or attributes for it");
            return void(fuse_reply_err(req, EIO));
        }
        const nfs_fh3& fh = handle.post_op_fh3_u.handle;
        std::string new_handle(fh.data.data_val, fh.data.data_len);
        if (!fi) return reply_entry(req, new_handle, *attributes);
        fuse_entry_param entry;
        std::memset(&entry, 0, sizeof entry);
        entry.ino = nodes_.remember(new_handle);
        entry.attr = stat_from_fattr3(*attributes);
        entry.attr_timeout = kAttributeSeconds;
        entry.entry_timeout = kAttributeSeconds;
        fuse_reply_create(req, &entry, fi);
    }

    void reply_attributes(fuse_req_t req, const fattr3& attributes) {
        struct stat st = stat_from_fattr3(attributes);
        fuse_reply_attr(req, &st, kAttributeSeconds);
    }

    void getattr(fuse_req_t req, fuse_ino_t node) {
        const std::string* handle = handle_or_reply(req, node);
        if (!handle) return;
        GETATTR3args args{fh3(*handle)};
        send(req, rpc_nfs3_getattr_async, args, [this, req](void* data) {
            auto* res = static_cast<GETATTR3res*>(data);
            if (res->status != NFS3_OK)
                return void(fuse_reply_err(req, errno_from_nfsstat3(res->status)));
            reply_attributes(req, res->GETATTR3res_u.resok.obj_attributes);
        });
    }

    // Remembered per node with writes not yet committed: the write verifier of the first of
    // them. Another verifier, at a later WRITE or at COMMIT, means the server restarted
    // between, and may have lost them.
    struct Unstable {
        std::string verifier;
        bool lost = false;
    };
    std::unordered_map<fuse_ino_t, Unstable> unstable_;

    void note_unstable(fuse_ino_t node, const char* verf) {
        std::string verifier(verf, NFS3_WRITEVERFSIZE);
        auto [found, first] = unstable_.try_emplace(node, Unstable{verifier});
        if (!first && found->second.verifier != verifier) found->second.lost = true;
    }

    NfsSession& session_;
    rpc_context* rpc_;
    NodeTable nodes_;

  private:
    struct Caller {
        uint32_t uid = ~0U, gid = ~0U;
        std::vector<uint32_t> groups;
        bool operator==(const Caller&) const = default;
    };
    struct CachedGroups {
        std::vector<uint32_t> groups;
        double at = 0;
    };

    // A process's supplementary groups, read from /proc by libfuse; kept a second per pid,
    // since every request of a busy process would read /proc again otherwise.
    std::vector<uint32_t> groups_of(fuse_req_t req, pid_t pid) {
        timespec now_ts;
        clock_gettime(CLOCK_MONOTONIC, &now_ts);
        double now = now_ts.tv_sec + now_ts.tv_nsec / 1e9;
        auto found = groups_.find(pid);
        if (found != groups_.end() && now - found->second.at < 1.0) return found->second.groups;
        if (groups_.size() > 4096) groups_.clear();
        gid_t list[32];
        int count = fuse_req_getgroups(req, 32, list);
        std::vector<uint32_t> groups;
        // AUTH_SYS carries at most 16 groups.
        for (int k = 0; k < std::min(count, 16); ++k) groups.push_back(list[k]);
        groups_[pid] = {groups, now};
        return groups;
    }

    Caller current_;
    std::unordered_map<pid_t, CachedGroups> groups_;
};

FuseNfs& self(fuse_req_t req) {
    return *static_cast<FuseNfs*>(fuse_req_userdata(req));
}

void reply_status(fuse_req_t req, int status) {
    fuse_reply_err(req, status == NFS3_OK ? 0 : errno_from_nfsstat3(status));
}

void do_init(void* userdata, fuse_conn_info* conn) {
    auto* fs = static_cast<FuseNfs*>(userdata);
    size_t largest =
        std::min({kLargestTransfer, fs->session_.max_write(), fs->session_.max_read()});
    conn->max_write = static_cast<unsigned>(largest);
    conn->max_readahead = static_cast<unsigned>(largest);
    // No writeback cache: a write reaches the server before write(2) returns, so another node
    // reads it at once, as jobs expect of /shared.
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

void do_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    FuseNfs& fs = self(req);
    const std::string* dir = fs.handle_or_reply(req, parent);
    if (!dir) return;
    LOOKUP3args args{{fh3(*dir), const_cast<char*>(name)}};
    fs.send(req, rpc_nfs3_lookup_async, args, [&fs, req](void* data) {
        auto* res = static_cast<LOOKUP3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        const LOOKUP3resok& ok = res->LOOKUP3res_u.resok;
        const fattr3* attributes = attributes_of(ok.obj_attributes);
        if (!attributes) return void(fuse_reply_err(req, EIO));
        fs.reply_entry(req, std::string(ok.object.data.data_val, ok.object.data.data_len),
                       *attributes);
    });
}

// The kernel lets go of `lookups` references; what the server process keeps of a node goes
// with its last one.
void forget_node(FuseNfs& fs, fuse_ino_t node, uint64_t lookups) {
    fs.nodes_.forget(node, lookups);
    if (!fs.nodes_.handle(node)) fs.unstable_.erase(node);
}

void do_forget(fuse_req_t req, fuse_ino_t node, uint64_t lookups) {
    forget_node(self(req), node, lookups);
    fuse_reply_none(req);
}

void do_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
    for (size_t k = 0; k < count; ++k) forget_node(self(req), forgets[k].ino, forgets[k].nlookup);
    fuse_reply_none(req);
}

void do_getattr(fuse_req_t req, fuse_ino_t node, fuse_file_info*) {
    self(req).getattr(req, node);
}

void do_setattr(fuse_req_t req, fuse_ino_t node, struct stat* wanted, int to_set, fuse_file_info*) {
    FuseNfs& fs = self(req);
    const std::string* handle = fs.handle_or_reply(req, node);
    if (!handle) return;
    SETATTR3args args;
    std::memset(&args, 0, sizeof args);
    args.object = fh3(*handle);
    args.new_attributes = sattr3_from_stat(*wanted, to_set);
    fs.send(req, rpc_nfs3_setattr_async, args, [&fs, req, node](void* data) {
        auto* res = static_cast<SETATTR3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        if (const fattr3* after = attributes_of(res->SETATTR3res_u.resok.obj_wcc.after))
            return fs.reply_attributes(req, *after);
        fs.getattr(req, node);
    });
}

void do_readlink(fuse_req_t req, fuse_ino_t node) {
    FuseNfs& fs = self(req);
    const std::string* handle = fs.handle_or_reply(req, node);
    if (!handle) return;
    READLINK3args args{fh3(*handle)};
    fs.send(req, rpc_nfs3_readlink_async, args, [req](void* data) {
        auto* res = static_cast<READLINK3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        fuse_reply_readlink(req, res->READLINK3res_u.resok.data);
    });
}

void do_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
    FuseNfs& fs = self(req);
    const std::string* dir = fs.handle_or_reply(req, parent);
    if (!dir) return;
    MKDIR3args args;
    std::memset(&args, 0, sizeof args);
    args.where = {fh3(*dir), const_cast<char*>(name)};
    args.attributes = sattr3_with_mode(mode);
    fs.send(req, rpc_nfs3_mkdir_async, args, [&fs, req](void* data) {
        auto* res = static_cast<MKDIR3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        fs.reply_new_entry(req, res->MKDIR3res_u.resok.obj, res->MKDIR3res_u.resok.obj_attributes);
    });
}

void do_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
               fuse_file_info* fi) {
    FuseNfs& fs = self(req);
    const std::string* dir = fs.handle_or_reply(req, parent);
    if (!dir) return;
    CREATE3args args;
    std::memset(&args, 0, sizeof args);
    args.where = {fh3(*dir), const_cast<char*>(name)};
    // GUARDED fails on an existing name, as O_EXCL must; UNCHECKED opens it.
    args.how.mode = (fi->flags & O_EXCL) ? GUARDED : UNCHECKED;
    args.how.createhow3_u.obj_attributes = sattr3_with_mode(mode);
    fuse_file_info opened = *fi;
    fs.send(req, rpc_nfs3_create_async, args, [&fs, req, opened](void* data) mutable {
        auto* res = static_cast<CREATE3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        fs.reply_new_entry(req, res->CREATE3res_u.resok.obj, res->CREATE3res_u.resok.obj_attributes,
                           &opened);
    });
}

void do_symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
    FuseNfs& fs = self(req);
    const std::string* dir = fs.handle_or_reply(req, parent);
    if (!dir) return;
    SYMLINK3args args;
    std::memset(&args, 0, sizeof args);
    args.where = {fh3(*dir), const_cast<char*>(name)};
    args.symlink.symlink_data = const_cast<char*>(link);
    fs.send(req, rpc_nfs3_symlink_async, args, [&fs, req](void* data) {
        auto* res = static_cast<SYMLINK3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        fs.reply_new_entry(req, res->SYMLINK3res_u.resok.obj,
                           res->SYMLINK3res_u.resok.obj_attributes);
    });
}

// REMOVE and RMDIR take the same arguments and answer only a status.
template <class Args, class Res>
void remove_name(fuse_req_t req, fuse_ino_t parent, const char* name,
                 int (*function)(rpc_context*, rpc_cb, Args*, void*)) {
    FuseNfs& fs = self(req);
    const std::string* dir = fs.handle_or_reply(req, parent);
    if (!dir) return;
    Args args{{fh3(*dir), const_cast<char*>(name)}};
    fs.send(req, function, args,
            [req](void* data) { reply_status(req, static_cast<Res*>(data)->status); });
}

void do_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
    remove_name<REMOVE3args, REMOVE3res>(req, parent, name, rpc_nfs3_remove_async);
}

void do_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
    remove_name<RMDIR3args, RMDIR3res>(req, parent, name, rpc_nfs3_rmdir_async);
}

void do_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
               const char* new_name, unsigned int flags) {
    if (flags != 0) return void(fuse_reply_err(req, EINVAL));  // NFSv3 has no RENAME_NOREPLACE
    FuseNfs& fs = self(req);
    const std::string* from = fs.handle_or_reply(req, parent);
    if (!from) return;
    const std::string* to = fs.handle_or_reply(req, new_parent);
    if (!to) return;
    RENAME3args args{{fh3(*from), const_cast<char*>(name)},
                     {fh3(*to), const_cast<char*>(new_name)}};
    fs.send(req, rpc_nfs3_rename_async, args,
            [req](void* data) { reply_status(req, static_cast<RENAME3res*>(data)->status); });
}

void do_link(fuse_req_t req, fuse_ino_t node, fuse_ino_t new_parent, const char* new_name) {
    FuseNfs& fs = self(req);
    const std::string* file = fs.handle_or_reply(req, node);
    if (!file) return;
    const std::string* dir = fs.handle_or_reply(req, new_parent);
    if (!dir) return;
    LINK3args args{fh3(*file), {fh3(*dir), const_cast<char*>(new_name)}};
    std::string handle = *file;
    fs.send(req, rpc_nfs3_link_async, args, [&fs, req, handle](void* data) {
        auto* res = static_cast<LINK3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        const fattr3* attributes = attributes_of(res->LINK3res_u.resok.file_attributes);
        if (!attributes) return void(fuse_reply_err(req, EIO));
        fs.reply_entry(req, handle, *attributes);
    });
}

// The ACCESS3 bits that an open with these flags needs.
u_int access_for_open(int flags) {
    switch (flags & O_ACCMODE) {
        case O_RDONLY:
            return ACCESS3_READ;
        case O_WRONLY:
            return ACCESS3_MODIFY;
        default:
            return ACCESS3_READ | ACCESS3_MODIFY;
    }
}

// NFSv3 has no open: ask the server whether this caller may, so that open(2) fails with EACCES
// where a local file system would, not the first read or write.
void check_access(fuse_req_t req, fuse_ino_t node, u_int wanted,
                  std::function<void(fuse_req_t)> granted) {
    FuseNfs& fs = self(req);
    const std::string* handle = fs.handle_or_reply(req, node);
    if (!handle) return;
    ACCESS3args args{fh3(*handle), wanted};
    fs.send(req, rpc_nfs3_access_async, args, [req, wanted, granted](void* data) {
        auto* res = static_cast<ACCESS3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        u_int allowed = res->ACCESS3res_u.resok.access;
        // X_OK asks EXECUTE (a file) or LOOKUP (a directory): either is a yes.
        u_int search = ACCESS3_EXECUTE | ACCESS3_LOOKUP;
        u_int missing = wanted & ~allowed;
        if ((wanted & search) && (allowed & search)) missing &= ~search;
        if (missing) return void(fuse_reply_err(req, EACCES));
        granted(req);
    });
}

void do_open(fuse_req_t req, fuse_ino_t node, fuse_file_info* fi) {
    fuse_file_info opened = *fi;
    // No keep_cache: each open reads the file afresh (close-to-open, as NFS clients do).
    check_access(req, node, access_for_open(fi->flags),
                 [opened](fuse_req_t r) mutable { fuse_reply_open(r, &opened); });
}

void do_access(fuse_req_t req, fuse_ino_t node, int mask) {
    u_int wanted = 0;
    if (mask & R_OK) wanted |= ACCESS3_READ;
    if (mask & W_OK) wanted |= ACCESS3_MODIFY;
    if (mask & X_OK) wanted |= ACCESS3_EXECUTE | ACCESS3_LOOKUP;
    if (wanted == 0) return void(fuse_reply_err(req, 0));  // F_OK: the lookup answered it
    check_access(req, node, wanted, [](fuse_req_t r) { fuse_reply_err(r, 0); });
}

// A READ3 reply may hold fewer bytes than asked without being at the end of the file (the
// server's choice), but FUSE takes a short reply for the end of the file and fills the rest of
// the page with zeros: a program run from NFS then executed zeros (a segfault at address 0,
// seen with MPI ranks on the second host). So a short reply is followed by a READ of the rest,
// until the count is met or the server says eof.
struct PendingRead {
    fuse_req_t req;
    std::string handle;
    uint64_t offset;
    size_t wanted;
    std::string data;  // what came so far, when the first reply was short
};

void read_more(FuseNfs& fs, std::shared_ptr<PendingRead> read) {
    READ3args args{fh3(read->handle), read->offset + read->data.size(),
                   static_cast<count3>(read->wanted - read->data.size())};
    fs.send(read->req, rpc_nfs3_read_async, args, [&fs, read](void* data) {
        auto* res = static_cast<READ3res*>(data);
        if (res->status != NFS3_OK) return reply_status(read->req, res->status);
        const READ3resok& ok = res->READ3res_u.resok;
        size_t got = std::min<size_t>(ok.count, ok.data.data_len);
        bool complete = ok.eof || got == 0 || read->data.size() + got >= read->wanted;
        // The usual case, one whole reply: handed on from libnfs's buffer, not copied.
        if (complete && read->data.empty())
            return void(fuse_reply_buf(read->req, ok.data.data_val, got));
        read->data.append(ok.data.data_val, got);
        if (complete) return void(fuse_reply_buf(read->req, read->data.data(), read->data.size()));
        read_more(fs, read);
    });
}

void do_read(fuse_req_t req, fuse_ino_t node, size_t size, off_t offset, fuse_file_info*) {
    FuseNfs& fs = self(req);
    const std::string* handle = fs.handle_or_reply(req, node);
    if (!handle) return;
    read_more(fs, std::make_shared<PendingRead>(
                      PendingRead{req, *handle, static_cast<uint64_t>(offset), size, {}}));
}

void do_write(fuse_req_t req, fuse_ino_t node, const char* buffer, size_t size, off_t offset,
              fuse_file_info*) {
    FuseNfs& fs = self(req);
    const std::string* handle = fs.handle_or_reply(req, node);
    if (!handle) return;
    WRITE3args args;
    std::memset(&args, 0, sizeof args);
    args.file = fh3(*handle);
    args.offset = static_cast<uint64_t>(offset);
    args.count = static_cast<count3>(size);
    // UNSTABLE: the server may keep it in memory until COMMIT, which fsync(2) sends.
    args.stable = UNSTABLE;
    args.data.data_len = static_cast<u_int>(size);
    args.data.data_val = const_cast<char*>(buffer);
    fs.send(req, rpc_nfs3_write_async, args, [&fs, req, node](void* data) {
        auto* res = static_cast<WRITE3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        const WRITE3resok& ok = res->WRITE3res_u.resok;
        if (ok.committed == UNSTABLE) fs.note_unstable(node, ok.verf);
        fuse_reply_write(req, ok.count);
    });
}

// COMMIT of a node's unstable writes; replies EIO when the server restarted since the first of
// them (its write verifier changed), since it may have lost them.
void commit(FuseNfs& fs, fuse_req_t req, fuse_ino_t node) {
    const std::string* handle = fs.handle_or_reply(req, node);
    if (!handle) return;
    COMMIT3args args{fh3(*handle), 0, 0};
    fs.send(req, rpc_nfs3_commit_async, args, [&fs, req, node](void* data) {
        auto* res = static_cast<COMMIT3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        auto found = fs.unstable_.find(node);
        bool lost = found != fs.unstable_.end() &&
                    (found->second.lost ||
                     found->second.verifier !=
                         std::string(res->COMMIT3res_u.resok.verf, NFS3_WRITEVERFSIZE));
        fs.unstable_.erase(node);
        if (lost) spdlog::warn("the NFS server restarted before a COMMIT: unsynced writes lost");
        fuse_reply_err(req, lost ? EIO : 0);
    });
}

void do_fsync(fuse_req_t req, fuse_ino_t node, int, fuse_file_info*) {
    commit(self(req), req, node);
}

// close(2): what was written is committed before close returns, as the kernel's NFS client
// does (close-to-open), so that a file closed before the server restarts is there after it.
void do_flush(fuse_req_t req, fuse_ino_t node, fuse_file_info*) {
    FuseNfs& fs = self(req);
    if (!fs.unstable_.contains(node)) return void(fuse_reply_err(req, 0));
    commit(fs, req, node);
}
void do_release(fuse_req_t req, fuse_ino_t, fuse_file_info*) {
    fuse_reply_err(req, 0);
}

// A directory read in READDIR3 pages; the server's cookie verifier is kept per open.
struct OpenDirectory {
    cookieverf3 verifier{};
};

void do_opendir(fuse_req_t req, fuse_ino_t node, fuse_file_info* fi) {
    fuse_file_info opened = *fi;
    check_access(req, node, ACCESS3_READ, [opened](fuse_req_t r) mutable {
        opened.fh = reinterpret_cast<uint64_t>(new OpenDirectory);
        if (fuse_reply_open(r, &opened) != 0) delete reinterpret_cast<OpenDirectory*>(opened.fh);
    });
}

void do_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    delete reinterpret_cast<OpenDirectory*>(fi->fh);
    fuse_reply_err(req, 0);
}

void do_readdir(fuse_req_t req, fuse_ino_t node, size_t size, off_t offset, fuse_file_info* fi) {
    FuseNfs& fs = self(req);
    const std::string* handle = fs.handle_or_reply(req, node);
    if (!handle) return;
    auto* open = reinterpret_cast<OpenDirectory*>(fi->fh);
    READDIR3args args;
    std::memset(&args, 0, sizeof args);
    args.dir = fh3(*handle);
    args.cookie = static_cast<cookie3>(offset);
    if (offset != 0) std::memcpy(args.cookieverf, open->verifier, NFS3_COOKIEVERFSIZE);
    args.count = static_cast<count3>(std::max<size_t>(size, 4096));
    fs.send(req, rpc_nfs3_readdir_async, args, [req, size, open](void* data) {
        auto* res = static_cast<READDIR3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        const READDIR3resok& ok = res->READDIR3res_u.resok;
        std::memcpy(open->verifier, ok.cookieverf, NFS3_COOKIEVERFSIZE);
        std::vector<char> buffer(size);
        size_t used = 0;
        for (entry3* e = ok.reply.entries; e; e = e->nextentry) {
            struct stat st;
            std::memset(&st, 0, sizeof st);
            st.st_ino = e->fileid;
            size_t need = fuse_add_direntry(req, buffer.data() + used, size - used, e->name, &st,
                                            static_cast<off_t>(e->cookie));
            if (need > size - used) break;  // the rest comes with the next call, from this cookie
            used += need;
        }
        fuse_reply_buf(req, buffer.data(), used);
    });
}

void do_statfs(fuse_req_t req, fuse_ino_t) {
    FuseNfs& fs = self(req);
    FSSTAT3args args{fh3(*fs.nodes_.handle(NodeTable::kRoot))};
    fs.send(req, rpc_nfs3_fsstat_async, args, [req](void* data) {
        auto* res = static_cast<FSSTAT3res*>(data);
        if (res->status != NFS3_OK) return reply_status(req, res->status);
        const FSSTAT3resok& ok = res->FSSTAT3res_u.resok;
        struct statvfs st;
        std::memset(&st, 0, sizeof st);
        st.f_bsize = st.f_frsize = 4096;
        st.f_blocks = ok.tbytes / 4096;
        st.f_bfree = ok.fbytes / 4096;
        st.f_bavail = ok.abytes / 4096;
        st.f_files = ok.tfiles;
        st.f_ffree = ok.ffiles;
        st.f_favail = ok.afiles;
        st.f_namemax = 255;
        fuse_reply_statfs(req, &st);
    });
}

fuse_lowlevel_ops operations() {
    fuse_lowlevel_ops ops;
    std::memset(&ops, 0, sizeof ops);
    ops.init = do_init;
    ops.lookup = do_lookup;
    ops.forget = do_forget;
    ops.forget_multi = do_forget_multi;
    ops.getattr = do_getattr;
    ops.setattr = do_setattr;
    ops.readlink = do_readlink;
    ops.mkdir = do_mkdir;
    ops.unlink = do_unlink;
    ops.rmdir = do_rmdir;
    ops.symlink = do_symlink;
    ops.rename = do_rename;
    ops.link = do_link;
    ops.open = do_open;
    ops.read = do_read;
    ops.write = do_write;
    ops.flush = do_flush;
    ops.release = do_release;
    ops.fsync = do_fsync;
    ops.opendir = do_opendir;
    ops.readdir = do_readdir;
    ops.releasedir = do_releasedir;
    ops.statfs = do_statfs;
    ops.access = do_access;
    ops.create = do_create;
    return ops;
}

// One loop for both sides: kernel requests in, NFS replies back.
int serve(fuse_session* session, rpc_context* rpc) {
    fuse_buf buffer;
    std::memset(&buffer, 0, sizeof buffer);
    int fuse_fd = fuse_session_fd(session);
    int result = 0;
    while (!fuse_session_exited(session)) {
        pollfd fds[2] = {{fuse_fd, POLLIN, 0},
                         {rpc_get_fd(rpc), static_cast<short>(rpc_which_events(rpc)), 0}};
        // A timeout, so that libnfs sees its own timers (reconnects) while nothing happens.
        int ready = poll(fds, 2, 100);
        if (ready < 0 && errno != EINTR) {
            spdlog::error("poll: {}", std::strerror(errno));
            result = 1;
            break;
        }
        if (rpc_service(rpc, ready > 0 ? fds[1].revents : 0) < 0) {
            spdlog::error("the NFS connection failed for good: {}", rpc_get_error(rpc));
            result = 1;
            break;
        }
        if (ready <= 0 || !(fds[0].revents & (POLLIN | POLLERR | POLLHUP))) continue;
        int got = fuse_session_receive_buf(session, &buffer);
        if (got == -EINTR || got == -EAGAIN) continue;
        if (got <= 0) break;  // 0 or -ENODEV: unmounted; the normal end
        fuse_session_process_buf(session, &buffer);
    }
    free(buffer.mem);
    return result;
}

// SIGTERM, SIGINT, SIGHUP: end the session (what libfuse's own handler does), or, before there
// is one (still connecting), exit at once: there is nothing to take down yet. Installed first
// thing, so that a stop that comes while the server starts is never a death by signal.
fuse_session* stoppable_session = nullptr;

void on_stop_signal(int) {
    if (stoppable_session)
        fuse_session_exit(stoppable_session);
    else
        _exit(0);
}

void handle_stop_signals() {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;  // no SA_RESTART: poll returns EINTR and the loop ends
    sigemptyset(&action.sa_mask);
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &action, nullptr);
}

}  // namespace

int serve_fuse_nfs(const NfsUrl& url, int fuse_fd) {
    handle_stop_signals();
    NfsSession session;
    std::string error = session.connect(url, 10000);
    std::string root;
    if (error.empty()) error = session.ask_root_handle(url, 10000, root);
    if (!error.empty()) {
        spdlog::error("{}", error);
        return 1;
    }
    FuseNfs fs(session, root);
    fuse_lowlevel_ops ops = operations();
    const char* argv[] = {"rqinit-nfs", nullptr};
    fuse_args args = FUSE_ARGS_INIT(1, const_cast<char**>(argv));
    fuse_session* fuse = fuse_session_new(&args, &ops, sizeof ops, &fs);
    if (!fuse) {
        spdlog::error("cannot start a FUSE session");
        return 1;
    }
    // rqinit mounted already: libfuse takes the connection from /dev/fd/N instead of mounting.
    std::string device = "/dev/fd/" + std::to_string(fuse_fd);
    int result = 1;
    stoppable_session = fuse;
    if (fuse_session_mount(fuse, device.c_str()) != 0) {
        spdlog::error("cannot take the FUSE connection from {}", device);
    } else {
        spdlog::info("serving {} (largest transfer {} bytes)", url.text(),
                     std::min({kLargestTransfer, session.max_write(), session.max_read()}));
        result = serve(fuse, session.rpc());
        fuse_session_unmount(fuse);
    }
    stoppable_session = nullptr;
    fuse_session_destroy(fuse);
    return result;
}

}  // namespace rqinit
