"""Each phase looks and behaves as the architecture document shows it: the partitions a user
sees follow the nodes present, with no edit of slurm.conf and no restart of anything else.

Phase 1 (c1, c2):  normal* up 2 idle c[1-2]
Phase 2 (q1 too):  normal  up 2 idle c[1-2]
                   quantum* up 1 idle q1
Tests run in file order on one cluster (the phase1 fixture).
"""
from conftest import as_user, cluster, compose, inspect, on, wait_until

PHASE1 = "normal* up 2 idle c[1-2]"
PHASE2 = "normal up 2 idle c[1-2]\nquantum* up 1 idle q1"


def view():
    """sinfo exactly as the issue writes it, as the user rasqberry sees it: one line per
    partition, in sinfo's order. (root, Slurm's administrator, also sees the hidden quantum
    partition of phase 1: docs/operations.md, "Nodes and partitions".)"""
    out = as_user("sinfo", "-h", "-o", "%P %a %D %t %N").stdout
    return "\n".join(" ".join(line.split()) for line in out.splitlines() if line.strip())


def wait_for_view(expected, timeout=60):
    wait_until(f"sinfo to show {expected!r}", lambda: view() == expected, timeout=timeout)


def job_without_partition():
    """`sbatch --wrap hostname` with no -p, as rasqberry: the node it ran on."""
    job = as_user("sbatch", "--parsable", "--wait", "-o", "/data/phase-%j.out",
                  "--wrap", "hostname", timeout=180).stdout.strip()
    return on("login", "cat", f"/data/phase-{job}.out").stdout.strip()


def restart_slurmctld():
    started = inspect("slurmctld")["State"]["StartedAt"]
    compose("restart", "slurmctld", timeout=180)
    assert inspect("slurmctld")["State"]["StartedAt"] != started
    cluster("start", "slurmctld", timeout=300)  # waits until it is healthy again


def test_phase1_shows_only_normal_as_the_default(phase1):
    wait_for_view(PHASE1, timeout=30)
    assert view() == PHASE1


def test_phase1_a_job_without_a_partition_runs_on_a_classical_node(phase1):
    assert job_without_partition() in ("c1", "c2")


def test_phase1_view_survives_a_restart_of_slurmctld(phase1):
    restart_slurmctld()
    wait_for_view(PHASE1)


def test_phase2_q1_joins_and_quantum_becomes_the_default(phase1):
    before = {s: inspect(s)["State"]["StartedAt"] for s in ["slurmctld", "c1", "c2", "login"]}
    cluster("add-q1")
    wait_for_view(PHASE2)
    assert {s: inspect(s)["State"]["StartedAt"] for s in before} == before


def test_phase2_a_job_without_a_partition_runs_on_q1(phase1):
    assert job_without_partition() == "q1"


def test_phase2_view_survives_a_restart_of_slurmctld(phase1):
    restart_slurmctld()
    wait_for_view(PHASE2)
    assert view() == PHASE2


def test_q1_stopped_cleanly_gives_back_the_phase1_view(phase1):
    compose("stop", "q1", timeout=120)
    wait_for_view(PHASE1)
    assert job_without_partition() in ("c1", "c2")
