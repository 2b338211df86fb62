// The plans of the cluster's roles (docs/reference.md, "Roles"). All Slurm knowledge of rqinit
// lives under roles/: which daemons, as which users, waiting for what, ready when.
#pragma once

#include "init/plan.hpp"
#include "roles/role_registry.hpp"

namespace rqinit {

Plan mysql_plan(const RoleContext& context);
Plan slurmdbd_plan(const RoleContext& context);
Plan slurmctld_plan(const RoleContext& context);
Plan classical_node_plan(const RoleContext& context);
Plan quantum_node_plan(const RoleContext& context);
Plan login_plan(const RoleContext& context);
Plan nfs_plan(const RoleContext& context);

}  // namespace rqinit
