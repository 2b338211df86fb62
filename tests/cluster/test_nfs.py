"""/shared and /home over NFS, as the cluster's users and operators meet them.

The nfs service (nfs-ganesha) serves two volumes; c1, c2, q1 and login mount them from inside
their containers with rqinit's FUSE client over libnfs (these machines' kernels have no NFS
client). Everything is checked where a user would look: /proc/mounts, ls -ln, job output,
checksums, `rqinit status`, exit codes. Runs only with RQINIT_STORAGE=nfs (the default).
"""
import hashlib
import json

import pytest

from conftest import (IMAGE, PROJECT, STORAGE, as_user, cluster, compose, container_id, on, run,
                      wait_until)
from user_checks import sets_holding

pytestmark = pytest.mark.skipif(STORAGE != "nfs", reason="RQINIT_STORAGE=volumes: no NFS")

CLIENTS = ["c1", "c2", "q1", "login"]
NETWORK = f"{PROJECT}_slurm-network"


@pytest.fixture(scope="module")
def cluster_with_q1(phase1):
    cluster("start", "q1", timeout=300)
    yield


def mounts(service):
    """{mount point: file system type} of /shared and /home in the service's container."""
    found = {}
    for line in on(service, "cat", "/proc/mounts").stdout.splitlines():
        device, point, fstype = line.split()[:3]
        if point in ("/shared", "/home"):
            found[point] = fstype
    return found


def status_row(service, name):
    """The row of `rqinit status` for one of the container's services: [name, pid, state, ...]."""
    for line in on(service, "rqinit", "status").stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == name:
            return fields
    raise AssertionError(f"{service}: no service {name} in rqinit status")


def test_shared_and_home_are_network_mounts_on_every_client(cluster_with_q1):
    for service in CLIENTS:
        assert mounts(service) == {"/shared": "fuse.rqinit-nfs", "/home": "fuse.rqinit-nfs"}, service
    # As a fresh cluster expects them: /shared for everyone (sticky), the user's home theirs.
    assert on("login", "stat", "-c", "%a %u", "/shared", "/home/rasqberry").stdout == \
        "1777 0\n755 1000\n"


def test_a_file_a_job_writes_on_c1_is_read_on_q1_and_login_with_its_owner_and_mode(cluster_with_q1):
    as_user("srun", "-w", "c1", "-p", "normal", "sh", "-c",
            "umask 027; echo written on $(hostname) > /shared/from-c1.txt")
    on_q1 = as_user("srun", "-w", "q1", "-p", "quantum", "sh", "-c",
                    "cat /shared/from-c1.txt; stat -c '%u %g %a' /shared/from-c1.txt").stdout
    on_login = as_user("sh", "-c", "cat /shared/from-c1.txt; stat -c '%u %g %a' /shared/from-c1.txt")
    assert on_q1 == on_login.stdout == "written on c1\n1000 1000 640\n"


def test_root_on_a_node_is_squashed_and_cannot_touch_a_users_file(cluster_with_q1):
    on("c2", "sh", "-c", "echo root > /shared/by-root.txt && chmod 0644 /shared/by-root.txt")
    # On the server's own volume: owned by nobody (65534), not by root.
    assert on("nfs", "stat", "-c", "%u %g %a", "/shared/by-root.txt").stdout == "65534 65534 644\n"
    denied = as_user("sh", "-c", "echo mine >> /shared/by-root.txt", check=False)
    assert denied.returncode != 0 and "Permission denied" in denied.stderr
    assert on("nfs", "cat", "/shared/by-root.txt").stdout == "root\n"
    # And root cannot write into the user's home (mode 0755, owned by rasqberry).
    refused = on("c1", "sh", "-c", "echo x > /home/rasqberry/from-root", check=False)
    assert refused.returncode != 0 and "Permission denied" in refused.stderr


def test_sbatch_output_lands_in_the_users_home_and_login_reads_it(cluster_with_q1):
    job = as_user("sbatch", "--parsable", "-p", "quantum", "--gres=qpu:1", "--wait",
                  "-o", "/home/rasqberry/nfs-demo-%j.out", "--wrap", "echo quantum job on $(hostname)",
                  timeout=180).stdout.strip()
    assert as_user("cat", f"/home/rasqberry/nfs-demo-{job}.out").stdout == "quantum job on q1\n"
    assert on("nfs", "stat", "-c", "%u", f"/home/rasqberry/nfs-demo-{job}.out").stdout == "1000\n"


