"""make reconfigure on the Compose cluster: a changed slurm.conf or node-features.conf reaches
the controller and every node with no image rebuild and no container restart; a file Slurm
cannot read changes nothing; one slurmctld refuses is rolled back, and the cluster runs on.

Tests run in file order on one cluster (the phase1 fixture) whose configuration is a copy of
stack/etc (conftest.SLURM_ETC); the last test puts the copy back as it was.
"""
import re

from conftest import SLURM_ETC, as_user, cluster, compose, inspect, on, reset_slurm_etc, wait_until

CONTAINERS = ["mysql", "slurmdbd", "slurmctld", "c1", "c2", "login"]


def started_at():
    return {service: inspect(service)["State"]["StartedAt"] for service in CONTAINERS}


def edit(name, old, new):
    path = SLURM_ETC / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def reconfigure(check=True):
    return cluster("reconfigure", timeout=300, check=check)


def partition_max_time():
    out = as_user("scontrol", "-o", "show", "partition", "normal").stdout
    return re.search(r"MaxTime=(\S+)", out).group(1)


def features(node):
    out = as_user("scontrol", "-o", "show", "node", node).stdout
    return re.search(r"AvailableFeatures=(\S+)", out).group(1)


def slurmctld_pid():
    return on("slurmctld", "cat", "/run/slurm/slurmctld.pid").stdout.strip()


def test_a_new_max_time_and_node_feature_reach_every_node_with_no_restart(phase1):
    before = started_at()
    edit("slurm.conf", "PartitionName=normal Nodes=classical Default=YES MaxTime=INFINITE",
         "PartitionName=normal Nodes=classical Default=YES MaxTime=45")
    edit("node-features.conf", "Role=c Features=", "Role=c Features=avx,fast")
    result = reconfigure()
    assert "slurmctld: applied slurm.conf" in result.stdout, result.stdout
    assert partition_max_time() == "00:45:00"
    assert features("c1") == features("c2") == "classical,avx,fast"
    # Each node's slurmd has the new slurm.conf (configless), and its Slurm commands read it.
    for node in ("c1", "c2"):
        assert "MaxTime=45" in on(node, "cat", "/run/slurm/conf/slurm.conf").stdout
        assert "MaxTime=00:45:00" in on(node, "scontrol", "show", "partition", "normal").stdout
    assert "MaxTime=45" in on("login", "cat", "/etc/slurm/slurm.conf").stdout
    # A user's job asks for the new feature, and runs; and nothing was restarted for any of it.
    ran_on = as_user("srun", "-p", "normal", "-C", "avx", "hostname", timeout=120).stdout.strip()
    assert ran_on in ("c1", "c2")
    assert started_at() == before


def test_a_slurm_conf_slurm_cannot_read_changes_nothing(phase1):
    pid = slurmctld_pid()
    edit("slurm.conf", "MailProg=/bin/true", "MailProg=/bin/true\nFooBar=1")
    result = reconfigure(check=False)
    assert result.returncode == 3, result
    lines = [line for line in result.stdout.splitlines() if "FooBar" in line]
    assert len(lines) == 1 and "Slurm cannot read it" in lines[0] and "nothing changed" in lines[0]
    assert "FooBar" not in on("slurmctld", "cat", "/etc/slurm/slurm.conf").stdout
    assert slurmctld_pid() == pid  # never told to reconfigure: not stopped, not restarted
    edit("slurm.conf", "\nFooBar=1", "")


def test_a_configuration_slurmctld_refuses_is_rolled_back_and_the_cluster_runs_on(phase1):
    before = started_at()
    # Slurm's parser reads it, but slurmctld, re-executed on it, stops: a partition of nodes
    # that do not exist.
    edit("slurm.conf", "PartitionName=quantum Nodes=quantum",
         "PartitionName=quantum Nodes=nosuchnode")
    result = reconfigure(check=False)
    assert result.returncode == 1, result
    refused = [line for line in result.stdout.splitlines() if "refused" in line]
    assert len(refused) == 1 and "rolled back to the previous files" in refused[0], result.stdout
    assert "slurmctld said: fatal: " in result.stderr, result.stderr
    assert "nosuchnode" not in on("slurmctld", "cat", "/etc/slurm/slurm.conf").stdout
    # The cluster runs on the previous configuration: the earlier change holds, jobs run.
    assert partition_max_time() == "00:45:00"
    assert as_user("srun", "-p", "normal", "hostname", timeout=120).stdout.strip() in ("c1", "c2")
    assert started_at() == before
    edit("slurm.conf", "PartitionName=quantum Nodes=nosuchnode",
         "PartitionName=quantum Nodes=quantum")


def test_a_plugin_setting_is_applied_in_place_with_no_restart_and_no_container(phase1):
    # Slurm 24.11's reconfigure re-executes slurmctld and every slurmd on the new files, in
    # their own processes: MaxNodeCount, which 22.05 took only at start, needs no restart.
    before = started_at()
    pid = slurmctld_pid()
    edit("slurm.conf", "MaxNodeCount=64", "MaxNodeCount=65")
    result = reconfigure()
    assert "restarting" not in result.stdout, result.stdout
    assert re.search(r"MaxNodeCount\s*=\s*65", on("slurmctld", "scontrol", "show", "config").stdout)
    assert slurmctld_pid() == pid
    assert sorted(as_user("sinfo", "-h", "-N", "-p", "normal", "-o", "%N %t").stdout.split()) == \
        ["c1", "c2", "idle", "idle"]
    assert started_at() == before


def test_the_original_files_apply_again(phase1):
    reset_slurm_etc()
    reconfigure()
    assert partition_max_time() == "UNLIMITED"
    wait_until("c1 without the extra features", lambda: features("c1") == "classical")
