"""Phase 3 as its users see it: sinfo, placement, MPI and files across the two hosts, a quantum
job on q2, accounting, secrets, a second deploy that changes nothing; outages the cluster heals
by itself (the second engine stopped, the link cut, the controller killed); make reconfigure.

Tests run in file order on one deployment (the deployed fixture); each says what a user checks.
"""
import json
import re
import secrets
import warnings

import two_hosts
from conftest import (REPO, SLURM_ETC, STACK, as_user, docker, on, reset_slurm_etc, run, sinfo_rows,
                      swarm, task, wait_until)
from user_checks import (ALICE_SECRET, ALLREDUCE_C, UNPRIVILEGED, forge_nfs, make_alice, secret_forms,
                         names_of_inaddr_any, privileges, write_as_user)

PHASE3_SINFO = [("normal", "up", "4", "idle", "c[1-4]"), ("quantum*", "up", "2", "idle", "q[1-2]")]
SECOND_HOST_SERVICES = {"c3", "c4", "q2"}
ALL_SERVICES = {"mysql", "slurmdbd", "slurmctld", "nfs", "c1", "c2", "c3", "c4", "q1", "q2", "login"}

def placement():
    out = docker("rasqberry", "stack", "ps", STACK, "--filter", "desired-state=running",
                 "--format", "{{.Name}} {{.Node}}").stdout
    return {line.split()[0].split(".")[0].removeprefix(f"{STACK}_"): line.split()[1]
            for line in out.splitlines()}


def service_logs(service):
    """Everything a service's tasks wrote: `docker service logs` hands on their stdout (the
    daemons) and their stderr (rqinit's own lines) apart."""
    logs = docker("rasqberry", "service", "logs", "--raw", f"{STACK}_{service}", check=False)
    return logs.stdout + logs.stderr


def specs_and_tasks():
    """Every service's spec, and the id of every running task: what a deploy would change.
    (Not the services' version numbers: `docker stack deploy` writes every service again, the
    same spec included, and each write counts.)"""
    names = [f"{STACK}_{s}" for s in sorted(ALL_SERVICES)]
    specs = json.loads(docker("rasqberry", "service", "inspect", *names).stdout)
    tasks = docker("rasqberry", "stack", "ps", "-q", "--filter", "desired-state=running",
                   STACK).stdout.split()
    return {spec["Spec"]["Name"]: spec["Spec"] for spec in specs}, sorted(tasks)


def test_deploy_ends_with_the_phase_3_sinfo(deployed):
    assert "normal       up   infinite      4   idle c[1-4]" in deployed.stdout
    assert sinfo_rows() == sorted(PHASE3_SINFO)


def test_c3_c4_and_q2_run_on_the_second_host_and_the_rest_on_the_first(deployed):
    where = placement()
    assert set(where) == ALL_SERVICES, where
    for service, host in where.items():
        assert host == ("rasqberry2" if service in SECOND_HOST_SERVICES else "rasqberry"), where


def run_allreduce(work):
    # -t 1: a job that hangs ends by itself and leaves the nodes to what follows.
    result = as_user("srun", "-N", "4", "--ntasks-per-node=1", "-t", "1", "-p", "normal",
                     "--mpi=pmix", "-D", work, f"{work}/allreduce", timeout=150, check=False)
    return result.stdout, re.findall(r"rank (\d) of 4 on (c\d): sum (\d+)", result.stdout), \
        result.stderr


def test_an_mpi_program_compiled_on_login_spans_both_hosts(deployed):
    work = "/home/rasqberry/swarm-test"
    write_as_user(as_user, f"{work}/allreduce.c", ALLREDUCE_C)
    as_user("mpicc", "-O2", "-o", f"{work}/allreduce", f"{work}/allreduce.c")
    out, ranks, errors = run_allreduce(work)
    if len(ranks) != 4:
        # Known and open (docs/operations.md, "Two hosts"): the first MPI job after a deploy sometimes fails
        # in MPI_Init (Open MPI 5: a crash in ob1's first-fragment match); the next passes.
        # Said, not hidden: the warning carries what the first run printed.
        warnings.warn(f"the first MPI run across the hosts failed; trying once more:\n"
                      f"{out}\n{errors[-2000:]}")
        out, ranks, errors = run_allreduce(work)
    assert sorted(host for _, host, _ in ranks) == ["c1", "c2", "c3", "c4"], out + errors
    assert [total for _, _, total in ranks] == ["10"] * 4, out


