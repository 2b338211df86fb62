#!/bin/bash
# Baseline (c) entrypoint (bench/cluster_bench.py): the best a careful shell user can do without
# writing a supervisor. Docker's init (`init: true`) is PID 1 and reaps; this script is its child.
#   entrypoint-careful.sh mysql|slurmdbd|slurmctld|c|q|login
# - polls every 0.2 s (not 2 s), and waits for munged's socket before starting a daemon;
# - runs munged and the daemon in the foreground as its own children;
# - forwards SIGTERM (daemon first, then munged), waits for them, exits 0 on a clean stop;
# - exits 1 as soon as either child dies, so that Docker's restart policy restarts the container.
set -euo pipefail

role=${1:?usage: entrypoint-careful.sh mysql|slurmdbd|slurmctld|c|q|login}
conf_src=/etc/rqinit/slurm
children=()  # in start order

stop_all() {
    local status=0 i rc
    for ((i = ${#children[@]} - 1; i >= 0; i--)); do
        kill -TERM "${children[i]}" 2>/dev/null || true
        rc=0; wait "${children[i]}" || rc=$?
        # 143: the child died of the SIGTERM we sent it, which is a clean stop too.
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 143 ]; then status=$rc; fi
    done
    exit "$status"
}
trap stop_all TERM INT

poll() { until "$@" >/dev/null 2>&1; do sleep 0.2; done; }
tcp_open() { : 2>/dev/null >"/dev/tcp/$1/$2"; }

start_munged() {
    install -o munge -g munge -m 0400 /run/secrets/munge_key /etc/munge/munge.key
    install -d -o munge -g munge -m 0755 /run/munge
    rm -f /run/munge/munge.socket.2
    setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground &
    children+=($!)
    poll test -S /run/munge/munge.socket.2
}

install_slurm_conf() {
    mkdir -p /etc/slurm /var/spool/slurmd
    install -d -o slurm -g slurm /run/slurm
    for f in slurm.conf gres.conf cgroup.conf plugstack.conf; do
        install -m 0644 "$conf_src/$f" "/etc/slurm/$f"
    done
}

# Runs the daemon as a child and waits; returns only through stop_all or a child's death.
run() {
    "$@" &
    children+=($!)
    local rc=0
    wait -n || rc=$?
    echo "entrypoint: a child exited ($rc); stopping the rest so that Docker restarts us" >&2
    trap - TERM INT
    local pid
    for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait || true
    exit 1
}

run_mysql() {
    install -d -o mysql -g mysql /run/mysqld
    chown mysql:mysql /var/lib/mysql
    local extra=()
    if [ ! -d /var/lib/mysql/mysql ]; then
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db \
            --auth-root-authentication-method=socket >/dev/null
        local pw
        pw=$(cat /run/secrets/db_password)
        (umask 077 && cat > /run/mysqld/init.sql <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON slurm_acct_db.* TO 'slurm'@'%';
FLUSH PRIVILEGES;
SQL
        )
        chown mysql:mysql /run/mysqld/init.sql
        extra=(--init-file=/run/mysqld/init.sql)
    fi
    run /usr/sbin/mariadbd --user=mysql --datadir=/var/lib/mysql \
        --socket=/run/mysqld/mysqld.sock --bind-address=0.0.0.0 --skip-name-resolve \
        --innodb-lock-wait-timeout=900 "${extra[@]}"
}

db_answers() { echo "SELECT 1" | mariadb -h mysql -u slurm -p"$1" slurm_acct_db; }

case "$role" in
    mysql) run_mysql ;;
    slurmdbd)
        start_munged; install_slurm_conf
        pw=$(cat /run/secrets/db_password)
        sed "s|@DB_PASSWORD@|$pw|" "$conf_src/slurmdbd.conf.in" > /etc/slurm/slurmdbd.conf
        chown slurm:slurm /etc/slurm/slurmdbd.conf; chmod 0600 /etc/slurm/slurmdbd.conf
        poll db_answers "$pw"
        run /usr/sbin/slurmdbd -D ;;
    slurmctld)
        start_munged; install_slurm_conf
        install -d -o slurm -g slurm -m 0700 /var/spool/slurmctld
        chown slurm:slurm /var/spool/slurmctld
        poll tcp_open slurmdbd 6819
        run /usr/sbin/slurmctld -D -i ;;
    c|q)
        start_munged; install_slurm_conf
        poll tcp_open slurmctld 6817
        if [ "$role" = c ]; then conf="Feature=classical"; else conf="Feature=qpu Gres=qpu:1"; fi
        run /usr/sbin/slurmd -D -Z --conf "$conf" ;;
    login)
        start_munged; install_slurm_conf
        run sleep infinity ;;
    *) echo "entrypoint: unknown role '$role'" >&2; exit 2 ;;
esac
