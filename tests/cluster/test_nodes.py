"""Growing and shrinking a running cluster: make add-node / remove-node, node sizes, lost nodes.

Tests run in file order on one cluster (phase 1, then q1: phase 2), as a user would grow it.
"""

from conftest import (LOST_NODE_GRACE, PROJECT, as_user, cluster, compose, container_id, inspect, on, run,
                      sinfo_rows, wait_until)
from user_checks import names_of_inaddr_any


def normal_nodes():
    """The nodes of partition normal and their states, as sinfo shows them to a user."""
    out = as_user("sinfo", "--noheader", "-N", "-p", "normal", "-o", "%N %t").stdout
    return dict(line.split() for line in out.splitlines() if line.strip())


def node_field(name, key):
    out = as_user("scontrol", "-o", "show", "node", name).stdout
    return dict(word.split("=", 1) for word in out.split() if "=" in word)[key]


def started_at(services):
    return {s: inspect(s)["State"]["StartedAt"] for s in services}


def test_c3_and_c4_join_a_running_phase2_cluster_and_nothing_restarts(phase1):
    cluster("add-q1")
    before = started_at(["slurmctld", "c1", "c2", "q1", "login"])
    cluster("add-node", "c3", "c", "CPUs=1 RealMemory=500")
    cluster("add-node", "c4", "c")
    wait_until("c1-c4 idle in partition normal",
               lambda: normal_nodes() == {f"c{i}": "idle" for i in range(1, 5)}, timeout=60)
    assert started_at(before) == before
    assert names_of_inaddr_any(on, "c3") == ["inaddr-any"]  # what compose.yml gives c1


def test_a_declared_size_is_what_slurm_sees_and_the_default_is_the_designs(phase1):
    assert node_field("c3", "CPUTot") == "1"
    assert node_field("c3", "RealMemory") == "500"
    # 4 CPUs and 1000 MB whatever the host has (this one has fewer CPUs, and far more memory).
    assert node_field("c4", "CPUTot") == "4"
    assert node_field("c4", "RealMemory") == "1000"
    assert node_field("q1", "CPUTot") == "1"
    assert "INVAL" not in node_field("c4", "State")


def test_srun_runs_on_all_four_classical_nodes(phase1):
    out = as_user("srun", "-N", "4", "-p", "normal", "hostname", timeout=60).stdout.split()
    assert sorted(out) == ["c1", "c2", "c3", "c4"]


def test_bad_add_node_input_is_one_line_and_changes_nothing(phase1):
    nodes = normal_nodes()
    cases = {
        ("C5!", "c"): "NAME='C5!'",
        ("c5", "x"): "ROLE='x'",
        ("c1", "c"): "c1 is already a service",
        ("c3", "c"): "c3 is already a service",
    }
    for (name, role), said in cases.items():
        result = cluster("add-node", name, role, check=False)
        assert result.returncode == 2, (name, role, result.stderr)
        assert said in result.stderr, result.stderr
    bad_size = cluster("add-node", "c5", "c", "CPUs=4 RealMemory=1G", check=False)
    assert bad_size.returncode == 2
    assert ("RQINIT_NODE_SIZE='CPUs=4 RealMemory=1G': RealMemory must be a whole number above 0, "
            "not '1G'") in bad_size.stderr
    assert "c5" not in compose("config", "--services").stdout.split()
    assert normal_nodes() == nodes
    unknown = cluster("remove-node", "c1", check=False)  # c1 is the file's, not an added node
    assert unknown.returncode == 2 and "'c1' was not added with add-node" in unknown.stderr


def test_remove_node_leaves_sinfo_without_it(phase1):
    cluster("remove-node", "c4")
    assert "c4" not in normal_nodes()
    assert "c4" not in compose("config", "--services").stdout.split()
    assert run(["docker", "ps", "-aq", "--filter", f"name={PROJECT}_c4_"]).stdout.strip() == ""
    out = as_user("srun", "-N", "3", "-p", "normal", "hostname", timeout=60).stdout.split()
    assert sorted(out) == ["c1", "c2", "c3"]


def test_a_node_deleted_while_alive_registers_again(phase1):
    # As after a link cut for longer than the grace period: the controller forgets c3, whose
    # slurmd lives on. rejoin (roles/node_roles.cpp) restarts slurmd, which registers again.
    on("login", "scontrol", "delete", "nodename=c3")
    assert "c3" not in normal_nodes()
    wait_until("c3 idle again", lambda: normal_nodes().get("c3") == "idle", timeout=90)
    assert node_field("c3", "CPUTot") == "1"
    assert "the controller does not know c3" in compose("logs", "--no-color", "c3").stdout
    out = as_user("srun", "-w", "c3", "-p", "normal", "hostname", timeout=60).stdout.strip()
    assert out == "c3"


def test_a_node_held_at_an_address_is_named_again(phase1):
    # As after a controller killed before it saved the node's name: the entry holds the address
    # slurmd registered from, which the container loses when it comes back with another. The
    # node's watch (rqinit-node, every 20 s) sets the address to the name again.
    address = on("c3", "hostname", "-i").stdout.split()[0]
    on("login", "scontrol", "update", "nodename=c3", f"nodeaddr={address}")
    assert node_field("c3", "NodeAddr") == address
    wait_until("c3's address to be its name again", lambda: node_field("c3", "NodeAddr") == "c3",
               timeout=45)
    assert f"the controller has c3 at {address}" in compose("logs", "--no-color", "c3").stdout


def test_a_killed_node_is_deleted_after_the_grace_period_and_returns_when_started(phase1):
    c3 = container_id("c3")
    run(["docker", "kill", "-s", "KILL", c3])  # no clean stop: the node cannot delete itself
    # The killed node's name no longer resolves. Slurm 24.11 then marks it only once
    # SlurmdTimeout (90 s) has passed since its last answer, at its next ping cycle (every
    # SlurmdTimeout/3 = 30 s): DOWN and not responding 120-150 s after the kill (seen: 140 s).
    # Then the grace period.
    # (24.11 shows it "down", reason "Not responding", without sinfo's '*'.)
    wait_until("c3 to be marked not responding", lambda: normal_nodes().get("c3", "").startswith("down"),
               timeout=200, explain=lambda: as_user("scontrol", "show", "node", "c3").stdout)
    # How long it waits is unit.lost_nodes's to hold (a clock of its own); here, that it does.
    wait_until("c3 to be deleted", lambda: "c3" not in normal_nodes(), timeout=LOST_NODE_GRACE + 60)
    logs = compose("logs", "--no-color", "slurmctld").stdout
    assert "deleted node c3: it had not responded for the grace period" in logs
    assert normal_nodes() == {"c1": "idle", "c2": "idle"}
    run(["docker", "start", c3])
    wait_until("c3 back idle", lambda: normal_nodes().get("c3") == "idle", timeout=90)
    assert node_field("c3", "CPUTot") == "1"  # with the size it was added with
