// slurmctld: the controller, once slurmdbd answers. When ready it makes sure the demonstration
// user has an accounting association, so `sacct` and limits work from the first job, and
// partition-view keeps the partitions a user sees in step with the nodes present.
#include "roles/slurm_common.hpp"
#include "roles/slurm_roles.hpp"

namespace rqinit {

using namespace slurm;

Plan slurmctld_plan(const RoleContext&) {
    Plan plan = slurm_base_plan();
    plan.directories.push_back({"/var/spool/slurmctld", "slurm:slurm", 0700});

    ServiceSpec slurmdbd =
        wait_for("slurmdbd-up", {"/usr/bin/sacctmgr", "--noheader", "show", "cluster"}, 300);
    slurmdbd.depends_on = {"munged"};

    ServiceSpec slurmctld = service("slurmctld", {"/usr/sbin/slurmctld", "-D", "-i"});
    slurmctld.user = "slurm";
    slurmctld.depends_on = {"munged", "slurmdbd-up"};
    slurmctld.ready.kind = Probe::Kind::command;
    slurmctld.ready.argv = {"/usr/bin/scontrol", "ping"};
    // The user name is an argument ($1), not text of the script.
    slurmctld.after_ready = {
        "/bin/sh", "-c",
        "sacctmgr -n show user \"$1\" | grep -q . || "
        "{ sacctmgr -i add account demo Description=demonstration Organization=rasqberry && "
        "sacctmgr -i add user \"$1\" Account=demo; }",
        "demo-account", kDemoUser};
    // The partitions a user sees follow the nodes present (phase 1: normal only; phase 2:
    // quantum too, as the default). Ready once the view is right, so a restarted controller
    // counts as up only with the view it had.
    ServiceSpec view = service("partition-view",
                               {kShareDir + "/partition-view", "/run/slurm/partition-view.ready"});
    view.depends_on = {"slurmctld"};
    view.ready.kind = Probe::Kind::command;
    view.ready.argv = {"/usr/bin/test", "-e", "/run/slurm/partition-view.ready"};
    view.ready.interval = 0.2;
    view.start_timeout = 60;
    // A compute node killed or lost with its host never deletes itself (node_roles.cpp does on a
    // clean stop): this deletes it once silent for RQINIT_LOST_NODE_GRACE (README, "Growing
    // and shrinking"). Started with the controller, which it asks.
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
