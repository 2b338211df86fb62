"""Bad input to a container: each ends with one line saying why and a documented exit code
(docs/reference.md, "Exit codes"), and harms nothing else."""
import contextlib
import os
import tempfile

import pytest

from conftest import (CLUSTER, ENV, IMAGE, PROJECT, REPO, as_user, cluster, compose, on, run,
                      sinfo_rows, wait_until)


def run_role(role, secrets, network=None, timeout=120):
    """Runs the image with --role and the given secrets (name -> bytes), as Compose would mount
    them; returns (exit code, rqinit's error lines)."""
    with tempfile.TemporaryDirectory() as directory:
        args = ["docker", "run", "--rm", "-v", f"{REPO}/stack/etc:/etc/rqinit/slurm:ro"]
        for name, content in secrets.items():
            path = os.path.join(directory, name)
            with open(path, "wb") as f:
                f.write(content)
            os.chmod(path, 0o600)  # as .secrets holds them: root's alone
            args += ["-v", f"{path}:/run/secrets/{name}:ro"]
        if network:
            args += ["--network", network]
        result = run(args + [IMAGE, f"--role={role}"], timeout=timeout, check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("rqinit: error:")]
    return result.returncode, errors


def test_a_missing_munge_key_is_refused(phase1):
    code, errors = run_role("c", {})
    assert code == 5
    assert errors == ["rqinit: error: munge key: /run/secrets/munge_key does not exist "
                      "(create the munge_key secret: dd if=/dev/urandom bs=1 count=1024 of=munge.key)"]


# A munge key of the wrong size: none, too short for munged, or so large it is the wrong file.
BAD_KEYS = {"empty": (0, "has 0 bytes; it needs at least 32"),
            "16 bytes": (16, "has 16 bytes; it needs at least 32"),
            "2 MiB": (2 << 20, "has 2097152 bytes; it may have at most 1048576: is it the right file?")}


@pytest.mark.parametrize("size", BAD_KEYS)
def test_a_munge_key_of_a_bad_size_is_refused_in_one_line(size, phase1):
    length, says = BAD_KEYS[size]
    code, errors = run_role("c", {"munge_key": os.urandom(length)})
    assert code == 5
    assert len(errors) == 1 and f"munge key: /run/secrets/munge_key {says}" in errors[0], errors


# A database password that is empty (a blank first line counts) or far too large, for each role
# that writes it into a file of its own.
BAD_PASSWORDS = {"empty": (b"", "is empty"), "blank first line": (b"\nsecret\n", "is empty"),
                 "2 MiB": (b"p" * (2 << 20), "has 2097152 bytes; it may have at most 1048576")}


@pytest.mark.parametrize("role", ["mysql", "slurmdbd"])
@pytest.mark.parametrize("password", BAD_PASSWORDS)
def test_a_bad_database_password_is_refused_in_one_line(role, password, phase1):
    content, says = BAD_PASSWORDS[password]
    code, errors = run_role(role, {"munge_key": os.urandom(1024), "db_password": content})
    assert code == 5, errors
    assert len(errors) == 1 and f"/run/secrets/db_password {says}" in errors[0], errors


@pytest.mark.parametrize("role", ["q", "login"])
def test_a_malformed_qrmi_config_is_refused_in_one_line_never_quoted(role, phase1):
    code, errors = run_role(role, {"munge_key": os.urandom(1024),
                                   "qrmi_config": b'{"resources": [{"name": "a", "type": s3cret'})
    assert code == 5
    what = {"q": "QRMI config", "login": "QPU names"}[role]  # login keeps the names alone
    assert errors == [f"rqinit: error: {what}: /run/secrets/qrmi_config: not valid JSON at line 1, "
                      "column 38 (stack/etc/qrmi_config.example.json shows the format)"]


def test_an_unknown_role_is_refused(phase1):
    code, errors = run_role("gpu", {})
    assert code == 3
    assert errors == ["rqinit: error: unknown role 'gpu' (known roles: c, login, mysql, nfs, q, slurmctld, slurmdbd)"]


def test_a_wrong_database_password_is_named_and_harms_nothing(phase1):
    key = (REPO / ".secrets" / "munge.key").read_bytes()
    code, errors = run_role("slurmdbd", {"munge_key": key, "db_password": b"not-the-password\n"},
                            network=f"{PROJECT}_database-network", timeout=120)
    assert code == 4
    assert len(errors) == 1
    assert "mysql-up will never be ready" in errors[0] and "Access denied for user 'slurm'" in errors[0]
    # The real slurmdbd and the cluster are untouched.
    assert on("slurmdbd", "rqinit", "health").stdout.strip() == "healthy"
    assert on("login", "sacctmgr", "-n", "show", "cluster", "format=cluster").stdout.split() == ["rasqberry"]


