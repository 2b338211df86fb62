// rqinit-nfs: the NFS client side of rqinit's mounts, a program of its own so that PID 1 carries
// no NFS or FUSE code. The mount services (nfs/mount_services.cpp) run it; each subcommand
// prints at most one line and answers with an exit code (nfs/nfs_commands.hpp lists them).
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <string>

#include "init/guarded_main.hpp"
#include "init/log.hpp"
#include "nfs/nfs_commands.hpp"

#ifndef RQINIT_VERSION
#define RQINIT_VERSION "0.0.0"
#endif

namespace {

int nfs_main(int argc, char** argv) {
    CLI::App app{"rqinit-nfs: probe, serve (FUSE) and mount NFS exports for rqinit's mounts"};
    app.set_version_flag("--version", std::string("rqinit-nfs ") + RQINIT_VERSION);
    std::string url, target;
    auto* probe = app.add_subcommand("probe", "exit 0 once the NFS export can be mounted");
    probe->add_option("url", url, "nfs://SERVER/EXPORT")->required();
    auto* fuse = app.add_subcommand("fuse", "serve the FUSE mount on fd 3 from the export");
    fuse->add_option("url", url, "nfs://SERVER/EXPORT")->required();
    auto* mount = app.add_subcommand("mount", "mount the export with the kernel's client");
    mount->add_option("url", url, "nfs://SERVER/EXPORT")->required();
    mount->add_option("target", target, "the mount point")->required();
    auto* check = app.add_subcommand("check", "exit 0 if TARGET is mounted and answers");
    check->add_option("target", target, "the mount point")->required();
    app.require_subcommand(1);
    if (auto code = rqinit::parse_command_line(app, argc, argv)) return *code;
    rqinit::setup_logging("info", "rqinit-nfs");
    if (*probe) return rqinit::nfs_probe_command(url);
    if (*fuse) return rqinit::nfs_fuse_command(url);
    if (*mount) return rqinit::nfs_mount_command(url, target);
    return rqinit::mount_check_command(target);
}

}  // namespace

int main(int argc, char** argv) {
    return rqinit::guarded_main(nfs_main, argc, argv);
}
