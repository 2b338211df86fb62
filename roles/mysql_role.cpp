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
    plan.files = {
        database_password_template("accounting database setup", kShareDir + "/mysql-init.sql.in",
                                   "/run/mysqld/rqinit-init.sql", "mysql:mysql", 0600,
                                   "sql-string"),
        database_password_template(
            "database client credentials", kShareDir + "/mysql-client.cnf.in",
            "/run/rqinit/mysql-client.cnf", "root:root", 0600, "mysql-option-file"),
    };

    // A new volume is empty: make the system tables once. Debian's image ships it empty on purpose.
    // Values reach the script as its arguments ("$1"), quoted where used, never pasted into it.
    ServiceSpec install = service(
        "mysql-install", {"/bin/sh", "-c",
                          "test -d \"$1/mysql\" || "
                          "mariadb-install-db --user=mysql --datadir=\"$1\" "
                          "--skip-test-db --auth-root-authentication-method=socket >/dev/null",
                          "mysql-install", kDataDir});
    install.user = "mysql";
    install.restart = RestartPolicy::never;
    install.oneshot = true;  // mariadbd must not start on a half-made datadir

    ServiceSpec mariadbd =
        service("mariadbd",
                {"/usr/sbin/mariadbd", "--datadir=" + kDataDir, "--socket=/run/mysqld/mysqld.sock",
                 "--bind-address=0.0.0.0", "--skip-name-resolve",
                 "--init-file=/run/mysqld/rqinit-init.sql", "--innodb-lock-wait-timeout=900"});
    mariadbd.user = "mysql";
    mariadbd.depends_on = {"mysql-install"};
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