def test_no_service_or_job_holds_cap_sys_admin_only_rqinit_and_slurmd_do(cluster_with_q1):
    sys_admin = 1 << 21  # CAP_SYS_ADMIN, looked for in every set: inheritable to bounding

    def holding(service, pid):
        return sets_holding(sys_admin, on(service, "cat", f"/proc/{pid}/status").stdout)

    for service in ["c1", "q1"]:
        assert "CapEff" in holding(service, 1), f"{service}: rqinit itself must keep it to mount"
        for name in ["munged", "mount-shared"]:
            pid = status_row(service, name)[1]
            assert holding(service, pid) == [], f"{service}: {name} holds CAP_SYS_ADMIN"
        # The one exception: slurmd loads a user's login environment in new namespaces.
        slurmd = status_row(service, "slurmd")[1]
        assert "CapBnd" in holding(service, slurmd), f"{service}: slurmd lost CAP_SYS_ADMIN"
    # No job can get it back: the bounding set is all a set-user-ID root program it runs could
    # have. Asked of a step and of a batch script whose environment slurmd loaded (--export=NONE).
    step = as_user("srun", "-w", "c1", "-p", "normal", "cat", "/proc/self/status").stdout
    assert sets_holding(sys_admin, step) == [], "a job step holds CAP_SYS_ADMIN"
    job = as_user("sbatch", "--parsable", "--wait", "-w", "q1", "-p", "quantum", "--export=NONE",
                  "-o", "/home/rasqberry/capbnd-%j.out", "--wrap", "cat /proc/self/status",
                  timeout=180).stdout.strip()
    text = as_user("cat", f"/home/rasqberry/capbnd-{job}.out").stdout
    assert sets_holding(sys_admin, text) == [], "a batch job holds CAP_SYS_ADMIN"


def test_a_killed_fuse_server_is_restarted_and_the_mount_works_again(cluster_with_q1):
    before = status_row("c1", "mount-shared")
    on("c1", "kill", "-KILL", before[1])
    wait_until("mount-shared on c1 to be restarted and ready",
               lambda: (lambda row: row[2] == "ready" and row[1] != before[1])(
                   status_row("c1", "mount-shared")), timeout=30)
    assert int(status_row("c1", "mount-shared")[3]) == int(before[3]) + 1
    as_user("srun", "-w", "c1", "-p", "normal", "sh", "-c", "echo again > /shared/after-kill.txt")
    assert on("nfs", "cat", "/shared/after-kill.txt").stdout == "again\n"


# Writes files on c1 through its mount, each one fsync'ed, and logs the checksum of each after
# its fsync returned; runs until the stop file appears. What is in the log must be on the server.
WRITER = r"""
import hashlib, os, sys, time
log = open(sys.argv[1], "w")
n = 0
while not os.path.exists(sys.argv[2]):
    data = os.urandom(256 * 1024)
    path = f"/home/rasqberry/sync/{n:05d}"
    try:
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as error:
        print(f"{path}: {error}", file=sys.stderr)
        time.sleep(0.2)
        continue
    log.write(f"{path} {hashlib.sha256(data).hexdigest()}\n")
    log.flush()
    n += 1
    time.sleep(0.05)
"""


def test_clients_recover_from_a_server_restart_and_keep_every_fsynced_write(cluster_with_q1):
    before = status_row("c1", "mount-home")
    as_user("mkdir", "-p", "/home/rasqberry/sync")
    on("c1", "sh", "-c", f"cat > /tmp/writer.py << 'EOF'\n{WRITER}\nEOF")
    run(["docker", "exec", "-d", "-u", "rasqberry", container_id("c1"), "python3",
         "/tmp/writer.py", "/tmp/synced.log", "/tmp/stop-writer"])
    wait_until("the writer's first synced files",
               lambda: len(on("c1", "cat", "/tmp/synced.log").stdout.splitlines()) >= 5, timeout=30)
    compose("restart", "-t", "10", "nfs", timeout=120)
    logged_at_restart = len(on("c1", "cat", "/tmp/synced.log").stdout.splitlines())
    wait_until("writes to go on after the restart",
               lambda: len(on("c1", "cat", "/tmp/synced.log").stdout.splitlines())
               >= logged_at_restart + 5, timeout=90)
    on("c1", "touch", "/tmp/stop-writer")
    wait_until("the writer to finish its last file and exit",
               lambda: on("c1", "pgrep", "-f", "writer.py", check=False).returncode == 1,
               timeout=30)
    log = on("c1", "cat", "/tmp/synced.log").stdout.splitlines()
    # Every file whose fsync returned, read on the server's volume and through c1's own mount.
    server = on("nfs", "sh", "-c", "cd /home/rasqberry/sync && sha256sum *").stdout
    on_server = {f"/home/rasqberry/sync/{name}": digest
                 for digest, name in (line.split() for line in server.splitlines())}
    for line in log:
        path, digest = line.split()
        assert on_server.get(path) == digest, f"{path} lost or changed by the restart"
    through_c1 = on("c1", "sh", "-c", "cd /home/rasqberry/sync && sha256sum *").stdout
    assert through_c1 == server
    # Recovered in place: the same FUSE server process, never restarted.
    after = status_row("c1", "mount-home")
    assert (after[1], after[2], after[3]) == (before[1], "ready", before[3])


