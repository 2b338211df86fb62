// slurmdbd: the accounting daemon, once MariaDB accepts the slurm user's password.
#include "roles/slurm_common.hpp"
#include "roles/slurm_roles.hpp"

namespace rqinit {

using namespace slurm;

Plan slurmdbd_plan(const RoleContext&) {
    Plan plan = slurm_base_plan();
    plan.directories.push_back({"/run/rqinit", "root:root", 0700});
    // slurmdbd refuses a slurmdbd.conf that others can read (it holds the password).
    plan.files.push_back(database_password_template(
        "slurmdbd.conf", kConfigDir + "/slurmdbd.conf.in", "/etc/slurm/slurmdbd.conf",
        "slurm:slurm", 0600, "slurm-conf-value"));
    plan.files.push_back(database_password_template(
        "database client credentials", kShareDir + "/mysql-client.cnf.in",
        "/run/rqinit/mysql-client.cnf", "root:root", 0600, "mysql-option-file"));

    // An authenticated query, so that a wrong password shows here, by name, not as a slurmdbd
    // that fails later. "Access denied" will not pass by waiting: exit 100 ends the wait at once.
    ServiceSpec mysql = wait_for_host(
        "mysql-up", "mysql",
        {"/bin/sh", "-c",
         "out=$(mariadb --defaults-extra-file=/run/rqinit/mysql-client.cnf --host=mysql "
         "--connect-timeout=2 "
         "--execute='SELECT 1' slurm_acct_db 2>&1) && exit 0; echo \"$out\"; "
         "case $out in *'Access denied'*) exit 100;; esac; exit 1"},
        300);

    ServiceSpec slurmdbd = service("slurmdbd", {"/usr/sbin/slurmdbd", "-D"});
    slurmdbd.user = "slurm";
    slurmdbd.depends_on = {"munged", "mysql-up"};
    // sacctmgr talks to slurmdbd as any client does: no "Zero Bytes" noise of a bare TCP probe.
    slurmdbd.ready.kind = Probe::Kind::command;
    slurmdbd.ready.argv = {"/usr/bin/sacctmgr", "--noheader", "show", "cluster"};
    slurmdbd.ready.interval = 0.3;
    plan.services.push_back(mysql);
    plan.services.push_back(with_health(slurmdbd));
    return plan;
}

}  // namespace rqinit
