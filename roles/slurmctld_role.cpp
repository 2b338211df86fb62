// slurmctld: the controller, once slurmdbd answers. When ready it makes sure the demonstration
// user has an accounting association, so `sacct` and limits work from the first job.
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
    plan.services.push_back(slurmdbd);
    plan.services.push_back(with_health(slurmctld));
    return plan;
}

}  // namespace rqinit
