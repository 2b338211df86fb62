#!/bin/bash
# Entrypoint of baselines (a) and (b) of bench/cluster_bench.py: one script for every role,
# written the way the architecture document's docker-entrypoint-swarm.sh and giovtorres'
# docker-entrypoint.sh work (the two differ only in the compose file's gating).
#   entrypoint.sh mysql|slurmdbd|slurmctld|c|q|login
# Nothing here supervises anything: munged runs in the background on its own, the daemon is
# exec'd and becomes PID 1.
set -euo pipefail

role=${1:?usage: entrypoint.sh mysql|slurmdbd|slurmctld|c|q|login}
conf_src=/etc/rqinit/slurm   # the stack's etc/, mounted read-only as for rqinit

db_password() { cat /run/secrets/db_password; }

# The munge key arrives root-owned from the secret; munged wants it owned by munge, mode 0400.
start_munged() {
    cp /run/secrets/munge_key /etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    mkdir -p /run/munge
    chown munge:munge /run/munge
    echo "entrypoint: starting munged"
    runuser -u munge -- /usr/sbin/munged
}

install_slurm_conf() {
    mkdir -p /etc/slurm /run/slurm /var/spool/slurmd
    chown slurm:slurm /run/slurm
    for f in slurm.conf gres.conf cgroup.conf plugstack.conf; do
        cp "$conf_src/$f" "/etc/slurm/$f"
        chmod 0644 "/etc/slurm/$f"
    done
}

wait_for_port() {
    local host=$1 port=$2
    until 2>/dev/null >"/dev/tcp/$host/$port"; do
        echo "entrypoint: waiting for $host:$port"
        sleep 2
    done
}

run_mysql() {
    mkdir -p /run/mysqld
    chown mysql:mysql /run/mysqld /var/lib/mysql
    local extra=()
    if [ ! -d /var/lib/mysql/mysql ]; then
        echo "entrypoint: initialising the MariaDB datadir"
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db \
            --auth-root-authentication-method=socket >/dev/null
        # First start only: the accounting database and its user, from the password secret.
        local pw
        pw=$(db_password)
        cat > /run/mysqld/init.sql <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON slurm_acct_db.* TO 'slurm'@'%';
FLUSH PRIVILEGES;
SQL
        chown mysql:mysql /run/mysqld/init.sql
        chmod 0600 /run/mysqld/init.sql
        extra=(--init-file=/run/mysqld/init.sql)
    fi
    # Started as root, mariadbd becomes mysql itself (--user).
    exec /usr/sbin/mariadbd --user=mysql --datadir=/var/lib/mysql \
        --socket=/run/mysqld/mysqld.sock --bind-address=0.0.0.0 --skip-name-resolve \
        --innodb-lock-wait-timeout=900 "${extra[@]}"
}

run_slurmdbd() {
    start_munged
    install_slurm_conf
    local pw
    pw=$(db_password)
    sed "s|@DB_PASSWORD@|$pw|" "$conf_src/slurmdbd.conf.in" > /etc/slurm/slurmdbd.conf
    chown slurm:slurm /etc/slurm/slurmdbd.conf
    chmod 0600 /etc/slurm/slurmdbd.conf
    until echo "SELECT 1" | mariadb -h mysql -u slurm -p"$pw" slurm_acct_db >/dev/null 2>&1; do
        echo "entrypoint: waiting for the database"
        sleep 2
    done
    # Started as root, slurmdbd becomes SlurmUser (slurm) itself.
    exec /usr/sbin/slurmdbd -D
}

run_slurmctld() {
    start_munged
    install_slurm_conf
    mkdir -p /var/spool/slurmctld
    chown slurm:slurm /var/spool/slurmctld
    wait_for_port slurmdbd 6819
    # Started as root, slurmctld becomes SlurmUser (slurm) itself.
    exec /usr/sbin/slurmctld -D -i
}

run_node() {
    start_munged
    install_slurm_conf
    wait_for_port slurmctld 6817
    exec /usr/sbin/slurmd -D -Z --conf "$1"
}

run_login() {
    start_munged
    install_slurm_conf
    exec sleep infinity
}

case "$role" in
    mysql) run_mysql ;;
    slurmdbd) run_slurmdbd ;;
    slurmctld) run_slurmctld ;;
    c) run_node "Feature=classical" ;;
    q) run_node "Feature=qpu Gres=qpu:1" ;;
    login) run_login ;;
    *) echo "entrypoint: unknown role '$role'" >&2; exit 2 ;;
esac
