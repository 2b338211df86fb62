"""The controller killed around a job's end: slurmctld saves its state a few seconds after a
change, so a job that ended just before the kill may be in the saved state as still running.
After the restart its node must be free again by itself, as a user sees it in sinfo.
"""
from conftest import as_user, container_id, inspect, run, wait_until


def node_state(name):
    return as_user("sinfo", "-h", "-N", "-n", name, "-o", "%T", check=False).stdout.strip()


def test_a_job_ended_just_before_the_controller_is_killed_leaves_its_node_idle(phase1):
    wait_until("c1 idle", lambda: node_state("c1") == "idle", timeout=60)
    # srun returns once its job has ended: the kill follows within a fraction of a second.
    job = as_user("srun", "-w", "c1", "-p", "normal", "sh", "-c", "echo $SLURM_JOB_ID",
                  timeout=60).stdout.strip()
    slurmctld = container_id("slurmctld")
    run(["docker", "kill", slurmctld])
    run(["docker", "start", slurmctld])
    wait_until("slurmctld healthy again",
               lambda: inspect("slurmctld")["State"]["Health"]["Status"] == "healthy", timeout=120)
    wait_until("c1 idle after the controller's restart (not mix or alloc)",
               lambda: node_state("c1") == "idle", timeout=60, explain=lambda: as_user(
                   "sh", "-c", "scontrol show node c1; squeue -a", check=False).stdout)
    assert as_user("squeue", "-h", "-j", job, check=False).stdout.strip() == ""
    wait_until(f"job {job} accounted as COMPLETED", lambda: as_user(
        "sacct", "-X", "-n", "-P", "-j", job, "-o", "State").stdout.strip() == "COMPLETED",
        timeout=60)
