#!/usr/bin/python3
"""What the qpu plugin costs a job: 100 short batch jobs with --qpu, 100 without, and 100 that
read their time limit the reference way, in one run.

One Compose cluster (project rqqpu: phase 1 plus q1, the image of this tree), every job a batch
job of `date +%s.%N` on q1, submitted by rasqberry on the login node, one at a time, the three
kinds interleaved in rounds of one of each, in random order within each round (a fixed alternation
could put each kind at its own phase of the scheduler's cycle), so whatever else loads the machine
hits all alike. The kinds:
  plain      no option.
  qpu        --qpu=bench_qpu: the shipped plugin's work; it reads the job's time limit from
             SLURM_JOB_START_TIME and SLURM_JOB_END_TIME, asking slurmctld nothing.
  reference  --time-limit-reference, no --qpu: bench/spank_time_limit_reference.so (in the bench's
             plugstack.conf only), which reads the time limit as spank_qrmi does in its
             task_init: slurm_load_job() for the job, an RPC to slurmctld, then
             job_array[0].time_limit; nothing else.
Per job (one kernel, one clock for every container):
  sbatch    the sbatch command on login, start to exit: the plugin's check of --qpu is in it.
  launch    on q1, from slurmd's "Launching batch job" line (its log, in ms) to the
            job's first line (its own timestamp): slurmstepd's start, with the plugin's work
            before a job runs (config read, environment, the time limit from it).
  start     from just before `sbatch` to the job's first line: what a user waits, scheduler
            included (its delays are far larger than the plugin's cost, and vary more).
  wall      from just before `sbatch` to the job gone from squeue (asked every 50 ms): the
            release at the job's end is in it; as noisy as start.
A second part asks whether a job *without* --qpu pays for the plugin being there at all: blocks
of jobs with plugstack.conf loading the plugin and blocks with its line taken out, switched
with `stack/cluster reconfigure` (the README's way to change it), alternating block by block;
"loading the plugin" there is the shipped plugstack.conf as it is, without the reference.

Those end-to-end figures carry delays (scheduler, NFS home, slurmstepd start) whose spread is
tens to hundreds of ms, far above the 1 ms goal. So the verdict is on the plugin's own time,
which it logs per job at the job's end (and per step at debug level), read from slurmd's log:
the time in each of its callbacks, measured in the real slurmstepd of each real job. The
reference logs its own time (its task_init's work, clock_gettime around it) in a line of the same
shape, read the same way: the report puts the two side by side, medians and their ratio.

What the plugin costs before any callback, its loading into a process (slurmstepd loads it
for every step of every job, sbatch for every submission), is measured apart: dlopen of the
plugin in a fresh process on q1 that has Slurm's library loaded already, as slurmstepd has.

No QRMI library is on q1, as in the shipped image: the figures are the plugin's own cost, not
a QPU provider's. Medians, and the difference of medians; the goal: the plugin's own time per
--qpu job <= 1 ms.
Exit status: 0 when every figure was measured, 1 when something could not be, 2 on a bad command
line. Progress goes to stderr, the report to stdout.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROJECT = "rqqpu"
IMAGE = os.environ.get("RQINIT_IMAGE", "rqinit/rasqberry:latest")
SERVICES = ["nfs", "mysql", "slurmdbd", "slurmctld", "c1", "c2", "q1", "login"]
# The bench's slurm.conf adds a slurmd log with millisecond times, at debug level: the plugin
# logs its own time there (spank_qpu.cpp), and slurmd each batch launch.
SLURMD_LOG = "/var/log/slurm/slurmd.log"
BENCH_SLURM_CONF = f"""
# bench/qpu_bench.py: slurmd and slurmstepd log here, with millisecond times.
SlurmdLogFile={SLURMD_LOG}
SlurmdDebug=debug
LogTimeFormat=iso8601_ms
"""
KINDS = ["plain", "qpu", "reference"]  # the jobs of each interleaved round
FIGURES = ["sbatch command", "launch on q1 -> job running", "sbatch -> job running",
           "sbatch -> job gone"]
# The bench's plugstack.conf adds the reference plugin (bench/spank_time_limit_reference.c), which
# the image installs outside the shipped plugstack.conf's paths.
REFERENCE_PLUGSTACK = """
# bench/qpu_bench.py: the time limit through slurm_load_job(), as spank_qrmi reads it.
optional /usr/lib/rqinit/bench/spank_time_limit_reference.so
"""
QPU_CONFIG = '{"resources":[{"name":"bench_qpu","type":"pasqal-local","environment":{"K":"v"}}]}'

# Runs in the login container as rasqberry: one line per job, "KIND JOB SUBMITTED ACCEPTED GONE".
JOB_LOOP = r"""
set -eu
count=$1; shift
for i in $(seq "$count"); do
  for kind in $(shuf -e "$@"); do
    case $kind in
      qpu) opt=--qpu=bench_qpu ;;
      reference) opt=--time-limit-reference ;;
      *) opt= ;;
    esac
    # A random pause first: slurmctld schedules on a ~1 s cycle, and a submission at a fixed
    # delay after the previous job would meet that cycle at a phase set by the previous job's
    # kind and length; paused at random, every job meets it at a uniformly random phase.
    sleep "0.$(printf %03d $((RANDOM % 1000)))"
    submitted=$(date +%s.%N)
    job=$(sbatch --parsable -p quantum $opt -o /data/qpubench-%j.out --wrap 'date +%s.%N')
    accepted=$(date +%s.%N)
    while [ -n "$(squeue -h -j "$job" -o %i 2>/dev/null)" ]; do sleep 0.05; done
    echo "$kind $job $submitted $accepted $(date +%s.%N)"
  done
