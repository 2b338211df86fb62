"""The cluster as its users see it: sinfo, jobs, MPI, GRES, accounting, health, stop.

Tests run in file order on one cluster (the phase1 fixture); each says what a user would check.
"""
import json
import re

from conftest import (PHASE1, IMAGE, REPO, PROJECT, as_user, cluster, compose, container_id, inspect, on, run,
                      sinfo_rows, wait_until)
from user_checks import names_of_inaddr_any

PHASE1_SINFO = [("normal*", "up", "2", "idle", "c[1-2]")]
PHASE2_SINFO = [("normal", "up", "2", "idle", "c[1-2]"), ("quantum*", "up", "1", "idle", "q1")]


def test_phase1_sinfo_matches_the_architecture(phase1):
    assert sinfo_rows() == sorted(PHASE1_SINFO)


def test_every_container_is_healthy(phase1):
    for service in ["mysql", "slurmdbd", "slurmctld", "c1", "c2", "login"]:
        assert inspect(service)["State"]["Health"]["Status"] == "healthy", service
        assert on(service, "rqinit", "health").stdout.strip() == "healthy"


def test_the_address_slurm_listens_on_has_a_local_name(phase1):
    for service in ["slurmdbd", "slurmctld", "c1", "c2", "login"]:
        assert names_of_inaddr_any(on, service) == ["inaddr-any"], service


def test_secrets_are_installed_owned_and_private(phase1):
    assert on("c1", "stat", "-c", "%U %a %s", "/etc/munge/munge.key").stdout.split() == \
        ["munge", "400", "1024"]
    assert on("slurmdbd", "stat", "-c", "%U %a", "/etc/slurm/slurmdbd.conf").stdout.split() == \
        ["slurm", "600"]
    for service in ["login", "c1"]:  # where users log in, and where their jobs run
        read = on(service, "cat", "/run/secrets/munge_key", user="rasqberry", check=False)
        assert read.returncode != 0 and "Permission denied" in read.stderr, service
    password = (REPO / ".secrets" / "db_password").read_text().strip()
    for service in ["mysql", "slurmdbd"]:
        env = "\n".join(inspect(service)["Config"]["Env"])
        assert password not in env, f"the database password is in {service}'s environment"
        logs = compose("logs", "--no-color", service).stdout
        assert password not in logs, f"the database password is in {service}'s log"


def test_q1_joins_a_running_cluster_without_restarting_it(phase1):
    before = {s: inspect(s)["State"]["StartedAt"] for s in ["slurmctld", "c1", "c2", "login"]}
    cluster("add-q1")
    wait_until("q1 idle in sinfo", lambda: sinfo_rows() == sorted(PHASE2_SINFO), timeout=60)
    after = {s: inspect(s)["State"]["StartedAt"] for s in before}
    assert after == before


def test_srun_on_two_classical_nodes(phase1):
    out = as_user("srun", "-N", "2", "-p", "normal", "hostname").stdout.split()
    assert sorted(out) == ["c1", "c2"]


def test_a_batch_job_with_the_users_login_environment_runs(phase1):
    # --export=NONE has slurmd load the user's login environment (su - USER, in namespaces of
    # its own): the job runs with it, and slurmd stays up.
    job = as_user("sbatch", "--parsable", "--wait", "--export=NONE", "-p", "normal", "-w", "c1",
                  "-o", "/data/login-env-%j.out", "--wrap", "echo $HOME $USER",
                  timeout=120).stdout.strip()
    assert on("login", "cat", f"/data/login-env-{job}.out").stdout.split() == [
        "/home/rasqberry", "rasqberry"]
    assert re.search(r"^slurmd\s+\d+\s+ready\s+0\s", on("c1", "rqinit", "status").stdout, re.M)


def test_mpi_program_runs_across_c1_and_c2_with_pmix(phase1):
    out = as_user("srun", "-N", "2", "-n", "2", "-p", "normal", "--mpi=pmix", "mpi_hello").stdout
    assert "sum ok: 2 of 2" in out
    assert sorted(re.findall(r"rank \d of 2 on (c\d)", out)) == ["c1", "c2"]