def test_a_quantum_job_runs_on_q2(deployed):
    job = as_user("sbatch", "--parsable", "-p", "quantum", "--gres=qpu:1", "-w", "q2", "--wait",
                  "-o", "/home/rasqberry/swarm-test/q2-%j.out", "--wrap",
                  "echo quantum job on $(hostname) as $(id -un)", timeout=180).stdout.strip()
    out = as_user("cat", f"/home/rasqberry/swarm-test/q2-{job}.out").stdout
    assert out.strip() == "quantum job on q2 as rasqberry"


def test_a_file_a_job_writes_under_shared_on_c3_is_read_on_c1(deployed):
    name, token = f"/shared/from-c3-{secrets.token_hex(4)}", secrets.token_hex(16)
    as_user("srun", "-w", "c3", "-p", "normal", "sh", "-c", f"echo {token} > {name}")
    out = as_user("srun", "-w", "c1", "-p", "normal", "cat", name).stdout
    assert out.strip() == token


def test_sacct_lists_every_job(deployed):
    """The jobs above, by where they ran: MPI on c1..c4, the batch job on q2, the file on c3
    and c1; accounted through slurmdbd and MariaDB on the first host."""
    wanted = {("c1,c2,c3,c4", "COMPLETED"), ("q2", "COMPLETED"), ("c3", "COMPLETED"),
              ("c1", "COMPLETED")}

    def hostnames(nodelist):  # dynamic nodes list in join order: c[4,2-3,1]
        names = as_user("scontrol", "show", "hostnames", nodelist).stdout.split()
        return ",".join(sorted(names))

    def accounted():
        out = as_user("sacct", "-X", "-n", "-P", "-o", "User,NodeList,State").stdout
        rows = [line.split("|") for line in out.splitlines() if line]
        seen = {(hostnames(nodes), state) for user, nodes, state in rows if user == "rasqberry"}
        return wanted <= seen and rows
    wait_until("sacct to list the jobs of the tests above", accounted, timeout=60)


def test_secrets_are_installed_owned_and_private_on_both_hosts(deployed):
    for service in ["c1", "c3", "q2", "slurmctld"]:
        assert on(service, "stat", "-c", "%U:%G %a %s", "/etc/munge/munge.key").stdout.split() == \
            ["munge:munge", "400", "1024"], service
    assert on("slurmdbd", "stat", "-c", "%U:%G %a", "/etc/slurm/slurmdbd.conf").stdout.split() == \
        ["slurm:slurm", "600"]
    # Swarm mounts secrets world-readable (0444): rqinit hides them once installed, or a user
    # on login, or any job, could read the munge key and act as root on every node.
    for service in ["login", "c3", "q2"]:
        for secret in ["munge_key", "qrmi_config"] if service != "c3" else ["munge_key"]:
            read = on(service, "cat", f"/run/secrets/{secret}", user="rasqberry", check=False)
            assert read.returncode != 0 and "Permission denied" in read.stderr, (service, secret)
    password = (REPO / ".secrets" / "db_password").read_text().strip()
    key_forms = secret_forms((REPO / ".secrets" / "munge.key").read_bytes())
    for service in ["mysql", "slurmdbd", "c3"]:
        host, container = task(service)
        seen = docker(host, "inspect", container).stdout + \
            docker("rasqberry", "service", "inspect", f"{STACK}_{service}").stdout + \
            on(service, "cat", "/proc/1/environ").stdout + \
            service_logs(service)
        assert password not in seen, f"the database password shows in {service}"
        for form, text in key_forms.items():
            assert text not in seen, f"the munge key shows in {service} ({form})"


def test_no_uid_but_root_reads_a_secret_in_any_container(deployed):
    # Swarm would mount them 0444; the stack gives them 0400, for the roles that cannot cover
    # /run/secrets (no CAP_SYS_ADMIN): slurmctld, slurmdbd, mysql. Tried as each daemon's own uid.
    for service, user, secrets_there in [("slurmctld", "slurm", ["munge_key"]),
                                         ("slurmdbd", "slurm", ["munge_key", "db_password"]),
                                         ("mysql", "mysql", ["db_password"])]:
        for secret in secrets_there:
            read = on(service, "setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups",
                      "cat", f"/run/secrets/{secret}", check=False)
            assert read.returncode != 0 and "Permission denied" in read.stderr, (service, secret)