done
"""


def say(text):
    print(f"qpu_bench: {text}", file=sys.stderr, flush=True)


def run(args, env, timeout=900, check=True):
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {result.returncode}: {result.stderr[-2000:]}")
    return result


class Cluster:
    def __init__(self, scratch):
        self.etc = Path(scratch) / "etc"
        shutil.copytree(REPO / "stack" / "etc", self.etc)
        with open(self.etc / "slurm.conf", "a") as conf:
            conf.write(BENCH_SLURM_CONF)
        with open(self.etc / "plugstack.conf", "a") as conf:
            conf.write(REFERENCE_PLUGSTACK)
        config = Path(scratch) / "qrmi.json"
        config.write_text(QPU_CONFIG)
        config.chmod(0o600)
        self.env = dict(os.environ, COMPOSE_PROJECT_NAME=PROJECT, RQINIT_IMAGE=IMAGE,
                        RQINIT_SLURM_ETC=str(self.etc), RQINIT_QRMI_CONFIG_FILE=str(config))
        self.script = REPO / "stack" / "cluster"

    def cluster(self, *args, timeout=900):
        return run(["bash", str(self.script), *args], self.env, timeout=timeout)

    def start(self):
        say("building the image and starting phase 1 plus q1 (project rqqpu)")
        run(["bash", str(REPO / "images" / "build"), IMAGE], self.env, timeout=1800)
        self.cluster("compose", "down", "--volumes")
        self.cluster("start", *SERVICES)

    def stop(self):
        self.cluster("compose", "down", "--volumes", timeout=300)

    def on_login(self, *command, user="rasqberry", timeout=900):
        return self.cluster("compose", "exec", "-T", "-u", user, "login", *command, timeout=timeout)

    def slurmd_log(self):
        return self.cluster("compose", "exec", "-T", "q1", "cat", SLURMD_LOG).stdout

    def launches(self, log):
        """{job id: epoch seconds} of slurmd's "Launching batch job" lines."""
        found = {}
        for stamp, job in re.findall(r"^\[(\S+)\] Launching batch job (\d+) ", log, re.M):
            found[job] = datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc).timestamp()
        return found

    def jobs(self, count, kinds):
        """Runs count rounds of the kinds; returns {kind: [a tuple of FIGURES, in seconds]}."""
        lines = self.on_login("bash", "-c", JOB_LOOP, "job-loop", str(count), *kinds).stdout
        launches = self.launches(self.slurmd_log())
        figures = {kind: [] for kind in kinds}
        for line in lines.splitlines():
            kind, job, submitted, accepted, gone = line.split()
            submitted, accepted, gone = float(submitted), float(accepted), float(gone)
            words = self.on_login("cat", f"/data/qpubench-{job}.out").stdout.split()
            started = float(next(word for word in words if word[0].isdigit()))
            figures[kind].append((accepted - submitted, started - launches[job],
                                  started - submitted, gone - submitted))
        self.on_login("sh", "-c", "rm -f /data/qpubench-*.out", user="root")
        return figures

    def plugstack(self, loaded):
        """The shipped plugstack.conf (without the reference), or the same without the qpu
        plugin's line (every other plugin stays, so only the qpu plugin's cost is compared)."""
        text = (REPO / "stack" / "etc" / "plugstack.conf").read_text()
        if not loaded:
            text = "".join(line for line in text.splitlines(True) if "spank_qpu.so" not in line)
        (self.etc / "plugstack.conf").write_text(text)
        self.cluster("reconfigure", timeout=300)