# Writes files on c1 through its mount and closes each, with no fsync, logging its checksum once
# close returned; first it writes a file it keeps open until the go file appears, then says what
# close said of it.
CLOSER = r"""
import errno, hashlib, os, sys, time
log_path, across_path, go_path, stop_path = sys.argv[1:5]
across = os.open("/home/rasqberry/close/across", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(across, os.urandom(64 * 1024))
log = open(log_path, "w")
n = 0
while not os.path.exists(stop_path):
    if os.path.exists(go_path) and across is not None:
        try:
            os.close(across)
            said = "ok"
        except OSError as error:
            said = errno.errorcode[error.errno]
        with open(across_path, "w") as f:
            f.write(said)
        across = None
    data = os.urandom(256 * 1024)
    path = f"/home/rasqberry/close/{n:05d}"
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as error:
        print(f"{path}: {error}", file=sys.stderr)
        time.sleep(0.2)
        continue
    log.write(f"{path} {hashlib.sha256(data).hexdigest()}\n")
    log.flush()
    n += 1
    time.sleep(0.05)
"""


def test_every_file_closed_before_a_server_restart_is_there_after_it_byte_for_byte(cluster_with_q1):
    """Close-to-open, as the kernel's NFS client gives: close commits what was written. A file
    written before the restart and closed after it gets EIO from close: the server's write
    verifier changed, so what it held uncommitted may be lost, and the writer must know."""
    as_user("mkdir", "-p", "/home/rasqberry/close")
    on("c1", "sh", "-c", f"cat > /tmp/closer.py << 'EOF'\n{CLOSER}\nEOF")
    run(["docker", "exec", "-d", "-u", "rasqberry", container_id("c1"), "python3", "/tmp/closer.py",
         "/tmp/closed.log", "/tmp/across.said", "/tmp/close-across", "/tmp/stop-closer"])
    lines = lambda: len(on("c1", "cat", "/tmp/closed.log", check=False).stdout.splitlines())
    wait_until("the closer's first closed files", lambda: lines() >= 5, timeout=30)
    compose("restart", "-t", "10", "nfs", timeout=120)
    at_restart = lines()
    wait_until("closed files to go on after the restart", lambda: lines() >= at_restart + 5,
               timeout=90)
    on("c1", "touch", "/tmp/close-across")
    wait_until("the file kept open across the restart to be closed",
               lambda: on("c1", "cat", "/tmp/across.said", check=False).stdout, timeout=30)
    on("c1", "touch", "/tmp/stop-closer")
    wait_until("the closer to exit",
               lambda: on("c1", "pgrep", "-f", "closer.py", check=False).returncode == 1, timeout=30)
    assert on("c1", "cat", "/tmp/across.said").stdout == "EIO"
    server = on("nfs", "sh", "-c", "cd /home/rasqberry/close && sha256sum 0*").stdout
    on_server = {f"/home/rasqberry/close/{name}": digest
                 for digest, name in (line.split() for line in server.splitlines())}
    for line in on("c1", "cat", "/tmp/closed.log").stdout.splitlines():
        path, digest = line.split()
        assert on_server.get(path) == digest, f"{path} lost or changed by the restart"


def logs_of(service, since):
    """What the container wrote since then (rqinit logs to stderr, services to stdout)."""
    result = run(["docker", "logs", "--since", since, container_id(service)])
    return result.stdout + result.stderr


