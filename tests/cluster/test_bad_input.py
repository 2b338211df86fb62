"""Bad input to a container: each ends with one line saying why and a documented exit code
(README, "Exit codes"), and harms nothing else."""
import os
import tempfile

import pytest

from conftest import IMAGE, PROJECT, REPO, compose, on, run, sinfo_rows, wait_until


def run_role(role, secrets, network=None, timeout=120):
    """Runs the image with --role and the given secrets (name -> bytes), as Compose would mount
    them; returns (exit code, rqinit's error lines)."""
    with tempfile.TemporaryDirectory() as directory:
        args = ["docker", "run", "--rm", "-v", f"{REPO}/stack/etc:/etc/rqinit/slurm:ro"]
        for name, content in secrets.items():
            path = os.path.join(directory, name)
            with open(path, "wb") as f:
                f.write(content)
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


def test_a_16_byte_munge_key_is_refused(phase1):
    code, errors = run_role("c", {"munge_key": os.urandom(16)})
    assert code == 5
    assert len(errors) == 1
    assert "munge key: /run/secrets/munge_key has 16 bytes; it needs at least 32" in errors[0]


def test_an_unknown_role_is_refused(phase1):
    code, errors = run_role("gpu", {})
    assert code == 3
    assert errors == ["rqinit: error: unknown role 'gpu' (known roles: c, login, mysql, q, slurmctld, slurmdbd)"]


def test_a_wrong_database_password_is_named_and_harms_nothing(phase1):
    key = (REPO / ".secrets" / "munge.key").read_bytes()
    code, errors = run_role("slurmdbd", {"munge_key": key, "db_password": b"not-the-password\n"},
                            network=f"{PROJECT}_slurm-network", timeout=120)
    assert code == 4
    assert len(errors) == 1
    assert "mysql-up will never be ready" in errors[0] and "Access denied for user 'slurm'" in errors[0]
    # The real slurmdbd and the cluster are untouched.
    assert on("slurmdbd", "rqinit", "health").stdout.strip() == "healthy"
    assert on("login", "sacctmgr", "-n", "show", "cluster", "format=cluster").stdout.split() == ["rasqberry"]
