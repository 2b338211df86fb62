"""No user can become another (docs/security.md), tried as an ordinary user would.

rasqberry (uid 1000) is the user; alice (uid 1001) is somebody else, whose home is 0700 with a
0600 file in it. Each test attacks one claim: forging alice's uid to the NFS server (libnfs's
own tools and a raw RPC client), gaining a privilege by exec (NoNewPrivs, capability sets, a
set-user-ID root program), reaching MariaDB, and reading the secrets.
"""

import subprocess

import pytest

from conftest import (IMAGE, PROJECT, QRMI_CONFIG, STORAGE, as_user, cluster, container_id, inspect,
                      on, run)
from user_checks import ALICE_SECRET, UNPRIVILEGED, forge_nfs, make_alice, privileges

USER_CONTAINERS = ["login", "c1", "q1"]


@pytest.fixture(scope="module")
def alice(phase1):
    """alice's home on the server: 0700, her file 0600, both hers (uid and gid 1001)."""
    cluster("start", "q1", timeout=300)
    if STORAGE == "nfs":
        make_alice(on)
    yield


needs_nfs = pytest.mark.skipif(STORAGE != "nfs", reason="RQINIT_STORAGE=volumes: no NFS")


# ------------------------------------------------------------------ NFS identity

@needs_nfs
@pytest.mark.parametrize("version", ["3", "4"])
def test_libnfs_tools_claiming_alices_uid_neither_read_nor_write_her_files(alice, version):
    url = f"nfs://nfs/home/alice/private?uid=1001&gid=1001&version={version}"
    read = as_user("nfs-cat", url, check=False)
    assert read.returncode != 0, f"NFSv{version}: a forged uid read alice's file: {read.stdout!r}"
    assert "private words" not in read.stdout
    planted = f"nfs://nfs/home/alice/planted-v{version}?uid=1001&gid=1001&version={version}"
    write = as_user("nfs-cp", "/etc/hostname", planted, check=False)
    assert write.returncode != 0, f"NFSv{version}: a forged uid wrote into alice's home"
    assert on("nfs", "ls", "-A", "/home/alice").stdout.split() == ["private"]


def forge(*arguments, user="rasqberry"):
    return forge_nfs(on, "login", *arguments, user=user)


@needs_nfs
def test_a_raw_rpc_claiming_alices_uid_is_refused_from_a_users_port(alice):
    # MOUNT hands out the export's handle to anyone who asks (a handle is no secret); every
    # NFS call with it is refused: an unreserved port's claim of a uid is not believed.
    read = forge("alice/private", 1001, 1001, 0, "read")
    assert read["steps"] == [["MNT", 0]], read
    assert read["denied"] == {"rejected": "AUTH_ERROR", "auth_stat": 5}, read  # AUTH_TOOWEAK
    create = forge("alice/planted-raw", 1001, 1001, 0, "create")
    assert create["denied"] == {"rejected": "AUTH_ERROR", "auth_stat": 5}, create
    assert on("nfs", "ls", "-A", "/home/alice").stdout.split() == ["private"]


@needs_nfs
def test_a_user_cannot_call_from_a_reserved_port(alice):
    answer = forge("alice/private", 1001, 1001, 1000, "read")
    assert answer == {"steps": [], "error": "PermissionError: [Errno 13] Permission denied"}, answer


@needs_nfs
def as_alice(service, *command):
    """A command as uid and gid 1001 (alice has no passwd entry in the containers)."""
    return run(["docker", "exec", "-u", "1001:1001", "-w", "/", container_id(service), *command],
               check=False)


