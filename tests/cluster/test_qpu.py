"""The qpu plugin as a user meets it: sbatch --qpu=NAMES on the login node, the job's environment
on q1 (spank_qrmi's contract), refusals that fail a job and never a node, and acquisition
through QRMI's C API, held by the stand-in library (QRMI itself cannot be built here).

Tests run in file order on one cluster: phase 1 plus q1.
"""
import re

import pytest
from conftest import QPUS, as_user, cluster, on, wait_until

CONFIG = "/etc/slurm/qrmi_config.json"
STANDIN_LOG = "/var/log/qrmi-standin.log"
NO_QRMI = "qpu: no QRMI library on this node: no QPU is acquired; the QPU settings are in the environment"


@pytest.fixture(scope="module")
def phase2(phase1):
    cluster("add-q1")
    wait_until("q1 idle", lambda: q1_state() == "idle", timeout=90)


def q1_state():
    return as_user("sinfo", "-h", "-n", "q1", "-o", "%t", check=False).stdout.strip()


def batch(*options, script, expect_ok=True, environment=()):
    """Submits a batch job as rasqberry and waits for its end: (job id, its output).
    environment: NAME=VALUE words exported to sbatch itself (and so to the job)."""
    exported = ("env", *environment) if environment else ()
    result = as_user(*exported, "sbatch", "--parsable", "--wait", "-p", "quantum", "-o", "/data/qpu-%j.out",
                     *options, "--wrap", script, check=False, timeout=120)
    job = result.stdout.strip().split(";")[0]
    assert job.isdigit(), f"no job id: {result.stdout} {result.stderr}"
    assert (result.returncode == 0) == expect_ok, f"job {job} exit {result.returncode}: {result.stderr}"
    return job, on("login", "cat", f"/data/qpu-{job}.out").stdout


def contract_variables(output):
    """The variables of spank_qrmi's contract in a job's `env` output."""
    names = tuple(QPUS) + ("QRMI_", "SLURM_JOB_QPU_", "RUST_LOG")
    pairs = (line.split("=", 1) for line in output.splitlines() if "=" in line)
    return {key: value for key, value in pairs if key.startswith(names)}


def expected_variables(job, names, time_limit_minutes):
    """time_limit_minutes None: a job with no limit (QRMI's timeout is then 2^32 - 1 s)."""
    timeout = "4294967295" if time_limit_minutes is None else str(time_limit_minutes * 60)
    expected = {"QRMI_JOB_UID": "1000", "QRMI_JOB_ID": job, "RUST_LOG": "info",
                "QRMI_JOB_QPU_RESOURCES": ",".join(names),
                "QRMI_JOB_QPU_TYPES": ",".join(QPUS[n][0] for n in names),
                "SLURM_JOB_QPU_RESOURCES": ",".join(names),
                "SLURM_JOB_QPU_TYPES": ",".join(QPUS[n][0] for n in names)}
    for name in names:
        expected.update({f"{name}_{key}": value for key, value in QPUS[name][1].items()})
        expected[f"{name}_QRMI_JOB_TIMEOUT_SECONDS"] = timeout
    return expected


def test_sbatch_help_on_login_lists_qpu(phase2):
    help_text = as_user("sbatch", "--help").stdout
    assert re.search(r"--qpu=names\s+Comma separated list of QPU resources to use\.", help_text), help_text


def test_a_qpu_job_sees_the_contract_in_order_and_nothing_more(phase2):
    job, output = batch("--qpu=qpu_b,qpu_a", "--time=7", script="env")
    assert contract_variables(output) == expected_variables(job, ["qpu_b", "qpu_a"], 7)
    # No QRMI library is installed on q1: said once, in the job's output.
    assert output.count(NO_QRMI) == 1, output


def test_a_job_without_qpu_sees_none_of_it(phase2):
    _, output = batch("--gres=qpu:1", script="env")
    assert contract_variables(output) == {}
    assert "qpu:" not in output


def test_a_job_with_a_setting_of_its_own_gets_none_of_the_sites(standin_qrmi):
    # Never a mix: a job that sets one setting of its own has no other of the site's, so that
    # the site's key cannot be sent to an endpoint the job chose.
    job, output = batch("--qpu=qpu_a", "--time=3", "--export=ALL,qpu_a_QRMI_URL=https://mine", script="env")
    calls = standin_calls()
    assert [call for call in calls if call[0] == "settings"] == [
        ["settings", "qpu_a", "qpu_a_QRMI_URL=https://mine"]], calls
    (token,) = [call[2] for call in calls if call[0] == "acquire"]
    expected = expected_variables(job, ["qpu_a"], 3)
    del expected["qpu_a_QRMI_APIKEY"]
    expected["qpu_a_QRMI_URL"] = "https://mine"
    expected["qpu_a_QRMI_JOB_ACQUISITION_TOKEN"] = token
    assert contract_variables(output) == expected
    assert "secret-a" not in output