def test_quantum_batch_job_runs_on_q1(phase1):
    out = as_user("sbatch", "--parsable", "-p", "quantum", "--gres=qpu:1", "--wait", "-o",
                  "/data/qpu-%j.out", "--wrap", "echo quantum job on $(hostname) as $(id -un)").stdout
    job = out.strip()
    assert on("login", "cat", f"/data/qpu-{job}.out").stdout.strip() == "quantum job on q1 as rasqberry"


def test_the_demonstration_lists_the_jobs_it_ran_and_only_those(phase1):
    # What `make up` shows a new user: its three jobs, ended, in the sacct table it prints last.
    out = cluster("demo", timeout=300).stdout.splitlines()
    header = next(i for i, line in enumerate(out) if line.split()[:2] == ["JobID", "JobName"])
    rows = [line.split() for line in out[header + 2:] if line.strip()]
    assert [(name, partition, user, state, code) for _, name, partition, user, state, code in rows] == [
        ("hostname", "normal", "rasqberry", "COMPLETED", "0:0"),
        ("mpi_hello", "normal", "rasqberry", "COMPLETED", "0:0"),
        ("wrap", "quantum", "rasqberry", "COMPLETED", "0:0")], "\n".join(out)


def test_a_quantum_job_waits_while_the_qpu_is_taken(phase1):
    first = as_user("sbatch", "--parsable", "-p", "quantum", "--gres=qpu:1", "--wrap", "sleep 60").stdout.strip()
    wait_until("the first qpu job to run", lambda: job_state(first) == "RUNNING", timeout=30)
    second = as_user("sbatch", "--parsable", "-p", "quantum", "--gres=qpu:1", "--wrap", "true").stdout.strip()
    # Once the scheduler has looked at it, it waits for the one qpu, while the first job runs.
    wait_until("the scheduler to hold the second job for Resources", lambda: on(
        "login", "squeue", "-h", "-j", second, "-o", "%T %r").stdout.strip() == "PENDING Resources", timeout=30)
    assert job_state(first) == "RUNNING"
    as_user("scancel", first)  # the qpu is free again: the second job runs
    wait_until("the second qpu job to complete", lambda: accounted_state(second) == "COMPLETED", timeout=60)


def test_sacct_lists_every_job_from_mariadb(phase1):
    jobs = as_user("sbatch", "--parsable", "-p", "normal", "--wait", "--wrap", "exit 3", check=False)
    failed = jobs.stdout.strip()
    wait_until("sacct to show the failed job", lambda: accounted_state(failed) == "FAILED", timeout=30)
    # sacct lists a job once its end lies before "now", which may be a second after -j shows it.
    listing = wait_until("sacct to list the failed job", lambda: sacct_listing(failed), timeout=30)
    rows = [line.split("|") for line in listing.splitlines()]
    assert len(rows) >= 5, listing
    states = {job: (user, state, code) for job, user, state, code in rows}
    assert states.get(failed) == ("rasqberry", "FAILED", "3:0"), listing
    assert sum(1 for _, state, code in states.values() if state == "COMPLETED" and code == "0:0") >= 4
    # The same jobs, read straight from the accounting database.
    count = on("mysql", "mariadb", "-N", "-e", "SELECT COUNT(*) FROM slurm_acct_db.rasqberry_job_table").stdout
    assert int(count) == len(rows)


def zombies_in(service):
    """The zombies in a container, as {pid: "ppid comm"}."""
    rows = (line.split(None, 3) for line in on(service, "ps", "-eo", "pid=,ppid=,stat=,comm=").stdout.splitlines())
    return {pid: f"{ppid} {comm}" for pid, ppid, stat, comm in rows if stat.startswith("Z")}


def test_no_zombies_anywhere_after_50_jobs(phase1):
    as_user("bash", "-c", "for i in $(seq 50); do srun -N 2 -p normal true || exit 1; done", timeout=300)
    for service in ["slurmctld", "slurmdbd", "c1", "c2", "q1", "login"]:
        # A child that has just exited is a zombie until its parent reaps it (partition-view's
        # sed, every second): each one seen must be gone soon, or nobody reaps it.
        first = zombies_in(service)

        def lasting():
            return {pid: what for pid, what in zombies_in(service).items() if first.get(pid) == what}

        wait_until(f"the zombies in {service} to be reaped", lambda: not lasting(), timeout=30,
                   explain=lambda: f"zombies (pid: ppid comm) {lasting()}")


