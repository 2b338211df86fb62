// mysql: MariaDB with the accounting database. On every start the init file (re)creates the
// database and the slurm user with the password from the secret, so the secret stays the one
// source of truth even for a volume made earlier.
#include "roles/slurm_common.hpp"
#include "roles/slurm_roles.hpp"

namespace rqinit {

using namespace slurm;

namespace {
const std::string kDataDir = "/var/lib/mysql";  // the mysql_data volume
}  // namespace

Plan mysql_plan(const RoleContext&) {
    Plan plan;
    plan.directories = {{"/run/mysqld", "mysql:mysql", 0755},
                        {kDataDir, "mysql:mysql", 0755},
                        {"/run/rqinit", "root:root", 0700}};
    // Installed, the password is the database's and the client file's: the source goes.
    plan.hide_after_install = {kSecretDir};
    plan.files = {
        database_password_template("accounting database setup", kShareDir + "/mysql-init.sql.in",
                                   "/run/mysqld/rqinit-init.sql", "mysql:mysql", 0600,
                                   "sql-string"),
        database_password_template(
            "database client credentials", kShareDir + "/mysql-client.cnf.in",
            "/run/rqinit/mysql-client.cnf", "root:root", 0600, "mysql-option-file"),
    };

    // A new volume is empty: copy in the system tables made at image build time
    // (images/Dockerfile), which is much faster than mariadb-install-db at every first start. A
    // volume that has them is kept as it is. The mysql/ directory, which says the copy is complete,
    // is copied under a temporary name and renamed last, so a copy cut short is made again at the
    // next start. Values reach the script as its arguments ("$1", "$2"), quoted where used, never
    // pasted in.
    ServiceSpec install =
        service("mysql-seed", {"/bin/sh", "-c",
                               R"(set -eu
seed=$1 datadir=$2
test -d "$datadir/mysql" && exit 0
for entry in "$seed"/*; do
    test "${entry##*/}" = mysql || cp -a "$entry" "$datadir/"
done
rm -rf "$datadir/mysql.rqinit-new"
cp -a "$seed/mysql" "$datadir/mysql.rqinit-new"
mv "$datadir/mysql.rqinit-new" "$datadir/mysql")",
                               "mysql-seed", kShareDir + "/mysql-seed", kDataDir});
    install.user = "mysql";
    install.restart = RestartPolicy::never;
    install.oneshot = true;  // mariadbd must not start on a half-made datadir

    ServiceSpec mariadbd =
        service("mariadbd",
                {"/usr/sbin/mariadbd", "--datadir=" + kDataDir, "--socket=/run/mysqld/mysqld.sock",
                 "--bind-address=0.0.0.0", "--skip-name-resolve",
                 "--init-file=/run/mysqld/rqinit-init.sql", "--innodb-lock-wait-timeout=900"});
    mariadbd.user = "mysql";
    mariadbd.depends_on = {"mysql-seed"};
    mariadbd.stop_timeout = 30;  // a clean InnoDB shutdown is worth waiting for
    // Ready when the slurm user can log in with the secret's password and see its database.
    mariadbd.ready.kind = Probe::Kind::command;
    mariadbd.ready.argv = {
        "/usr/bin/mariadb",   "--defaults-extra-file=/run/rqinit/mysql-client.cnf",
        "--protocol=tcp",     "--host=127.0.0.1",
        "--execute=SELECT 1", "slurm_acct_db"};
    plan.services = {install, with_health(mariadbd)};
    return plan;
}

}  // namespace rqinit
