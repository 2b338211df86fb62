// login: where users submit jobs. Only munged runs; ready when sinfo answers. Its health is
// munged's alone: a controller outage must not make the login node look broken to Docker.
// It holds the QPU names, never the QRMI config: users log in here.
#include "roles/slurm_common.hpp"
#include "roles/slurm_roles.hpp"

namespace rqinit {

using namespace slurm;

Plan login_plan(const RoleContext&) {
    Plan plan = slurm_base_plan();
    plan.files.push_back(qrmi_names());
    ServiceSpec sinfo = wait_for("slurmctld-up", {"/usr/bin/sinfo", "--noheader"}, 300);
    sinfo.depends_on = {"munged"};
    plan.services.push_back(sinfo);
    return plan;
}

}  // namespace rqinit