@needs_nfs
@pytest.mark.parametrize("service", ["login", "c1"])
def test_the_mount_acts_for_each_caller_as_themselves(alice, service):
    # The mounts act for the uid that calls them, not for one user: through the same mount alice
    # reads her own file and what she writes is hers on the server; rasqberry reads nothing of hers.
    mine = as_alice(service, "cat", "/home/alice/private")
    assert mine.returncode == 0 and mine.stdout == ALICE_SECRET, mine.stderr
    written = f"/home/alice/written-on-{service}"
    try:
        assert as_alice(service, "sh", "-c", f"echo hers > {written}").returncode == 0
        assert on("nfs", "stat", "-c", "%u:%g", written).stdout.strip() == "1001:1001"
        theirs = on(service, "cat", "/home/alice/private", user="rasqberry", check=False)
        assert theirs.returncode != 0 and ALICE_SECRET not in theirs.stdout
    finally:  # the tests around look at exactly what make_alice left
        on("nfs", "rm", "-f", written)


def test_the_raw_client_works_where_the_caller_is_trusted(alice):
    # The control that makes the two tests above mean something: the same client, as root of
    # the login container (trusted, like the host), from a reserved port, reads the file. A
    # user cannot become that root (the tests below).
    answer = forge("alice/private", 1001, 1001, 1000, "read", user="root")
    assert answer.get("content") == ALICE_SECRET, answer


@needs_nfs
def test_a_users_own_files_work_through_the_mount_and_alices_stay_hers(alice):
    as_user("sh", "-c", "umask 077; echo mine > /home/rasqberry/own-file")
    assert as_user("cat", "/home/rasqberry/own-file").stdout == "mine\n"
    assert on("nfs", "stat", "-c", "%u %a", "/home/rasqberry/own-file").stdout == "1000 600\n"
    for service in ["login", "c1"]:
        listing = on(service, "ls", "/home/alice", user="rasqberry", check=False)
        assert listing.returncode != 0 and "Permission denied" in listing.stderr, service


# ------------------------------------------------------------------ no privilege to gain

def test_a_users_session_has_no_new_privs_and_no_capability(alice):
    for service in USER_CONTAINERS:
        text = on(service, "cat", "/proc/self/status", user="rasqberry").stdout
        assert privileges(text) == UNPRIVILEGED, service


def test_a_users_jobs_have_no_new_privs_and_no_capability(alice):
    for node, partition in [("c1", "normal"), ("q1", "quantum")]:
        step = as_user("srun", "-w", node, "-p", partition, "cat", "/proc/self/status").stdout
        assert privileges(step) == UNPRIVILEGED, node
    job = as_user("sbatch", "--parsable", "--wait", "-w", "c1", "-p", "normal", "--export=NONE",
                  "-o", "/home/rasqberry/status-%j.out", "--wrap", "cat /proc/self/status",
                  timeout=180).stdout.strip()
    assert privileges(as_user("cat", f"/home/rasqberry/status-{job}.out").stdout) == UNPRIVILEGED


def test_no_file_in_a_user_container_is_set_user_id_set_group_id_or_capable(alice):
    for service in USER_CONTAINERS:
        found = on(service, "find", "/", "-xdev", "-type", "f", "(", "-perm", "-4000", "-o",
                   "-perm", "-2000", ")", "-print").stdout.split()
        assert found == [], f"{service}: {found}"
        capable = on(service, "sh", "-c", "getcap -r / 2>/dev/null || true").stdout.split()
        assert capable == [], f"{service}: {capable}"


def test_a_set_user_id_root_program_planted_for_a_user_runs_as_the_user(alice):
    # What a user finds on a node that an administrator got wrong: root's `id`, mode 4755.
    for service in ["login", "c1"]:
        on(service, "sh", "-c", "cp /usr/bin/id /tmp/root-id && chmod 4755 /tmp/root-id")
        try:
            ran = on(service, "/tmp/root-id", "-u", user="rasqberry").stdout.strip()
            assert ran == "1000", f"{service}: a set-user-ID root program ran as uid {ran}"
        finally:
            on(service, "rm", "-f", "/tmp/root-id")


def daemon_pids(service):
    """{service name: pid} from `rqinit status` in a container."""
    rows = on(service, "rqinit", "status").stdout.splitlines()[1:]
    return {row.split()[0]: row.split()[1] for row in rows if row.split()[1].isdigit()}


def effective_capabilities(service, pid):
    text = on(service, "cat", f"/proc/{pid}/status").stdout
    return {name: int(value, 16) for name, value in privileges(text).items() if name != "NoNewPrivs"}


