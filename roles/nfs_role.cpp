// nfs: the cluster's NFS server (nfs-ganesha with its VFS backend, and rpcbind for NFSv3's
// portmapper), exporting /shared and /home, two Docker volumes. The Slurm roles mount them
// (RQINIT_MOUNTS, nfs/). Ready when the export answers a mount, as a client will try it.
#include "roles/slurm_common.hpp"
#include "roles/slurm_roles.hpp"

namespace rqinit {

using namespace slurm;

namespace {

ServiceSpec rpcbind() {
    // -f: stay in the foreground; -w: keep registrations across its own restart.
    ServiceSpec spec = service("rpcbind", {"/usr/sbin/rpcbind", "-f", "-w"});
    spec.needs_mounts = false;
    spec.ready.kind = Probe::Kind::tcp;
    spec.ready.address = "127.0.0.1:111";
    return with_health(spec);
}

ServiceSpec ganesha() {
    ServiceSpec spec =
        service("ganesha", {"/usr/bin/ganesha.nfsd", "-F", "-L", "/dev/stdout", "-f",
                            "/usr/share/rqinit/ganesha.conf", "-p", "/run/ganesha/ganesha.pid"});
    spec.needs_mounts = false;
    spec.depends_on = {"rpcbind"};
    spec.ready.kind = Probe::Kind::command;
    spec.ready.argv = {"/usr/sbin/rqinit-nfs", "probe", "nfs://localhost/shared"};
    spec.ready.interval = 0.2;
    spec.stop_timeout = 8;
    return with_health(spec);
}

}  // namespace

Plan nfs_plan(const RoleContext&) {
    Plan plan;
    // A fresh cluster's exports: /shared for everyone (sticky, like /tmp), and the demonstration
    // user's home. Made on the volumes at every start; existing contents stay as they are.
    plan.directories = {{"/run/ganesha", "root:root", 0755},
                        {"/var/lib/nfs/ganesha", "root:root", 0755},
                        {"/shared", "root:root", 01777},
                        {"/home", "root:root", 0755},
                        {"/home/rasqberry", "rasqberry:rasqberry", 0755}};
    plan.services = {rpcbind(), ganesha()};
    return plan;
}

}  // namespace rqinit