def test_a_forged_uid_neither_reads_nor_writes_another_users_file_on_both_hosts(deployed):
    make_alice(on)
    for service in ["login", "c3"]:
        for version in ["3", "4"]:
            url = f"nfs://nfs/home/alice/private?uid=1001&gid=1001&version={version}"
            read = on(service, "nfs-cat", url, user="rasqberry", check=False)
            assert read.returncode != 0 and "private words" not in read.stdout, (service, version)
            planted = f"nfs://nfs/home/alice/planted?uid=1001&gid=1001&version={version}"
            write = on(service, "nfs-cp", "/etc/hostname", planted, user="rasqberry", check=False)
            assert write.returncode != 0, (service, version)
        raw = forge_nfs(on, service, "alice/private", 1001, 1001, 0, "read")
        assert raw.get("denied") == {"rejected": "AUTH_ERROR", "auth_stat": 5}, (service, raw)
        reserved = forge_nfs(on, service, "alice/private", 1001, 1001, 1000, "read")
        assert "PermissionError" in reserved.get("error", ""), (service, reserved)
    assert on("nfs", "ls", "-A", "/home/alice").stdout.split() == ["private"]
    # The control: trusted root of a node, from a reserved port, is believed.
    trusted = forge_nfs(on, "login", "alice/private", 1001, 1001, 1000, "read", user="root")
    assert trusted.get("content") == ALICE_SECRET, trusted


def test_jobs_on_both_hosts_run_with_no_new_privs_and_no_capability(deployed):
    for node, partition in [("c1", "normal"), ("c3", "normal"), ("q2", "quantum")]:
        step = as_user("srun", "-w", node, "-p", partition, "cat", "/proc/self/status").stdout
        assert privileges(step) == UNPRIVILEGED, node
    for service in ["login", "c3"]:
        found = on(service, "find", "/", "-xdev", "-type", "f", "(", "-perm", "-4000", "-o",
                   "-perm", "-2000", ")", "-print").stdout.split()
        assert found == [], (service, found)


def test_mariadb_is_out_of_reach_of_login_and_the_nodes(deployed):
    for service in ["login", "c3", "slurmctld"]:
        assert on(service, "getent", "hosts", "mysql", check=False).returncode != 0, service
    assert on("slurmdbd", "getent", "hosts", "mysql").returncode == 0


def test_the_address_slurm_listens_on_has_a_local_name_on_both_hosts(deployed):
    for service in ["slurmdbd", "slurmctld", "c1", "c3", "q2", "login"]:
        assert names_of_inaddr_any(on, service) == ["inaddr-any"], service


def test_a_second_deploy_changes_nothing(deployed):
    before = specs_and_tasks()
    swarm("deploy")
    assert specs_and_tasks() == before
    assert json.loads(docker("rasqberry", "node", "inspect", "rasqberry2").stdout)[0] \
        ["Spec"]["Labels"]["rasqberry.host"] == "second"


def test_a_16_byte_munge_key_fails_the_nodes_with_one_line_then_the_right_key_brings_them_back(
        deployed, tmp_path):
    short_key = tmp_path / "munge.key"
    short_key.write_bytes(secrets.token_bytes(16))
    failed = swarm("deploy", env={"RQINIT_MUNGE_KEY_FILE": str(short_key), "IDLE_TIMEOUT": "45"},
                   check=False)
    assert failed.returncode == 1, failed.stderr
    assert "swarm: failed at 'wait up to 45 s for" in failed.stderr
    wanted = "munge key: /run/secrets/munge_key has 16 bytes; it needs at least 32"

    def said():
        return wanted in service_logs("c3")
    wait_until("c3's service log to say why", said, timeout=60)
    back = swarm("deploy")
    assert "quantum*     up   infinite      2   idle q[1-2]" in back.stdout
    assert sinfo_rows() == sorted(PHASE3_SINFO)


# --- outages: the cluster heals itself, and a job on the first host runs through them

