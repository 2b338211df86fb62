"""The cluster on two Docker hosts in a swarm (tests/swarm/two_hosts.py), deployed with the
command a user runs (stack/swarm deploy). The session makes both engines, deploys, and at the
end removes the stack, the swarm and both engines: this machine's own engine is never in swarm
mode. RQSWARM_KEEP=1 leaves it all up for a look (two_hosts.py down removes it), and
RQSWARM_REUSE=1 runs on what such a run left.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "common"))
import two_hosts  # noqa: E402
import user_checks  # noqa: E402
from user_checks import wait_until  # noqa: E402,F401  (the tests import it from here)

IMAGE = os.environ.get("RQINIT_IMAGE", "rqinit/rasqberry:latest")
STACK = "slurm"
# The stack's Slurm configuration: a copy of stack/etc that a test may change (make
# reconfigure), leaving the checkout as it is.
SLURM_ETC = Path("/tmp/rqswarm-etc")


def reset_slurm_etc():
    SLURM_ETC.mkdir(mode=0o755, exist_ok=True)
    for source in (REPO / "stack" / "etc").iterdir():
        shutil.copyfile(source, SLURM_ETC / source.name)


reset_slurm_etc()
ENV = dict(two_hosts.docker_env(), RQINIT_IMAGE=IMAGE, RQINIT_SLURM_ETC=str(SLURM_ETC))


def run(args, timeout=120, check=True, **kwargs):
    kwargs.setdefault("env", ENV)
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def swarm(*args, timeout=900, check=True, env=None):
    """stack/swarm, as a user runs it on the manager (env: variables to add)."""
    return run(["bash", str(REPO / "stack" / "swarm"), *args], timeout=timeout, check=check,
               env=dict(ENV, **(env or {})))


def docker(host, *args, **kwargs):
    """docker on one host: rasqberry (the manager) or rasqberry2."""
    return run(["docker", "--context", host, *args], **kwargs)


def task(service):
    """(host, container id) of the running task of a service of the stack."""
    for host in two_hosts.HOSTS:
        ids = docker(host, "ps", "-q", "-f", f"label=com.docker.swarm.service.name={STACK}_{service}",
                     "-f", "status=running").stdout.split()
        if ids:
            return host, ids[0]
    raise AssertionError(f"no running task of {service} on either host")


def on(service, *command, user=None, timeout=120, check=True):
    host, container = task(service)
    args = ["exec"] + (["-u", user, "-w", f"/home/{user}"] if user else [])
    return docker(host, *args, container, *command, timeout=timeout, check=check)


def as_user(*command, timeout=120, check=True):
    """A command on the login node as the ordinary user rasqberry (uid 1000)."""
    return on("login", *command, user="rasqberry", timeout=timeout, check=check)


def sinfo_rows():
    return user_checks.sinfo_rows(as_user)


@pytest.fixture(scope="session")
def deployed():
    """Both hosts, the swarm, and the stack deployed by `stack/swarm deploy`."""
    if os.environ.get("RQSWARM_REUSE") != "1":  # 1: the hosts of an RQSWARM_KEEP=1 run
        subprocess.run(["bash", str(REPO / "images" / "build"), IMAGE], check=True, timeout=1800)
        two_hosts.up(IMAGE)
    try:
        first = swarm("deploy")
        yield first
    finally:
        if os.environ.get("RQSWARM_KEEP") != "1":
            swarm("undeploy", check=False)
            two_hosts.down()