# Passwords with every character that means something to SQL, to MariaDB's option files or to
# Slurm's config parser, and how slurmdbd.conf holds each. Slurm cannot hold a space and a double
# quote in one value: that is refused (the next test).
HARD_PASSWORDS = {
    "a'b\"c\\d@e#f": "StoragePass=a'b\"c\\\\d@e\\#f",  # a double quote: unquoted
    "a'b c\\d@e#f": "StoragePass=\"a'b c\\\\d@e\\#f\"",  # a space: in double quotes
}


@pytest.mark.parametrize("password", HARD_PASSWORDS)
def test_a_password_with_quotes_backslash_space_at_and_hash_works_end_to_end(phase1, tmp_path,
                                                                              password):
    password_file = tmp_path / "db_password"
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)  # root's alone: mysql cannot cover /run/secrets (no CAP_SYS_ADMIN)
    ENV["RQINIT_DB_PASSWORD_FILE"] = str(password_file)
    try:
        # mysql sets the new password on start (its init file), slurmdbd logs in with it.
        compose("up", "-d", "--force-recreate", "--no-deps", "mysql", "slurmdbd", timeout=180)
        wait_until("slurmdbd healthy with the new password",
                   lambda: on("slurmdbd", "rqinit", "health", check=False).stdout.strip() == "healthy",
                   timeout=120)
        stored = on("slurmdbd", "grep", "^StoragePass=", "/etc/slurm/slurmdbd.conf").stdout.strip()
        assert stored == HARD_PASSWORDS[password]
        job = as_user("sbatch", "--parsable", "-p", "normal", "--wait", "--wrap", "true").stdout.strip()
        wait_until("sacct to list the job, through slurmdbd and MariaDB",
                   lambda: job in as_user("sacct", "-n", "-X", "-j", job, "-o", "JobID").stdout,
                   timeout=60)
    finally:
        del ENV["RQINIT_DB_PASSWORD_FILE"]
        compose("up", "-d", "--force-recreate", "--no-deps", "mysql", "slurmdbd", timeout=180)


def test_a_password_slurm_cannot_hold_is_refused_in_one_line(phase1):
    key = (REPO / ".secrets" / "munge.key").read_bytes()
    code, errors = run_role("slurmdbd", {"munge_key": key, "db_password": b'a"b c\n'})
    assert code == 5
    assert errors == [
        "rqinit: error: slurmdbd.conf: the secret /run/secrets/db_password has a double quote (\") "
        "and a space; /etc/slurm/slurmdbd.conf cannot hold both (a Slurm value with a space must be "
        "in double quotes, and a quoted value cannot contain one): choose a value without it"]


@contextlib.contextmanager
def secrets_file_swapped(name, content):
    """.secrets/NAME holds content (None: is missing) inside the with block; restored after."""
    path = REPO / ".secrets" / name
    kept = path.read_bytes()
    try:
        if content is None:
            path.unlink()
        else:
            path.write_bytes(content)
        yield
    finally:
        path.write_bytes(kept)
        path.chmod(0o600)


def test_a_munge_key_replaced_under_a_running_cluster_is_refused_at_once(phase1):
    with secrets_file_swapped("munge.key", os.urandom(1024)):
        result = cluster("add-q1", check=False, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "cluster: .secrets/munge.key is not the key the running slurmctld started with (replaced "
        "since?): restore it, or restart the whole cluster with it (make down, then make up)")
    assert compose("ps", "-q", "q1").stdout.strip() == "", "q1 was started with the wrong key"


def test_a_lost_munge_key_is_not_made_anew_beside_the_running_cluster(phase1):
    with secrets_file_swapped("munge.key", None):
        result = cluster("start", "c1", check=False, timeout=60)
        assert not (REPO / ".secrets" / "munge.key").exists(), "a new key was made"
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"cluster: .secrets/munge.key is missing, but the {PROJECT} cluster's containers were made "
        "with the old one: restore it, or remove them first (make down)")


def test_a_lost_database_password_is_not_made_anew_beside_its_database(phase1):
    # Another project, with no containers but the database volume a cluster leaves after `down`.
    project = f"{PROJECT}-db"
    run(["docker", "volume", "create", f"{project}_mysql_data"])
    try:
        with secrets_file_swapped("db_password", None):
            result = run(["env", f"COMPOSE_PROJECT_NAME={project}", "bash", str(CLUSTER), "secrets"],
                         check=False)
            assert not (REPO / ".secrets" / "db_password").exists(), "a new password was made"
    finally:
        run(["docker", "volume", "rm", f"{project}_mysql_data"])
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"cluster: .secrets/db_password is missing, but the database in volume {project}_mysql_data "
        "was made with the old one: restore it, or remove the volume (make wipe; its accounting "
        "data is lost)")