OUTAGE_NODES = ["c3", "c4", "q2"]


def node_states():
    out = as_user("sinfo", "-h", "-N", "-o", "%N %t").stdout
    return dict(line.split() for line in out.splitlines() if line.strip())


def out_of_service(states):
    """c3, c4 and q2 gone from sinfo, or not responding ("idle*") or down."""
    return all(states.get(node) is None or states[node].endswith("*") or
               states[node].startswith("down") for node in OUTAGE_NODES)


def start_job_on_c1(name, seconds=45):
    out = f"/home/rasqberry/swarm-test/{name}-%j.out"
    return as_user("sbatch", "--parsable", "-p", "normal", "-w", "c1", "-o", out, "--wrap",
                   f"sleep {seconds}; echo {name} done on $(hostname)").stdout.strip()


def wait_for_job(job, name):
    def state():
        out = as_user("sacct", "-X", "-n", "-P", "-j", job, "-o", "State").stdout.split()
        return out and out[0] not in ("PENDING", "RUNNING") and out[0]
    ended = wait_until(f"job {job} to end", state, timeout=300, explain=cluster_state)
    assert ended == "COMPLETED"
    assert as_user("cat", f"/home/rasqberry/swarm-test/{name}-{job}.out").stdout.strip() == \
        f"{name} done on c1"


def cluster_state():
    """What a timeout needs to be read later: the nodes as slurmctld sees them (state, address,
    reason), every task of the stack, and the current controller task's last lines (slurmctld,
    its lost-node sweeper, rqinit)."""
    nodes = as_user("scontrol", "-o", "show", "nodes", check=False)
    fields = re.compile(r"(NodeName|NodeAddr|State|Reason)=(\S+)")
    shown = "\n".join(" ".join("=".join(pair) for pair in fields.findall(line))
                      for line in nodes.stdout.splitlines()) or nodes.stderr
    tasks = docker("rasqberry", "stack", "ps", STACK, "--format",
                   "{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}} {{.Error}}",
                   check=False).stdout
    host, container = task_or_none("slurmctld") or ("rasqberry", f"{STACK}_slurmctld")
    logs = docker(host, "logs", "--tail", "60", container, check=False)  # this task's only
    return f"nodes:\n{shown}\ntasks:\n{tasks}slurmctld's last lines:\n{logs.stdout}{logs.stderr}"


def wait_for_phase3(timeout=300):
    wait_until("the phase-3 sinfo again", lambda: sinfo_rows() == sorted(PHASE3_SINFO),
               timeout=timeout, explain=cluster_state)


def tasks_settled(services=OUTAGE_NODES):
    """Each service runs exactly one task that Swarm wants running, and no task it has told to
    stop still runs. After an outage longer than Swarm's heartbeat timeout, Swarm replaces the
    second host's tasks once it is back: until then the nodes that answer are the old tasks."""
    for service in services:
        out = docker("rasqberry", "service", "ps", f"{STACK}_{service}", "--format",
                     "{{.DesiredState}}|{{.CurrentState}}").stdout
        rows = [line.split("|") for line in out.splitlines() if line]
        wanted = [state for desired, state in rows if desired == "Running"]
        leaving = [state for desired, state in rows
                   if desired == "Shutdown" and state.startswith(("Running", "Starting"))]
        if len(wanted) != 1 or not wanted[0].startswith("Running") or leaving:
            return False
    return True


def wait_until_healed():
    wait_until("Swarm to run one current task of c3, c4 and q2", tasks_settled, timeout=300,
               explain=cluster_state)
    wait_for_phase3()


def test_the_second_hosts_engine_stopped_then_started_again(deployed):
    job = start_job_on_c1("engine")
    two_hosts.stop_engine(two_hosts.SECOND)  # its containers stop with it
    try:
        # A clean stop: rqinit takes each node out of the cluster on its way down.
        wait_until("c3, c4 and q2 out of service", lambda: out_of_service(node_states()),
                   timeout=120, explain=cluster_state)
    finally:
        two_hosts.start_engine_again(two_hosts.SECOND)
    wait_until_healed()
    wait_for_job(job, "engine")