# Root's whole set (Docker's default, and CAP_SYS_ADMIN where the role adds it) stays only with
# the two that act for every uid: slurmd starts jobs as their users, ganesha serves their files.
KEEP_ROOTS_SET = {"slurmd", "ganesha"}
ALL_CONTAINERS = USER_CONTAINERS + ["slurmctld", "slurmdbd", "mysql"] + (["nfs"] if STORAGE == "nfs" else [])


def test_every_daemon_holds_only_the_capabilities_it_needs(alice):
    # Read back from each running process, every set: what Docker granted is not what each has.
    for service in ALL_CONTAINERS:
        for name, pid in daemon_pids(service).items():
            held = effective_capabilities(service, pid)
            if name in KEEP_ROOTS_SET:
                continue
            if name.startswith("mount-"):
                # The FUSE client: CAP_NET_BIND_SERVICE alone, to call from a reserved port
                # (inheritable and ambient too: that is how rqinit hands it across exec).
                assert set(held.values()) == {1 << 10}, (service, name, held)
                continue
            assert all(value == 0 for value in held.values()), (service, name, held)


# ------------------------------------------------------------------ the database

def test_mariadb_is_reachable_from_slurmdbd_alone(alice):
    script = ("import socket,sys\n"
              "s=socket.socket(); s.settimeout(5)\n"
              "try:\n    s.connect((sys.argv[1], 3306)); print('connected')\n"
              "except OSError as e:\n    print(type(e).__name__)\n")
    networks = inspect("mysql")["NetworkSettings"]["Networks"]
    assert list(networks) == [f"{PROJECT}_database-network"], list(networks)
    addresses = [network["IPAddress"] for network in networks.values()]
    for service in ["login", "c1", "slurmctld"]:
        assert on(service, "getent", "hosts", "mysql", check=False).returncode != 0, service
        for address in addresses:
            reached = on(service, "python3", "-c", script, address, user="rasqberry").stdout.strip()
            assert reached != "connected", f"{service} reached MariaDB at {address}"
    reached = on("slurmdbd", "python3", "-c", script, "mysql").stdout.strip()
    assert reached == "connected", "the control: slurmdbd must reach it"
    # And from a job's process, where a user's code runs.
    job = as_user("srun", "-w", "c1", "-p", "normal", "python3", "-c", script, addresses[0]).stdout
    assert job.strip() != "connected"


# ------------------------------------------------------------------ secrets

def test_a_secret_others_could_read_is_covered_where_users_log_in(alice):
    # The tests' QPU config is world-readable on the host (conftest): only rqinit's cover of
    # /run/secrets keeps it from users on login and q1.
    assert QRMI_CONFIG.stat().st_mode & 0o004, "the test needs a world-readable secret file"
    for service in ["login", "q1"]:
        read = on(service, "cat", "/run/secrets/qrmi_config", user="rasqberry", check=False)
        assert read.returncode != 0 and "secret-a" not in read.stdout, service


def test_a_role_that_cannot_cover_refuses_a_secret_others_could_read(alice, tmp_path):
    # mysql has no CAP_SYS_ADMIN to cover /run/secrets: a password file others may read is
    # refused in one line naming it and the fix, and nothing starts.
    password = tmp_path / "db_password"
    password.write_text("open-to-all\n")
    password.chmod(0o644)
    name = f"{PROJECT}-readable-secret"
    try:
        result = run(["docker", "run", "--rm", "--name", name, "--security-opt",
                      "no-new-privileges:true", "-v", f"{password}:/run/secrets/db_password:ro",
                      IMAGE, "--role=mysql"], check=False, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("mysql started with a password file every uid may read; it must refuse")
    finally:
        run(["docker", "rm", "--force", name], check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("rqinit: error:")]
    assert result.returncode == 5, result.stderr
    assert len(errors) == 1 and "/run/secrets/db_password is readable by users other than root" \
        in errors[0] and "chmod 0600" in errors[0], errors
    assert "open-to-all" not in result.stdout + result.stderr
