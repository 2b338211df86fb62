// c and q: compute nodes. They join as Slurm dynamic nodes (slurmd -Z), so adding q1 to a running
// cluster needs no edit of slurm.conf and no restart of the rest. Slurm 22.05 keeps the address a
// dynamic node first registered with, hence the nodeaddr update after ready, and a stopped node
// stays listed unless it is deleted, hence the delete after stop.
#include "roles/slurm_common.hpp"
#include "roles/slurm_roles.hpp"

namespace rqinit {

using namespace slurm;

namespace {

Plan node_plan(const RoleContext& context, const std::string& node_conf) {
    const std::string& name = context.hostname;
    Plan plan = slurm_base_plan();
    plan.directories.push_back({"/var/spool/slurmd", "root:root", 0755});

    ServiceSpec slurmd = service("slurmd", {"/usr/sbin/slurmd", "-D", "-Z", "--conf", node_conf});
    slurmd.depends_on = {"munged", "slurmctld-up"};
    // Ready when the controller lists the node and it is not DOWN (registered, reachable).
    slurmd.ready.kind = Probe::Kind::command;
    // The name is an argument ($1), never text of the script: a hostname is not shell syntax.
    slurmd.ready.argv = {"/bin/sh", "-c",
                         "node=$(scontrol -o show node \"$1\") && "
                         "case $node in *State=*) ;; *) exit 1;; esac && "
                         "! printf '%s' \"$node\" | grep -qE 'State=[A-Z+]*(DOWN|FUTURE)'",
                         "slurmd-ready", name};
    slurmd.ready.interval = 0.2;
    // The controller keeps the address a dynamic node first had; pin the node to its name so
    // every connection asks Docker's DNS, and a container back with a new address is found.
    slurmd.after_ready = {"/usr/bin/scontrol", "update", "nodename=" + name, "nodeaddr=" + name,
                          "nodehostname=" + name};
    // On a clean stop the node leaves the cluster and registers afresh on its next start.
    slurmd.after_stop = {"/usr/bin/scontrol", "delete", "nodename=" + name};
    slurmd.hook_timeout = 5;
    // Health asks the local slurmd only (scontrol show slurmd talks to localhost): Docker and
    // Swarm act on health, and a controller outage must not mark every node unhealthy.
    slurmd.health = slurmd.ready;
    slurmd.health.argv = {"/usr/bin/scontrol", "show", "slurmd"};
    slurmd.health.interval = 10;
    slurmd.health_retries = 3;
    plan.services.push_back(wait_for_slurmctld());
    plan.services.push_back(slurmd);
    return plan;
}

}  // namespace

Plan classical_node_plan(const RoleContext& context) {
    return node_plan(context, "Feature=classical");
}

Plan quantum_node_plan(const RoleContext& context) {
    return node_plan(context, "Feature=qpu Gres=qpu:1");
}

}  // namespace rqinit
