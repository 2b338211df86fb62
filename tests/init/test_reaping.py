"""PID 1 must reap orphans: zombies reparented to it never pile up."""
import os
import subprocess

from conftest import HELPERS, PYTHON


def test_100_orphaned_grandchildren_are_reaped(rqinit):
    # The main command makes 100 orphans (double fork) and exits 0 only once the
    # namespace's /proc shows nothing but PID 1 and itself, i.e. every orphan was reaped.
    r = rqinit.run("--", PYTHON, os.path.join(HELPERS, "orphans.py"), "100", "5")
    assert r.returncode == 0, r.output()
    assert "all 100 orphans reaped" in r.stdout


def test_orphans_are_reaped_in_plan_mode(rqinit, work):
    # Same check with the orphan maker as a service of a config file.
    cfg = f"""
[services.maker]
command = ["{PYTHON}", "{os.path.join(HELPERS, 'orphans.py')}", "50", "5"]
restart = "never"
"""
    r = rqinit.run(config=cfg)
    assert r.returncode == 0, r.output()


# The arm64 build's tests run this too, under qemu-user 10 (tools/install-qemu-user); Debian
# 12's qemu-user 7.2 answered EINVAL to PR_SET_CHILD_SUBREAPER.
def test_subreaper_when_not_pid_1(rqinit_bin, rqinit):
    # Outside a PID namespace rqinit is not PID 1; orphans of its command must still
    # be reparented to it (child subreaper) and reaped, as `tini -s` does.
    p = subprocess.run([rqinit_bin, "--control-socket", rqinit.path("c.sock"), "--",
                        PYTHON, os.path.join(HELPERS, "subreap.py")],
                       capture_output=True, text=True, timeout=10, env=rqinit.env())
    assert p.returncode == 0, p.stdout + p.stderr
    assert "reparented to rqinit and reaped" in p.stdout