# Runs on q1: one fresh process per sample, Slurm's library loaded first (as in slurmstepd, whose
# symbols the plugin uses), then the plugin, timed; prints the milliseconds.
LOAD_ONE = """
import ctypes, glob, os, time
ctypes.CDLL(glob.glob("/usr/lib/*/slurm-wlm/libslurmfull.so")[0], mode=os.RTLD_GLOBAL)
start = time.perf_counter()
ctypes.CDLL("/usr/lib/rqinit/spank_qpu.so", mode=os.RTLD_GLOBAL)
print((time.perf_counter() - start) * 1000)
"""


def load_times(cluster, samples=30):
    """Milliseconds to load the plugin into a fresh process on q1, one sample per process."""
    script = f"for i in $(seq {samples}); do python3 -c '{LOAD_ONE}'; done"
    out = cluster.cluster("compose", "exec", "-T", "q1", "bash", "-c", script).stdout
    return [float(line) for line in out.split()]


def task_start_times(log, plugin):
    """{job id: ms} of a plugin's "PLUGIN: job N: task start in X ms" lines (spank_qpu's, and
    the reference's, of the same shape)."""
    return {job: float(ms) for job, ms in
            re.findall(rf"\b{plugin}: job (\d+): task start in ([\d.]+) ms", log)}


def plugin_times(log):
    """The plugin's own time per --qpu job (before it, task start, at its end), at task start
    alone, and per step."""
    before = {job: (float(a), float(b)) for job, a, b in re.findall(
        r"\bqpu: job (\d+): \d+ QPU\(s\)[^,]*, ([\d.]+) ms before the job, ([\d.]+) ms at its end", log)}
    task = task_start_times(log, "qpu")
    per_job = [before[job][0] + task[job] + before[job][1] for job in before if job in task]
    at_task = [task[job] for job in before if job in task]
    per_step = [float(ms) for ms in re.findall(r"\bqpu: init in ([\d.]+) ms", log)]
    return per_job, at_task, per_step


def median_ms(samples, index):
    return statistics.median(sample[index] for sample in samples) * 1000


def spread_ms(samples, index):
    """The interquartile range: how far apart two medians may fall by chance alone."""
    quartiles = statistics.quantiles((sample[index] for sample in samples), n=4)
    return (quartiles[2] - quartiles[0]) * 1000


