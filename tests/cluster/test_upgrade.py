"""Volumes left by the Debian 12 image (Slurm 22.05, MariaDB 10.11) on the Debian 13 image: Slurm
24.11 reads accounting and controller state only from Slurm 23.02 on, so `make up` refuses them
in one line, starts nothing and leaves them as they were.

The volumes carry what the old image's daemons really wrote: MariaDB 10.11's mysql_upgrade_info
("10.11.18-MariaDB", what Debian 12's mariadb-install-db writes) and a slurmctld state file whose
header is Slurm's packed "PROTOCOL_VERSION" with 22.05's protocol version (38 << 8). No cluster
of this project is started, so the test needs the image only.
"""
import os
import subprocess
import struct

import pytest

from conftest import CLUSTER, ENV, IMAGE, REPO, run

PROJECT = "rqupgrade"
DB, STATE = f"{PROJECT}_mysql_data", f"{PROJECT}_slurmctld_state"


def state_header(protocol_version):
    """The first bytes of a slurmctld state file: packstr("PROTOCOL_VERSION"), pack16(version)."""
    name = b"PROTOCOL_VERSION\0"
    return struct.pack(">I", len(name)) + name + struct.pack(">H", protocol_version)


def make_volume(volume, path, content):
    run(["docker", "volume", "create", volume])
    run(["docker", "run", "--rm", "-i", "--network", "none", "-v", f"{volume}:/v",
         "--entrypoint", "/bin/sh", IMAGE, "-c", f"cat > /v/{path}"], input=content)


def remove_volumes():
    run(["docker", "volume", "rm", "--force", DB, STATE], check=False)


def stack_cluster(*args):
    env = dict(ENV, COMPOSE_PROJECT_NAME=PROJECT)
    return subprocess.run(["bash", str(CLUSTER), *args], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture(scope="module")
def built_image():
    run(["bash", str(REPO / "images" / "build"), IMAGE], timeout=1800)


@pytest.fixture
def image(built_image):
    remove_volumes()
    yield
    remove_volumes()


def project_containers():
    return run(["docker", "ps", "-aq", "--filter",
                f"label=com.docker.compose.project={PROJECT}"]).stdout.split()


def volume_file(volume, path):
    return run(["docker", "run", "--rm", "--network", "none", "-v", f"{volume}:/v:ro",
                "--entrypoint", "cat", IMAGE, f"/v/{path}"]).stdout


def test_volumes_of_slurm_22_are_refused_in_one_line_and_nothing_starts(image):
    make_volume(DB, "mysql_upgrade_info", "10.11.18-MariaDB")
    make_volume(STATE, "job_state", state_header(38 << 8).decode("latin-1"))
    result = stack_cluster("start", "mysql", "slurmdbd", "slurmctld")
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("cluster: ")]
    assert lines == [
        f"cluster: {DB}, {STATE}: Slurm 22.05's accounting or state (the Debian 12 image), "
        "which Slurm 24.11 cannot read; nothing was started: to keep the history, dump it with "
        "the old image first (sacct, sacctmgr dump), then remove the volumes (make wipe) and "
        "make up"]
    assert project_containers() == []
    assert volume_file(DB, "mysql_upgrade_info") == "10.11.18-MariaDB"


def test_volumes_of_slurm_24_and_mariadb_11_pass(image):
    make_volume(DB, "mariadb_upgrade_info", "11.8.9-MariaDB")
    make_volume(STATE, "job_state", state_header(42 << 8).decode("latin-1"))
    result = stack_cluster("check-volumes")
    assert result.returncode == 0, result.stderr


def test_only_the_old_volume_is_named(image):
    make_volume(DB, "mariadb_upgrade_info", "11.8.9-MariaDB")
    make_volume(STATE, "node_state", state_header(38 << 8).decode("latin-1"))
    result = stack_cluster("check-volumes")
    assert result.returncode == 2
    assert f"cluster: {STATE}: Slurm 22.05's" in result.stderr
    assert DB not in result.stderr