def test_a_client_started_before_the_server_waits_for_it_and_mounts_when_it_appears(cluster_with_q1):
    login, nfs = container_id("login"), container_id("nfs")
    compose("stop", "-t", "10", "login", "nfs", timeout=120)
    since = run(["date", "-u", "+%Y-%m-%dT%H:%M:%SZ"]).stdout.strip()
    run(["docker", "start", login], timeout=60)  # login alone: not its dependency nfs
    # The wait names what it waits for, the server, and why the last try failed.
    waiting = wait_until(
        "login to log that it waits for the nfs server",
        lambda: [line for line in logs_of("login", since).splitlines()
                 if "still waiting for export-shared" in line and "nfs://nfs/shared" in line
                 and "last try: nfs://nfs/shared:" in line],
        timeout=30)
    assert waiting
    run(["docker", "start", nfs], timeout=60)
    cluster("start", "login", timeout=180)  # waits for its health
    assert mounts("login") == {"/shared": "fuse.rqinit-nfs", "/home": "fuse.rqinit-nfs"}
    assert as_user("cat", "/shared/from-c1.txt").stdout == "written on c1\n"


def one_off(environment, command, timeout=60):
    """A client container of the cluster's image on its network, with rqinit as PID 1."""
    args = ["docker", "run", "--rm", "--network", NETWORK, "--cap-add", "SYS_ADMIN",
            "--device", "/dev/fuse", "-e", "RQINIT_LOG_LEVEL=info"]
    for key, value in environment.items():
        args += ["-e", f"{key}={value}"]
    return run(args + [IMAGE, "--", *command], timeout=timeout, check=False)


def error_lines(result):
    return [line for line in (result.stdout + result.stderr).splitlines()
            if ": error: " in line or ": critical: " in line]


def test_a_bad_url_is_one_line_exit_3_and_nothing_starts():
    result = one_off({"RQINIT_MOUNTS": "/shared=nfs://nfs"}, ["echo", "STARTED"])
    assert result.returncode == 3
    assert error_lines(result) == [
        "rqinit: error: RQINIT_MOUNTS: mount on /shared: 'nfs://nfs': no export path "
        "(write nfs://SERVER[:PORT]/EXPORT[?version=3|4], e.g. nfs://nfs/shared)"]
    assert "STARTED" not in result.stdout


def test_an_unknown_server_gives_up_after_its_timeout_naming_it(phase1):
    result = one_off({"RQINIT_MOUNTS": "/shared=nfs://no-such-server/shared",
                      "RQINIT_MOUNT_TIMEOUT": "3"}, ["echo", "STARTED"])
    assert result.returncode == 4
    errors = error_lines(result)
    assert len(errors) == 1 and "export-shared did not become ready within 3 s" in errors[0]
    assert "no-such-server" in errors[0]
    assert "STARTED" not in result.stdout


def test_an_export_that_does_not_exist_fails_at_once_naming_it(phase1):
    # At once, not at the mount timeout (300 s): one_off's 60 s would run out first.
    result = one_off({"RQINIT_MOUNTS": "/shared=nfs://nfs/no-such-export"}, ["echo", "STARTED"])
    assert result.returncode == 4
    errors = error_lines(result)
    assert len(errors) == 1 and "will never be ready" in errors[0]
    assert "nfs://nfs/no-such-export" in errors[0]
    assert "STARTED" not in result.stdout


def test_stop_ends_every_container_with_exit_code_0_and_unmounts(cluster_with_q1):
    ids = {service: container_id(service) for service in CLIENTS + ["nfs"]}
    compose("stop", timeout=180)
    for service, container in ids.items():
        state = json.loads(run(["docker", "inspect", container]).stdout)[0]["State"]
        assert (state["Status"], state["ExitCode"]) == ("exited", 0), service
    # Each mount taken down (at once, or detached if something still held it), and no FUSE
    # server hung on the way: none needed SIGKILL.
    for service in CLIENTS:
        result = run(["docker", "logs", "--tail", "40", ids[service]])
        logs = result.stdout + result.stderr
        for name, point in [("mount-shared", "/shared"), ("mount-home", "/home")]:
            assert (f"{name}: unmounted {point}" in logs
                    or f"{name}: {point} is still in use" in logs), (service, logs)
            assert f"{name} did not stop within" not in logs, (service, logs)
            assert f"{name} stopped (exit status 0)" in logs, (service, logs)