def test_a_cut_link_to_the_second_host_then_restored(deployed):
    job = start_job_on_c1("link")
    two_hosts.set_link(two_hosts.SECOND, "down")
    try:
        seen = wait_until("c3, c4 and q2 not responding", lambda: out_of_service(node_states()) and
                          node_states(), timeout=120, explain=cluster_state)
        assert all(seen.get(node, "").endswith("*") or seen.get(node, "").startswith("down")
                   for node in OUTAGE_NODES), seen
    finally:
        two_hosts.set_link(two_hosts.SECOND, "up")
    wait_until_healed()
    wait_for_job(job, "link")
    # The old tasks, stopped once the link was back, often after their replacements had
    # registered, deleted no replacement's entry: each new node is listed, on its first slurmd.
    for service in OUTAGE_NODES:
        assert as_user("scontrol", "show", "node", service, check=False).returncode == 0, service
        host, container = task(service)
        logs = docker(host, "logs", container)
        assert (logs.stdout + logs.stderr).count("started slurmd (pid") == 1, \
            f"{service}'s slurmd was started again:\n{cluster_state()}"


def jobs_saved():
    """slurmctld has written its job state since the last job ended. It saves a few seconds
    after a change; killed before, it comes back with that job as it saved it. Slurm 24.11 then
    learns within a minute that the job ended (cluster.controller holds that race); waiting for
    the save keeps this test on what it asks, the nodes and the jobs after the kill."""
    ends = as_user("sacct", "-X", "-n", "-P", "-a", "-o", "End", "-S", "now-1hour").stdout.split()
    last_end = max((end for end in ends if end[:1].isdigit()), default="")
    saved = on("slurmctld", "date", "-u", "-r", "/var/spool/slurmctld/job_state",
               "+%Y-%m-%dT%H:%M:%S").stdout.strip()
    return saved >= last_end


def test_the_controller_killed_leaves_the_nodes_running_and_jobs_run_again(deployed):
    nodes = {service: task(service) for service in ["c1", "c2", "c3", "c4", "q1", "q2", "login"]}
    wait_until("slurmctld to save the state of the jobs ended so far", jobs_saved, timeout=60,
               explain=cluster_state)
    host, controller = task("slurmctld")
    docker(host, "kill", controller)
    wait_until("a new slurmctld task", lambda: task_or_none("slurmctld") not in (None, (host, controller)),
               timeout=120, explain=cluster_state)
    wait_for_phase3()
    out = as_user("srun", "-N", "4", "-p", "normal", "hostname", timeout=120).stdout.split()
    assert sorted(out) == ["c1", "c2", "c3", "c4"]
    # Swarm restarted no node: their health asks their own daemons, never the controller.
    assert {service: task(service) for service in nodes} == nodes


def task_or_none(service):
    try:
        return task(service)
    except AssertionError:
        return None


# --- make reconfigure on Swarm: the stack's configs are immutable; the files go in live

def started_at_everywhere():
    return {service: docker(task(service)[0], "inspect", "-f", "{{.State.StartedAt}}",
                            task(service)[1]).stdout.strip() for service in sorted(ALL_SERVICES)}


def test_make_reconfigure_reaches_both_hosts_with_no_restart(deployed):
    before = started_at_everywhere()
    conf, features = SLURM_ETC / "slurm.conf", SLURM_ETC / "node-features.conf"
    conf.write_text(conf.read_text().replace(
        "PartitionName=normal Nodes=classical Default=YES MaxTime=INFINITE",
        "PartitionName=normal Nodes=classical Default=YES MaxTime=45"))
    features.write_text(features.read_text().replace("Role=c Features=", "Role=c Features=avx"))
    try:
        swarm("reconfigure", timeout=300)
        for node in ["c1", "c3"]:  # one on each host
            assert "MaxTime=00:45:00" in on(node, "scontrol", "show", "partition", "normal").stdout
            shown = on(node, "scontrol", "-o", "show", "node", node).stdout
            assert "AvailableFeatures=classical,avx " in shown, shown
        assert "MaxTime=00:45:00" in as_user("scontrol", "show", "partition", "normal").stdout
        assert as_user("srun", "-p", "normal", "-C", "avx", "-w", "c3", "hostname").stdout.strip() \
            == "c3"
        assert started_at_everywhere() == before
    finally:
        reset_slurm_etc()
        swarm("reconfigure", timeout=300)
