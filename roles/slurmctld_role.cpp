// slurmctld: the controller, once slurmdbd answers. When ready, partition-view keeps the
// partitions a user sees in step with the nodes present. (The demonstration user's accounting
// association is the login node's: login_role.cpp.)
#include "roles/slurm_common.hpp"
#include "roles/slurm_roles.hpp"

namespace rqinit {

using namespace slurm;

Plan slurmctld_plan(const RoleContext&) {
    Plan plan = slurm_base_plan();
    plan.directories.push_back({"/var/spool/slurmctld", "slurm:slurm", 0700});

    ServiceSpec slurmdbd = wait_for_host(
        "slurmdbd-up", "slurmdbd", {"/usr/bin/sacctmgr", "--noheader", "show", "cluster"}, 300);
    slurmdbd.depends_on = {"munged"};

    ServiceSpec slurmctld = service("slurmctld", {"/usr/sbin/slurmctld", "-D", "-i"});
    slurmctld.user = "slurm";
    slurmctld.depends_on = {"munged", "slurmdbd-up"};
    slurmctld.ready.kind = Probe::Kind::command;
    slurmctld.ready.argv = {"/usr/bin/scontrol", "ping"};
    // The partitions a user sees follow the nodes present (phase 1: normal only; phase 2:
    // quantum too, as the default). Ready once the view is right, so a restarted controller
    // counts as up only with the view it had.
    ServiceSpec view = service("partition-view",
                               {kShareDir + "/partition-view", "/run/slurm/partition-view.ready"});
    view.user = "slurm";  // SlurmUser may update partitions, and owns /run/slurm
    view.depends_on = {"slurmctld"};
    view.ready.kind = Probe::Kind::command;
    view.ready.argv = {"/usr/bin/test", "-e", "/run/slurm/partition-view.ready"};
    view.ready.interval = 0.05;  // the nodes wait for the controller's health, which waits for this
    view.start_timeout = 60;
    // A compute node killed or lost with its host never deletes itself (node_roles.cpp does on a
    // clean stop): this deletes it once silent for RQINIT_LOST_NODE_GRACE (docs/operations.md,
    // "Growing and shrinking"). Started with the controller, which it asks.
    ServiceSpec lost = service("lost-nodes", {"/usr/sbin/rqinit-lost-nodes"});
    lost.user = "slurm";  // SlurmUser may delete nodes; root is not needed
    lost.depends_on = {"slurmctld"};
    plan.services.push_back(slurmdbd);
    plan.services.push_back(with_health(slurmctld));
    plan.services.push_back(view);
    plan.services.push_back(lost);
    return plan;
}

}  // namespace rqinit
