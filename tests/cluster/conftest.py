"""The real cluster under Compose: real dockerd, the real image, MariaDB, Slurm and munged.

The session starts its own Compose project (rqtest, apart from a user's `make up` cluster),
builds the image if needed through the same scripts a user runs, and removes the project with its
volumes at the end. Every wait polls with a deadline and says what it waits for.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
import user_checks  # noqa: E402
from user_checks import wait_until  # noqa: E402,F401  (the tests import it from here)

REPO = Path(__file__).resolve().parents[2]
CLUSTER = REPO / "stack" / "cluster"
PROJECT = os.environ.get("RQTEST_PROJECT", "rqtest")
IMAGE = os.environ.get("RQINIT_IMAGE", "rqinit/rasqberry:latest")
# /shared and /home come from the nfs service unless RQINIT_STORAGE=volumes (stack/cluster).
STORAGE = os.environ.get("RQINIT_STORAGE", "nfs")
PHASE1 = (["nfs"] if STORAGE == "nfs" else []) + ["mysql", "slurmdbd", "slurmctld", "c1", "c2",
                                                  "login"]
# The cluster's Slurm configuration: a copy of stack/etc, so that a test may change it (make
# reconfigure) and the checkout stays as it is. Copied into place file by file, so that a kept
# cluster (RQTEST_KEEP=1) sees the same files.
SLURM_ETC = Path(f"/tmp/{PROJECT}-etc")


def reset_slurm_etc():
    SLURM_ETC.mkdir(mode=0o755, exist_ok=True)
    for source in (REPO / "stack" / "etc").iterdir():
        shutil.copyfile(source, SLURM_ETC / source.name)


reset_slurm_etc()

# The QPUs of the test cluster (the qrmi_config secret), so that the tests know every value a
# --qpu job must see, and a user's own .secrets/qrmi_config.json stays out of it. Each is
# (type, environment, allowed_groups): qpu_c is for staff alone, and rasqberry is not in staff.
QRMI_CONFIG = Path(f"/tmp/{PROJECT}-qrmi.json")
QPUS = {
    "qpu_a": ("ibm-quantum-system", {"QRMI_URL": "https://a.example", "QRMI_APIKEY": "secret-a"}, None),
    "qpu_b": ("pasqal-cloud", {"QRMI_TOKEN": "secret-b"}, None),
    "qpu_c": ("iqm-server", {"QRMI_URL": "https://c.example", "QRMI_APIKEY": "secret-c"}, ["staff"]),
}
QRMI_CONFIG.write_text(json.dumps({"resources": [
    {"name": name, "type": kind, "environment": environment,
     **({"allowed_groups": groups} if groups else {})}
    for name, (kind, environment, groups) in QPUS.items()]}))
# World-readable, as a careless administrator leaves a file: only rqinit's cover of /run/secrets
# keeps it from the users of login and q1 (test_security.py, test_qpu.py).
QRMI_CONFIG.chmod(0o644)

# A lost node is deleted after 45 s here (120 s by default): longer than slurmctld's ping
# cycle (SlurmdTimeout/3 = 30 s), so one missed ping on a busy machine never deletes a live node.
LOST_NODE_GRACE = 45
ENV = dict(os.environ, COMPOSE_PROJECT_NAME=PROJECT, RQINIT_IMAGE=IMAGE,
           RQINIT_SLURM_ETC=str(SLURM_ETC), RQINIT_QRMI_CONFIG_FILE=str(QRMI_CONFIG),
           RQINIT_LOST_NODE_GRACE=str(LOST_NODE_GRACE))


def run(args, timeout=120, check=True, **kwargs):
    """Runs a command; returns CompletedProcess with text output."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=ENV, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def cluster(*args, timeout=600, check=True):
    return run(["bash", str(CLUSTER), *args], timeout=timeout, check=check)


def compose(*args, timeout=120, check=True):
    return cluster("compose", *args, timeout=timeout, check=check)


def container_id(service):
    ids = compose("ps", "-q", service).stdout.split()
    assert ids, f"no container for {service}"
    return ids[0]


def inspect(service):
    return json.loads(run(["docker", "inspect", container_id(service)]).stdout)[0]


def on(service, *command, user=None, timeout=120, check=True):
    """Runs a command in a service's container (as root, or as user)."""
    args = ["docker", "exec"]
    if user:
        args += ["-u", user, "-w", f"/home/{user}"]
    return run(args + [container_id(service), *command], timeout=timeout, check=check)


def as_user(*command, timeout=120, check=True):
    """Runs a command on the login node as the ordinary user rasqberry (uid 1000)."""
    return on("login", *command, user="rasqberry", timeout=timeout, check=check)


def sinfo_rows():
    return user_checks.sinfo_rows(as_user)


NODES_LIST = REPO / ".cluster" / f"{PROJECT}.nodes"  # nodes added with add-node (stack/cluster)


def forget_added_nodes():
    for added in (NODES_LIST, NODES_LIST.with_suffix(".nodes.yml")):
        added.unlink(missing_ok=True)


def remove_project():
    """Everything of the test project, by Compose's label: containers (nodes added with add-node
    too), volumes and networks, and the list of added nodes. The engine is started first: one
    that was stopped still holds what an earlier run left (its volumes would refuse new secrets)."""
    run(["bash", str(REPO / "tools" / "install-docker")], timeout=900)
    label = f"label=com.docker.compose.project={PROJECT}"

    def remove_each(listing, removal):
        found = run(listing + ["--filter", label], check=False).stdout.split()
        if found:
            run(removal + found, timeout=180)

    remove_each(["docker", "ps", "-aq"], ["docker", "rm", "--force"])  # containers first
    remove_each(["docker", "volume", "ls", "-q"], ["docker", "volume", "rm", "--force"])
    remove_each(["docker", "network", "ls", "-q"], ["docker", "network", "rm"])
    forget_added_nodes()


def remove_phase2_nodes():
    """q1, and the nodes an earlier session added with add-node: their containers first, while
    the Compose file still names them, then the list."""
    compose("rm", "--stop", "--force", "q1", check=False)
    if NODES_LIST.exists():
        for line in NODES_LIST.read_text().splitlines():
            compose("rm", "--stop", "--force", line.split()[0], check=False)
    forget_added_nodes()


@pytest.fixture(scope="session")
def phase1():
    """mysql, slurmdbd, slurmctld, c1, c2 and login, healthy, made afresh; removed with its
    volumes at the end. With RQTEST_KEEP=1 the cluster stays, and the next session reuses it
    unless a running slurmctld holds another munge key than .secrets/munge.key."""
    if os.environ.get("RQTEST_KEEP") == "1" and cluster("check-key", check=False).returncode == 0:
        remove_phase2_nodes()
    else:
        # A cluster left by another run (a killed session, another checkout on a Docker engine
        # that outlived it) may hold another munge key and older jobs: a node added now could
        # not talk to it. Seen in CI: "Munge decode failed: Invalid credential" from q1.
        remove_project()
    run(["bash", str(REPO / "images" / "build"), IMAGE], timeout=1800)
    cluster("start", *PHASE1, timeout=600)
    yield
    if os.environ.get("RQTEST_KEEP") != "1":
        compose("down", "--volumes", "--timeout", "30", timeout=180, check=False)