def test_a_killed_munged_is_restarted_and_the_node_works_again(phase1):
    on("c1", "pkill", "-9", "-x", "munged")
    wait_until("c1 to run a job again", lambda: as_user(
        "srun", "-w", "c1", "-p", "normal", "--immediate=5", "hostname", check=False, timeout=30
    ).stdout.strip() == "c1", timeout=30)
    status = on("c1", "rqinit", "status").stdout
    assert re.search(r"^munged\s+\d+\s+ready\s+1\s", status, re.M), status


def test_a_node_back_with_a_new_address_is_reachable(phase1):
    old = address_of("c2")
    network = f"{PROJECT}_slurm-network"
    c2 = container_id("c2")
    run(["docker", "kill", "-s", "KILL", c2])  # no clean stop: the controller still knows the node
    # Another container takes c2's address while it is away, as after a host reboot.
    run(["docker", "network", "disconnect", network, c2])
    squatter = run(["docker", "run", "-d", "--rm", "--network", network, "--entrypoint", "sleep",
                    IMAGE, "300"]).stdout.strip()
    try:
        run(["docker", "network", "connect", "--alias", "c2", network, c2])
        run(["docker", "start", c2])
        wait_until("c2 healthy", lambda: inspect("c2")["State"]["Health"]["Status"] == "healthy", timeout=90)
        assert address_of("c2") != old
        out = as_user("srun", "-w", "c2", "-p", "normal", "hostname", timeout=60).stdout.strip()
        assert out == "c2"
    finally:
        run(["docker", "rm", "-f", squatter], check=False)


def user_jobs():
    return as_user("squeue", "-h", "-o", "%i %T %N").stdout.strip()


def test_a_killed_srun_gives_its_node_back(phase1):
    # A user's srun killed (kill -9, a lost session) cannot release its allocation. slurmctld
    # pings each srun every InactiveLimit/3 s and ends the job of one that no longer answers;
    # without InactiveLimit (0: none) the job would hold c2 until its time limit (none in normal).
    config = as_user("scontrol", "show", "config").stdout
    inactive_limit = int(re.search(r"^InactiveLimit\s*=\s*(\d+)", config, re.M).group(1))
    run(["docker", "exec", "-d", "-u", "rasqberry", "-w", "/home/rasqberry", container_id("login"),
         "srun", "-w", "c2", "-p", "normal", "-J", "abandoned", "sleep", "600"])
    wait_until("the job to run on c2", lambda: user_jobs().endswith("RUNNING c2"), timeout=60)
    on("login", "pkill", "-KILL", "-u", "rasqberry", "-x", "srun")
    wait_until("the abandoned job to be ended", lambda: user_jobs() == "",
               timeout=inactive_limit + 60, explain=user_jobs)
    wait_until("c2 idle", lambda: as_user("sinfo", "-h", "-n", "c2", "-o", "%t").stdout.strip() == "idle",
               timeout=60)


def test_stop_ends_every_container_with_exit_code_0(phase1):
    ids = compose("ps", "-q").stdout.split()
    # mysql, slurmdbd, slurmctld, c1, c2, q1, login, and nfs unless RQINIT_STORAGE=volumes
    assert len(ids) == len(PHASE1) + 1
    compose("stop", timeout=120)
    for container in ids:
        state = json.loads(run(["docker", "inspect", container]).stdout)[0]
        assert (state["State"]["Status"], state["State"]["ExitCode"]) == ("exited", 0), state["Name"]


def sacct_listing(expected_job):
    """Every job as the user sees it, or "" while expected_job is not listed yet."""
    listing = as_user("sacct", "-X", "-n", "-P", "-o", "JobID,User,State,ExitCode").stdout
    return listing if any(line.startswith(expected_job + "|") for line in listing.splitlines()) else ""


def job_state(job):
    return on("login", "squeue", "-h", "-j", job, "-o", "%T", check=False).stdout.strip()


def accounted_state(job):
    return on("login", "sacct", "-X", "-n", "-P", "-j", job, "-o", "State", check=False).stdout.strip()


def address_of(service):
    networks = inspect(service)["NetworkSettings"]["Networks"]
    return next(iter(networks.values()))["IPAddress"]