def test_the_timeout_is_the_time_limit_from_the_jobs_start_and_end(phase2):
    # The quantum partition has no MaxTime: without --time the job has no limit, and slurmctld
    # gives it an end 365 days after its start.
    job, output = batch("--qpu=qpu_a", script="env")
    assert contract_variables(output) == expected_variables(job, ["qpu_a"], None)
    job, output = batch("--qpu=qpu_a", "--time=2-00:01:00", script="env")
    assert contract_variables(output) == expected_variables(job, ["qpu_a"], 2 * 24 * 60 + 1)


def test_an_unknown_qpu_is_refused_at_sbatch_and_no_job_id_is_used(phase2):
    before, _ = batch(script="true")
    refused = as_user("sbatch", "--parsable", "-p", "quantum", "--qpu=qpu_a,nosuch", "--wrap", "true", check=False)
    assert refused.returncode != 0
    assert refused.stdout.strip() == ""
    assert "--qpu: unknown QPU nosuch (this cluster has: qpu_a, qpu_b, qpu_c)" in refused.stderr
    after, _ = batch(script="true")
    assert int(after) == int(before) + 1, "the refused sbatch reached slurmctld"


def test_a_user_reads_neither_the_config_nor_the_secret(phase2):
    for path in [CONFIG, "/run/secrets/qrmi_config"]:
        denied = as_user("srun", "-p", "quantum", "cat", path, check=False)
        assert denied.returncode != 0 and "Permission denied" in denied.stderr, (path, denied)
    assert on("q1", "stat", "-c", "%a %U", CONFIG).stdout.split() == ["400", "root"]
    # The login node holds the names only, and no credential.
    assert as_user("cat", "/etc/slurm/qrmi_config.names").stdout.splitlines() == [
        "qpu_a", "qpu_b", "qpu_c groups=staff"]
    assert on("login", "test", "-e", CONFIG, check=False).returncode != 0
    denied = as_user("cat", "/run/secrets/qrmi_config", check=False)
    assert denied.returncode != 0 and "Permission denied" in denied.stderr
    # A job that asked for qpu_a gets none of the other QPUs' settings.
    _, output = batch("--qpu=qpu_a", script="env")
    assert "secret-b" not in output and "qpu_b_" not in output
    assert "secret-c" not in output and "qpu_c_" not in output


def test_a_malformed_config_fails_the_job_alone_and_q1_stays_idle(phase2):
    on("q1", "cp", "-p", CONFIG, CONFIG + ".good")
    try:
        on("q1", "sh", "-c", f"printf '{{\"resources\": [' > {CONFIG}")
        assert q1_state() == "idle"
        job, output = batch("--qpu=qpu_a", script="echo the job ran", expect_ok=False)
        lines = [line for line in output.splitlines() if line.strip()]
        assert lines == [f"qpu: QRMI config {CONFIG}: not valid JSON at line 1, column 16"], output
        assert on("login", "sacct", "-X", "-n", "-P", "-j", job, "-o", "State").stdout.strip() == "FAILED"
        assert q1_state() == "idle"
        # A job without --qpu runs as ever on the same node.
        batch(script="true")
    finally:
        on("q1", "mv", CONFIG + ".good", CONFIG)


def standin_calls():
    text = on("q1", "cat", STANDIN_LOG, check=False).stdout
    return [line.split() for line in text.splitlines()]


@pytest.fixture
def standin_qrmi(phase2):
    """QRMI's stand-in on q1, where the dynamic loader finds libqrmi.so; removed afterwards."""
    on("q1", "sh", "-c", f"ln -sf /usr/lib/rqinit/test/libqrmi.so /usr/local/lib/libqrmi.so && ldconfig && : > {STANDIN_LOG}")
    yield
    on("q1", "sh", "-c", "rm -f /usr/local/lib/libqrmi.so && ldconfig")


def token_in(output, name="qpu_a"):
    found = re.findall(rf"^token={re.escape(name)}:(\S+)$", output, re.M)
    assert len(found) == 1, output
    return found[0]


