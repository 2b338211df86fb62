// What the Slurm roles share: where Docker puts the secrets and configs, munged under
// supervision, the Slurm configuration files, and the waits for the other containers.
#pragma once

#include <string>
#include <vector>

#include "init/plan.hpp"

namespace rqinit::slurm {

// Docker mounts secrets here (Compose and Swarm alike) and the stack's configs under kConfigDir.
inline const std::string kSecretDir = "/run/secrets";
inline const std::string kConfigDir = "/etc/rqinit/slurm";
inline const std::string kShareDir = "/usr/share/rqinit";  // the roles' own templates
inline const std::string kDemoUser = "rasqberry";          // uid 1000, in the image

ServiceSpec service(const std::string& name, std::vector<std::string> command);
// A wait: a service with no command, ready when the probe command exits 0.
ServiceSpec wait_for(const std::string& name, std::vector<std::string> probe, double timeout);
// A wait for another container by its name (host): each try runs the probe only once the name
// resolves. Swarm names a task only once it is healthy, and Slurm's tools retry a name that
// does not resolve for 10-30 s: called straight away they would see it seconds late.
ServiceSpec wait_for_host(const std::string& name, const std::string& host,
                          std::vector<std::string> probe, double timeout);

FileInstall munge_key();
// A template with "@DB_PASSWORD@", replaced by the db_password secret written in the syntax of
// the place it lands in (secrets/file_install.cpp): "sql-string", "mysql-option-file" or
// "slurm-conf-value".
FileInstall database_password_template(const std::string& what, const std::string& source,
                                       const std::string& target, const std::string& owner,
                                       mode_t mode, const std::string& syntax);
// The qpu plugin's QRMI config (the qrmi_config secret: credentials), on q nodes, root's alone:
// the plugin reads it in slurmstepd, as root, and hands a job only the QPUs it asked for.
FileInstall qrmi_config();
// Its QPU names only, world-readable, on the login node: sbatch, srun and salloc refuse an
// unknown --qpu at once, and no credential is on the node users log in to.
FileInstall qrmi_names();
// slurm.conf, gres.conf, cgroup.conf, plugstack.conf from the stack's configs, world-readable.
std::vector<FileInstall> slurm_config_files();
std::vector<DirectoryInstall> slurm_directories();

// Health, once ready, is the readiness check again, every 10 s: a daemon that stops answering
// makes its container unhealthy (Docker's HEALTHCHECK asks `rqinit health`).
ServiceSpec with_health(ServiceSpec spec);

ServiceSpec munged();
// The Slurm daemons of a plan add these waits and depend on them.
ServiceSpec wait_for_slurmctld();

// A plan with munged, its key and the Slurm configuration: the start of every Slurm role.
Plan slurm_base_plan();

}  // namespace rqinit::slurm