def report(title, left_name, left, right_name, right):
    """Prints the table; returns the differences of medians, per figure, in ms."""
    print(f"\n{title}")
    print(f"| figure (median of {len(left)} jobs each) | {left_name} | {right_name} | "
          "difference | IQR (left / right) |")
    print("|---|---|---|---|---|")
    differences = []
    for index, figure in enumerate(FIGURES):
        a, b = median_ms(left, index), median_ms(right, index)
        differences.append(b - a)
        print(f"| {figure} | {a:.1f} ms | {b:.1f} ms | {b - a:+.1f} ms | "
              f"{spread_ms(left, index):.1f} / {spread_ms(right, index):.1f} ms |")
    return differences


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100, help="jobs of each kind (default 100)")
    parser.add_argument("--blocks", type=int, default=4,
                        help="blocks of each plugstack.conf in the second part (default 4)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = parser.parse_args()
    if args.jobs < 1 or args.blocks < 1:
        parser.error("--jobs and --blocks must be at least 1")
    with tempfile.TemporaryDirectory(prefix="rqqpu-") as scratch:
        cluster = Cluster(scratch)
        try:
            cluster.start()
            cluster.jobs(5, KINDS)  # warm-up: first-run costs out of the figures
            warmed = len(cluster.slurmd_log())  # the plugins' own times: after the warm-up only
            say(f"{args.jobs} jobs with --qpu, {args.jobs} without, {args.jobs} with "
                "--time-limit-reference, interleaved")
            mixed = cluster.jobs(args.jobs, KINDS)
            per_block = max(1, args.jobs // args.blocks)
            loaded, absent = [], []
            for block in range(args.blocks):
                say(f"block {block + 1} of {args.blocks}: {per_block} jobs with, then without the plugin")
                cluster.plugstack(True)
                loaded += cluster.jobs(per_block, ["plain"])["plain"]
                cluster.plugstack(False)
                absent += cluster.jobs(per_block, ["plain"])["plain"]
            cluster.plugstack(True)
            log = cluster.slurmd_log()[warmed:]
            loading = load_times(cluster)
        except (RuntimeError, subprocess.TimeoutExpired, StopIteration, ValueError) as error:
            say(f"could not measure: {error}")
            return 1
        finally:
            if not args.keep:
                cluster.stop()
    added = report("Jobs with and without --qpu (interleaved, one run)", "without --qpu",
                   mixed["plain"], "with --qpu", mixed["qpu"])
    report("Jobs without any option and with --time-limit-reference (the same run)",
           "without", mixed["plain"], "reference", mixed["reference"])
    idle = report("Jobs without --qpu: plugin absent from plugstack.conf, and loaded "
                  "(alternating blocks)", "plugin absent", absent, "plugin loaded", loaded)
    per_job, at_task, per_step = plugin_times(log)
    reference = list(task_start_times(log, "time_limit_reference").values())
    if not per_job or not per_step:
        say("the plugin's time lines are not in slurmd's log")
        return 1
    if not reference:
        say("the reference plugin's time lines are not in slurmd's log")
        return 1
    cost = statistics.median(per_job)
    print(f"\nThe plugin's own time, from its lines in slurmd's log ({len(per_job)} --qpu jobs, "
          f"{len(per_step)} steps):")
    print(f"- per --qpu job (before it, at task start, at its end): median {cost:.3f} ms, "
          f"max {max(per_job):.3f} ms")
    print(f"- per step, any job (option registered): median {statistics.median(per_step):.3f} ms")
    load = statistics.median(loading)
    print(f"- loading it into a process (per step of any job, per sbatch), apart from the above: "
          f"median {load:.3f} ms of {len(loading)}, max {max(loading):.3f} ms")
    print("\nThe time limit, the plugin's way beside the reference's (spank_qrmi's "
          "slurm_load_job in task_init), each one's own time per job:")
    print("| own time per job | shipped plugin, --qpu | reference, --time-limit-reference | "
          "reference / shipped |")
    print("|---|---|---|---|")
    ref = statistics.median(reference)
    for name, samples in [("all of it (before, task start, end)", per_job),
                          ("at task start (where both read the limit)", at_task)]:
        mine = statistics.median(samples)
        ratio = f"{ref / mine:.1f}x" if mine > 0 else "n/a"
        print(f"| {name}: median of {len(samples)} / {len(reference)} | {mine:.3f} ms | "
              f"{ref:.3f} ms | {ratio} |")
    print(f"(max: shipped {max(per_job):.3f} ms all of it, reference {max(reference):.3f} ms)")
    verdict = "PASS" if cost <= 1 else "MISS"
    print(f"\nthe plugin's own time per --qpu job: median {cost:.3f} ms (goal: <= 1 ms): "
          f"{verdict}; its loading, apart, {load:.3f} ms per process")
    print(f"end to end, within the scheduler's spread (IQR above): {added[2]:+.1f} ms to start, "
          f"{added[3]:+.1f} ms to the job's end; the plugin loaded, for jobs without --qpu: "
          f"{idle[2]:+.1f} / {idle[3]:+.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
