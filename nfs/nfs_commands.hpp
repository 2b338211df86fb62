// The rqinit-nfs subcommands that the mount services run (nfs/mount_services.cpp). Each prints
// at most one line and answers with an exit code (2: a bad command line or URL):
//   probe URL          0 the export can be mounted; 1 not yet (why); 100 never (no such
//                      export, or refused), which ends the wait at once
//   fuse URL           serves the FUSE mount on fd 3 until it is unmounted (0), or 1
//   mount URL TARGET   mounts with the kernel's NFS client (0), or 1
//   check TARGET       0 when TARGET is a mount point that answers; 1 and why otherwise
#pragma once

#include <string>

namespace rqinit {

int nfs_probe_command(const std::string& url);
int nfs_fuse_command(const std::string& url);
int nfs_mount_command(const std::string& url, const std::string& target);
int mount_check_command(const std::string& target);

}  // namespace rqinit
