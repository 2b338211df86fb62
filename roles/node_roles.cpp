// c and q: compute nodes. They join as Slurm dynamic nodes (slurmd -Z), so adding q1 to a running
// cluster needs no edit of slurm.conf and no restart of the rest. Slurm (22.05 as 24.11) lists a
// dynamic node at the address it registered from, hence its address set to its name after
// ready, and a stopped node stays listed unless it is deleted, hence the delete after stop
// (rqinit-node).
//
// They run configless (slurmd --conf-server): slurmd fetches slurm.conf, gres.conf, cgroup.conf
// and plugstack.conf from slurmctld, and again at every `scontrol reconfigure`, so a changed
// configuration reaches every node, on any host, with no file copied to it. The Slurm commands
// run on a node (hooks, health, job steps) read slurmd's copy in /run/slurm/conf.
#include "roles/node_size.hpp"
#include "roles/slurm_common.hpp"
#include "roles/slurm_conf_text.hpp"
#include "roles/slurm_roles.hpp"

namespace rqinit {

using namespace slurm;

namespace {

Plan node_plan(const RoleContext& context, const std::string& role, std::string node_conf) {
    const std::string& name = context.hostname;
    // The node's size (its role's, or what the container declares): after the role's settings.
    std::string size = node_size_conf(role, context.node_size);
    if (!size.empty()) node_conf += " " + size;
    Plan plan = slurm_base_plan();
    // No /etc/slurm/slurm.conf here: the commands would read it before slurmd's current copy.
    std::erase_if(plan.files,
                  [](const FileInstall& file) { return file.target != munge_key().target; });
    plan.directories.push_back({"/var/spool/slurmd", "root:root", 0755});
    // CAP_SYS_ADMIN for slurmd alone (below), whether or not the node mounts anything.
    plan.pid1_only_capabilities.push_back("sys_admin");

    ServiceSpec slurmd = service("slurmd", {"/usr/sbin/slurmd", "-D", "-Z", "--conf-server",
                                            "slurmctld", "--conf", node_conf});
    slurmd.depends_on = {"munged", "slurmctld-up"};
    // A batch job that asks for the user's login environment (sbatch --export=NONE or
    // --export=ALL,VAR=..., --get-user-env) has slurmd run `su - USER` in new PID and mount
    // namespaces (Slurm 24.11: clone with CLONE_NEWPID|CLONE_NEWNS), which needs CAP_SYS_ADMIN;
    // without it slurmd ends on the clone's EPERM and the job never starts. So slurmd keeps it in
    // its bounding set, and with it slurmstepd; a job's processes run as their user with no
    // capability in effect. Every other service of the node still starts without it.
    slurmd.keeps_pid1_capabilities = {"sys_admin"};
    // Ready when the controller lists the node and it is not DOWN (registered, reachable).
    slurmd.ready.kind = Probe::Kind::command;
    // The name is an argument ($1), never text of the script: a hostname is not shell syntax.
    slurmd.ready.argv = {"/bin/sh", "-c",
                         "node=$(scontrol -o show node \"$1\") && "
                         "case $node in *State=*) ;; *) exit 1;; esac && "
                         "! printf '%s' \"$node\" | grep -qE 'State=[A-Z+]*(DOWN|FUTURE)'",
                         "slurmd-ready", name};
    slurmd.ready.interval = 0.2;
    // The controller keeps the address a dynamic node registered from; rqinit-node names it
    // (Docker's DNS then finds a container back with a new address) and keeps the mark of this
    // registration. Then the features node-features.conf gives the role (make reconfigure
    // changes them live). Name and role are arguments ($1, $2), never text of the script.
    slurmd.after_ready = {"/bin/sh",
                          "-c",
                          "/usr/sbin/rqinit-node joined \"$1\" && "
                          "exec /usr/sbin/rqinit --role=\"$2\" reconfigure",
                          "node-joined",
                          name,
                          role};
    // On a clean stop the node leaves the cluster and registers afresh on its next start;
    // unless another slurmd has registered as this name since (a Swarm task replaced while
    // this one was cut off): that entry is the new task's (nodes/node_registration.hpp).
    // Before, the node is set DOWN: its jobs end with the container, and so Slurm requeues them
    // at once instead of keeping them running on an entry it cannot delete, and gives it no more.
    slurmd.before_stop = {"/usr/sbin/rqinit-node", "stopping", name};
    slurmd.after_stop = {"/usr/sbin/rqinit-node", "leaving", name};
    slurmd.hook_timeout = 10;
    // Health asks the local slurmd only (scontrol show slurmd talks to localhost): Docker and
    // Swarm act on health, and a controller outage must not mark every node unhealthy.
    slurmd.health = slurmd.ready;
    slurmd.health.argv = {"/usr/bin/scontrol", "show", "slurmd"};
    slurmd.health.interval = 10;
    slurmd.health_retries = 3;
    // A node deleted while its slurmd lived on (cut off for longer than the controller's
    // lost-node grace period, nodes/lost_nodes.hpp; or a controller that lost its state) is
    // unknown to the controller, and slurmd registers only when it starts; a controller killed
    // before it saved the node's name may hold it at an old address. So every 20 s rqinit-node
    // looks: unknown, slurmd is ended (rqinit starts it again, it registers afresh); at an
    // address, the name is set again. No answer at all (no controller) changes nothing.
    ServiceSpec rejoin = service("rejoin", {"/usr/sbin/rqinit-node", "watch", name});
    rejoin.depends_on = {"slurmd"};
    // Root for scontrol and for signalling root's slurmd, both a matter of uid: no capability.
    rejoin.capabilities = std::vector<std::string>{};
    // Until slurmd has fetched the configuration, scontrol reads the stack's copy.
    ServiceSpec wait = wait_for_slurmctld();
    wait.environment["SLURM_CONF"] = kConfigDir + "/slurm.conf";
    plan.services.push_back(wait);
    plan.services.push_back(slurmd);
    plan.services.push_back(rejoin);
    return plan;
}

}  // namespace

Plan classical_node_plan(const RoleContext& context) {
    return node_plan(context, "c", "Feature=" + role_feature("c"));
}

Plan quantum_node_plan(const RoleContext& context) {
    Plan plan = node_plan(context, "q", "Feature=" + role_feature("q") + " Gres=qpu:1");
    plan.files.push_back(qrmi_config());  // for the qpu plugin (docs/operations.md, "Quantum jobs")
    return plan;
}

}  // namespace rqinit
