"""The arm64 image under emulation (qemu-user on this x86_64 machine): a minimal cluster of
mysql, slurmdbd, slurmctld, one c node and login reaches idle and runs a job as rasqberry.

Its own Compose project (RQTEST_PROJECT, rqarm) and image (rqinit/rasqberry:arm64, built by
images/build with RQINIT_ARCH=arm64), with plain volumes for /shared and /home (RQINIT_STORAGE):
the NFS mounts have their own tests, and emulation makes every daemon several times slower.
"""
import subprocess
import tempfile

import pytest

from conftest import (IMAGE, REPO, as_user, cluster, compose, on, remove_project, run, sinfo_rows,
                      wait_until)

SERVICES = ["mysql", "slurmdbd", "slurmctld", "c1", "login"]


@pytest.fixture(scope="session")
def arm64_cluster():
    assert IMAGE.endswith(":arm64"), "run through ctest (cluster.arm64 sets RQINIT_IMAGE)"
    remove_project()  # what another run left on this engine (another munge key, older jobs)
    run(["bash", str(REPO / "images" / "build"), IMAGE], timeout=3600)
    cluster("start", *SERVICES, timeout=1200)
    yield
    compose("down", "--volumes", "--timeout", "60", timeout=300, check=False)


def test_the_image_and_its_rqinit_are_arm64_and_static(arm64_cluster):
    arch = run(["docker", "image", "inspect", "-f", "{{.Architecture}}", IMAGE]).stdout.strip()
    assert arch == "arm64"
    with tempfile.NamedTemporaryFile() as copy:
        data = subprocess.run(["docker", "run", "--rm", "--entrypoint", "cat", IMAGE,
                               "/usr/sbin/rqinit"], capture_output=True, timeout=120,
                              check=True).stdout
        copy.write(data)
        copy.flush()
        kind = subprocess.run(["file", "-b", copy.name], capture_output=True, text=True).stdout
    assert "ARM aarch64" in kind and "static" in kind, kind


def test_the_daemons_run_as_aarch64_programs(arm64_cluster):
    for service in SERVICES:
        assert on(service, "uname", "-m").stdout.strip() == "aarch64", service


def test_the_one_compute_node_is_idle(arm64_cluster):
    wait_until("c1 idle in sinfo", lambda: sinfo_rows() == [("normal*", "up", "1", "idle", "c1")],
               timeout=120)


def test_a_batch_job_runs_as_rasqberry_and_is_accounted(arm64_cluster):
    job = as_user("sbatch", "--parsable", "--wait", "-o", "/data/arm-%j.out", "--wrap",
                  "echo job on $(hostname) $(uname -m) as $(id -un)", timeout=300).stdout.strip()
    assert on("c1", "cat", f"/data/arm-{job}.out").stdout.strip() == "job on c1 aarch64 as rasqberry"
    wait_until("the job COMPLETED in sacct", lambda: as_user(
        "sacct", "-X", "-n", "-P", "-j", job, "--format=State").stdout.strip() == "COMPLETED",
        timeout=120)