def test_acquire_at_start_release_at_end_completed_failed_cancelled(standin_qrmi):
    show = "echo token=qpu_a:$qpu_a_QRMI_JOB_ACQUISITION_TOKEN"
    completed, out = batch("--qpu=qpu_a", script=show)
    assert NO_QRMI not in out
    completed_token = token_in(out)
    failed, out = batch("--qpu=qpu_a", script=f"{show}; exit 3", expect_ok=False)
    failed_token = token_in(out)
    cancelled = as_user("sbatch", "--parsable", "-p", "quantum", "--qpu=qpu_a", "-o", "/data/qpu-%j.out",
                        "--wrap", f"{show}; sleep 300").stdout.strip()
    wait_until("the job to print its token", lambda: "token=" in on(
        "login", "cat", f"/data/qpu-{cancelled}.out", check=False).stdout, timeout=60)
    as_user("scancel", cancelled)
    cancelled_token = token_in(on("login", "cat", f"/data/qpu-{cancelled}.out").stdout)
    wait_until("the cancelled job's release", lambda: ["release", "qpu_a", cancelled_token] in standin_calls(),
               timeout=60)
    # Releases are written by the job's slurmstepd as it ends: once none is left on q1, a second
    # release, if there were one, is written.
    wait_until("the cancelled job's slurmstepd to end on q1", lambda: on(
        "q1", "pgrep", "-f", f"slurmstepd: \\[{cancelled}\\.", check=False).returncode == 1, timeout=60)
    calls = standin_calls()
    # None of these jobs set a setting of its own: QRMI was given the site's, as they are.
    site = ["settings", "qpu_a", "qpu_a_QRMI_APIKEY=secret-a", "qpu_a_QRMI_URL=https://a.example"]
    assert [call for call in calls if call[0] == "settings"] == [site] * 3, calls
    calls = [call for call in calls if call[0] != "settings"]
    for token in [completed_token, failed_token, cancelled_token]:
        assert calls.count(["acquire", "qpu_a", token]) == 1, calls
        assert calls.count(["release", "qpu_a", token]) == 1, calls
        assert calls.index(["acquire", "qpu_a", token]) < calls.index(["release", "qpu_a", token])
    assert len(calls) == 6, calls


def test_a_qpu_that_is_not_accessible_fails_the_job_not_the_node(standin_qrmi):
    _, output = batch("--qpu=qpu_a", "--export=ALL,qpu_a_QRMI_STANDIN_OFFLINE=1", script="echo ran",
                      expect_ok=False)
    assert output.strip() == ("qpu: QPU qpu_a could not be acquired: it is not accessible: "
                              "qpu_a is offline (stand-in)"), output
    assert standin_calls() == [["refused", "qpu_a", "(not", "accessible)"]]
    assert q1_state() == "idle"


def rasqberry_is_not_in_staff():
    groups = as_user("id", "-Gn").stdout.split()
    assert "rasqberry" in groups and "staff" not in groups, groups


# The line naming the QPU, its groups and the user's (which include rasqberry's own group).
REFUSED_QPU_C = re.compile(
    r"QPU qpu_c may be used only by members of staff \(you are in: [^)]*\brasqberry\b[^)]*\)$")


def test_a_user_outside_a_qpus_groups_is_refused_at_sbatch_in_one_line(phase2):
    rasqberry_is_not_in_staff()
    before, _ = batch(script="true")
    refused = as_user("sbatch", "--parsable", "-p", "quantum", "--qpu=qpu_c", "--wrap", "true", check=False)
    assert refused.returncode != 0
    assert refused.stdout.strip() == ""
    why = [line for line in refused.stderr.splitlines() if "qpu_c may be used only" in line]
    assert len(why) == 1 and REFUSED_QPU_C.search(why[0]), refused.stderr
    after, _ = batch(script="true")
    assert int(after) == int(before) + 1, "the refused sbatch reached slurmctld"


def test_a_job_that_skips_sbatchs_check_gets_no_credentials(standin_qrmi):
    # sbatch hands --qpu to slurmstepd as this variable of the job's environment (Slurm's
    # spank.c): exported by the user without --qpu, it reaches slurmstepd and sbatch checks
    # nothing. slurmstepd checks the job's groups itself.
    rasqberry_is_not_in_staff()
    job, output = batch(script="env", expect_ok=False, environment=["_SLURM_SPANK_OPTION_qpu_qpu=qpu_c"])
    assert on("login", "sacct", "-X", "-n", "-P", "-j", job, "-o", "State").stdout.strip() == "FAILED"
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("qpu: ") and REFUSED_QPU_C.search(lines[0]), output
    assert "qpu_c_" not in output and "secret-c" not in output
    assert not [call for call in standin_calls() if call[1:2] == ["qpu_c"]], standin_calls()
    assert q1_state() == "idle"


def test_two_qpu_jobs_on_q1_run_one_after_the_other(phase2):
    script = "date +%s.%N; sleep 3; date +%s.%N"
    jobs = [as_user("sbatch", "--parsable", "-p", "quantum", "--gres=qpu:1", "--qpu=qpu_a",
                    "-o", "/data/qpu-%j.out", "--wrap", script).stdout.strip() for _ in range(2)]
    for job in jobs:
        wait_until(f"job {job} to end", lambda: on("login", "sacct", "-X", "-n", "-P", "-j", job, "-o", "State",
                                                   check=False).stdout.strip() == "COMPLETED", timeout=90)
    spans = [[float(t) for t in on("login", "cat", f"/data/qpu-{job}.out").stdout.split()
              if re.fullmatch(r"[\d.]+", t)] for job in jobs]
    (start_1, end_1), (start_2, end_2) = sorted(spans)
    assert end_1 <= start_2, spans
