// login: where users submit jobs. Only munged runs; ready when sinfo answers and the
// demonstration user has its accounting association. Its health is
// munged's alone: a controller outage must not make the login node look broken to Docker.
// It holds the QPU names, never the QRMI config: users log in here.
#include "roles/slurm_common.hpp"
#include "roles/slurm_roles.hpp"

namespace rqinit {

using namespace slurm;

Plan login_plan(const RoleContext&) {
    Plan plan = slurm_base_plan();
    plan.files.push_back(qrmi_names());
    ServiceSpec sinfo =
        wait_for_host("slurmctld-up", "slurmctld", {"/usr/bin/sinfo", "--noheader"}, 300);
    sinfo.depends_on = {"munged"};
    // The demonstration user's accounting association, so that `sacct` and limits work from the
    // first job. Made here, not by the controller: every node waits for the controller's health
    // (Swarm names a task in DNS only once healthy), and these sacctmgr calls take over a second.
    // root is an accounting administrator; the user name is an argument ($1), not script text.
    ServiceSpec account = service(
        "demo-account",
        {"/bin/sh", "-c",
         "sacctmgr -n show user \"$1\" | grep -q . || "
         "{ sacctmgr -i add account demo Description=demonstration Organization=rasqberry && "
         "sacctmgr -i add user \"$1\" Account=demo; }",
         "demo-account", kDemoUser});
    account.oneshot = true;
    account.restart = RestartPolicy::on_failure;  // slurmdbd may be restarting: try again
    account.restart_delay = 1;
    account.depends_on = {"slurmctld-up"};
    plan.services.push_back(sinfo);
    plan.services.push_back(account);
    return plan;
}

}  // namespace rqinit
