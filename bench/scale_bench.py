#!/usr/bin/python3
"""How the cluster grows: rqinit's Compose cluster with 4, 8, 16 and 32 classical nodes, side by
side with the architecture-style shell baseline at each size, in one run.

The two clusters are bench/cluster_bench.py's "rqinit" (stack/compose.yml, named volumes) and
"arch" (bench/baseline/compose-arch.yml: a bash entrypoint that copies the munge key, starts
munged in the background, polls with `sleep 2` and execs the daemon): the same images (the
baseline's is images/Dockerfile minus rqinit), the same slurm.conf (dynamic nodes: each slurmd
registers itself with -Z, so neither cluster edits slurm.conf to grow), the same internal
network, secrets, grace periods and restart policy. For each size N both Compose files are
resolved (`compose config`) and grown the same way: q1 is left out, c1 is copied to c3..cN.

Figures, per cluster and size (medians and min-max over --runs):
  1. up -> idle   `up -d` on fresh volumes until sinfo on login lists c1..cN idle
  2. controller   anonymous memory of the slurmctld container (cgroup), idle
  3. per node     anonymous memory of each node container (rqinit or bash's leftovers, munged,
                  slurmd; rqinit's rejoin check too), idle: the median over the N nodes
  4. array        `sbatch --wait --array=0-999 -p normal --wrap true` as rasqberry on login,
                  submit to end
With --arm64, also the minimal cluster (mysql, slurmdbd, slurmctld, c1, login) of the arm64
image (rqinit/rasqberry:arm64, `make image ARCH=arm64`) under qemu, up -> c1 idle, beside the
same cluster of the amd64 image: for the record, not a goal.

Each size measures both clusters, in an order alternating from size to size and run to run.
Only the Compose projects rqscale and rqscale-base (and rqscale-arm64/rqscale-amd64) are
touched. A MISS is a result, not an error. Exit status: 0 when every figure was measured, 1 when
something could not be measured, 2 on a bad command line. Progress goes to stderr, the report to
stdout.
"""

import argparse
import signal
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster_bench as cb  # noqa: E402  (the clusters, images and cgroup readers it already has)

SIZES = (4, 8, 16, 32)
ARRAY_TASKS = 1000
GENERATED = Path("/tmp/rqscale")  # the grown Compose files, one per cluster and size
ARM64_IMAGE = "rqinit/rasqberry:arm64"
MINIMAL = ("mysql", "slurmdbd", "slurmctld", "c1", "login")


@dataclass
class Sample:
    """One cluster at one size, one run."""
    up: float | None = None
    controller_mib: float | None = None
    node_mib: float | None = None  # the median over the nodes
    array: float | None = None
    errors: list = field(default_factory=list)


def grown_compose_file(cluster: cb.Cluster, nodes: int) -> Path:
    """The cluster's Compose file resolved, without q1, with c1 copied to c3..cN."""
    resolved = yaml.safe_load(cluster.compose("config", timeout=60).stdout)
    services = resolved["services"]
    services.pop("q1", None)
    for number in range(3, nodes + 1):
        node = yaml.safe_load(yaml.safe_dump(services["c1"]))  # a deep copy
        node["hostname"] = f"c{number}"
        services[f"c{number}"] = node
    GENERATED.mkdir(exist_ok=True)
    path = GENERATED / f"{cluster.project}-{nodes}.yml"
    path.write_text(yaml.safe_dump(resolved, sort_keys=False))
    return path


def at_size(cluster: cb.Cluster, nodes: int) -> cb.Cluster:
    """The same cluster, its Compose file grown to `nodes` classical nodes."""
    return cb.Cluster(cluster.label, cluster.project, grown_compose_file(cluster, nodes),
                      cluster.image, cluster.image_variable)


def up_until_idle(cluster: cb.Cluster, nodes: list[str], services: tuple = ()) -> float:
    """`up -d` (of `services`, default all) until every one of `nodes` is idle."""
    timeout = 300 + 10 * len(nodes)
    started = time.monotonic()
    cluster.compose("up", "-d", *services, timeout=timeout)
    elapsed = cb.wait_all_idle(cluster, started, nodes, timeout)
    cb.log(f"{cluster.label}: {len(nodes)} node(s) idle after {elapsed:.1f} s")
    return elapsed


def run_array(cluster: cb.Cluster, tasks: int) -> float:
    """Submit to end of a job array of `true`, as the demonstration user on login."""
    cb.log(f"{cluster.label}: a {tasks}-task job array of true")
    started = time.monotonic()
    result = cluster.as_job_user(["sbatch", "--wait", "--parsable", f"--array=0-{tasks - 1}",
                                  "-p", "normal", "-o", "/dev/null", "--wrap", "true"], 1800)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise cb.BenchError(f"{cluster.label}: the job array exited {result.returncode}: "
                            f"{result.stderr.strip()[-200:]}")
    left = cluster.as_job_user(["squeue", "-h", "-j", result.stdout.strip().split(";")[0]], 30)
    if left.stdout.strip():
        raise cb.BenchError(f"{cluster.label}: tasks of the array still queued after sbatch --wait")
    cb.log(f"{cluster.label}: the array ran in {elapsed:.1f} s")
    return elapsed


def measure(cluster: cb.Cluster, nodes: int, tasks: int) -> Sample:
    sample = Sample()
    names = [f"c{n}" for n in range(1, nodes + 1)]
    try:
        cluster.wipe()
        sample.up = up_until_idle(cluster, names)
        memory = cb.measure_memory(cluster, ["slurmctld", *names])
        sample.controller_mib = memory["slurmctld"]
        sample.node_mib = statistics.median(memory[n] for n in names)
        sample.array = run_array(cluster, tasks)
    except cb.BenchError as exc:
        cb.log(str(exc))
        sample.errors.append(f"{cluster.label}, {nodes} nodes: {exc}")
    finally:
        cluster.wipe()
    return sample


def measure_arm64(runs: int) -> dict[str, list]:
    """The minimal cluster, arm64 image under qemu and amd64 image: up -> c1 idle."""
    if not cb.image_present(ARM64_IMAGE):
        raise cb.BenchError(f"{ARM64_IMAGE} is missing: build it with `make image ARCH=arm64`")
    pair = {"arm64": cb.Cluster("arm64", "rqscale-arm64", cb.REPO / "stack" / "compose.yml",
                                ARM64_IMAGE, "RQINIT_IMAGE"),
            "amd64": cb.Cluster("amd64", "rqscale-amd64", cb.REPO / "stack" / "compose.yml",
                                cb.RQINIT_IMAGE, "RQINIT_IMAGE")}
    times = {label: [] for label in pair}
    for number in range(runs):
        for label in (("arm64", "amd64") if number % 2 == 0 else ("amd64", "arm64")):
            cluster = pair[label]
            try:
                cluster.wipe()
                times[label].append(up_until_idle(cluster, ["c1"], MINIMAL))
            except cb.BenchError as exc:
                cb.log(str(exc))
                times[label].append(None)
            finally:
                cluster.wipe()
    return times


def slope(points: dict[int, float | None]) -> float | None:
    """Least-squares growth per node of a figure over the sizes measured."""
    got = [(n, v) for n, v in points.items() if v is not None]
    if len(got) < 2:
        return None
    mean_n = statistics.mean(n for n, _ in got)
    mean_v = statistics.mean(v for _, v in got)
    spread_n = sum((n - mean_n) ** 2 for n, _ in got)
    return sum((n - mean_n) * (v - mean_v) for n, v in got) / spread_n


def report(results: dict, sizes: list[int], tasks: int) -> list[str]:
    """Prints the tables; returns the goal lines that missed or could not be judged."""
    med = lambda label, n, attr: cb.median_of([getattr(s, attr) for s in results[label][n]])
    cell = lambda label, n, attr, unit, digits=1: cb.spread(
        [getattr(s, attr) for s in results[label][n]], unit, digits)
    rows = []
    for n in sizes:
        rows.append([f"{n}",
                     cell("rqinit", n, "up", "s"), cell("arch", n, "up", "s"),
                     cb.ratio(med("rqinit", n, "up"), med("arch", n, "up")),
                     cell("rqinit", n, "controller_mib", "MiB"), cell("arch", n, "controller_mib", "MiB"),
                     cell("rqinit", n, "node_mib", "MiB", 2), cell("arch", n, "node_mib", "MiB", 2),
                     cell("rqinit", n, "array", "s"), cell("arch", n, "array", "s"),
                     cb.ratio(med("rqinit", n, "array"), med("arch", n, "array"))])
    cb.print_table(["nodes", "up->idle rqinit", "up->idle arch", "ratio", "ctld rqinit", "ctld arch",
                    "per node rqinit", "per node arch", f"array({tasks}) rqinit", "array arch",
                    "ratio"], rows)
    print()
    growth = []
    for label in ("rqinit", "arch"):
        per_node = {attr: slope({n: med(label, n, attr) for n in sizes})
                    for attr in ("up", "controller_mib", "node_mib", "array")}
        growth.append([label] + [("n/a" if v is None else f"{v:+.3f}") for v in per_node.values()])
    cb.print_table(["growth per added node", "up->idle (s)", "controller (MiB)", "per node (MiB)",
                    "array (s)"], growth)
    print()
    goals = []
    diffs = [(n, med("rqinit", n, "node_mib"), med("arch", n, "node_mib")) for n in sizes]
    ok = None if any(a is None or b is None for _, a, b in diffs) else all(a - b <= 2.0 for _, a, b in diffs)
    goals.append(["per-node memory within 2 MiB of the baseline at every size",
                  ", ".join(f"{n}: {'n/a' if a is None or b is None else f'{a - b:+.2f}'}"
                            for n, a, b in diffs), cb.verdict(ok)])
    first, last = sizes[0], sizes[-1]
    t_first, t_last = med("rqinit", first, "up"), med("rqinit", last, "up")
    linear = None if t_first is None or t_last is None else t_last / t_first <= last / first
    goals.append([f"up->idle grows no worse than linearly ({first} -> {last} nodes)",
                  "n/a" if linear is None else f"x{t_last / t_first:.2f} for x{last / first:g} nodes",
                  cb.verdict(linear)])
    base_last = med("arch", last, "up")
    within = None if t_last is None or base_last is None else t_last <= 1.5 * base_last
    goals.append([f"up->idle within 1.5x of the baseline's at {last} nodes",
                  cb.ratio(t_last, base_last), cb.verdict(within)])
    cb.print_table(["goal", "rqinit", "result"], goals)
    return [g[0] for g in goals if g[2] != "PASS"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1, help="runs per cluster and size (default 1)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="classical node counts, comma-separated (default 4,8,16,32)")
    parser.add_argument("--array-tasks", type=int, default=ARRAY_TASKS,
                        help=f"tasks of the job array (default {ARRAY_TASKS}; fewer for a smoke run)")
    parser.add_argument("--arm64", action="store_true",
                        help="also the minimal arm64 cluster under qemu beside amd64's")
    parser.add_argument("--arm64-only", action="store_true",
                        help="only the minimal arm64 cluster beside amd64's, no growing")
    parser.add_argument("--skip-build", action="store_true", help="build no image; both must exist")
    args = parser.parse_args(argv)
    if args.arm64_only:
        args.arm64, args.sizes = True, ""
        return args
    try:
        args.sizes = sorted({int(s) for s in args.sizes.split(",")})
    except ValueError:
        parser.error(f"--sizes {args.sizes}: give node counts such as 4,8,16,32")
    if args.runs < 1 or args.array_tasks < 1 or not args.sizes or args.sizes[0] < 2 or args.sizes[-1] > 60:
        parser.error("--runs must be at least 1 and each size from 2 to 60 (slurm.conf: MaxNodeCount=64)")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, cb.interrupted)
    bases = {"rqinit": cb.Cluster("rqinit", "rqscale", cb.REPO / "stack" / "compose.yml",
                                  cb.RQINIT_IMAGE, "RQINIT_IMAGE"),
             "arch": cb.Cluster("arch", "rqscale-base", cb.BASELINE_DIR / "compose-arch.yml",
                                cb.BASELINE_IMAGE, "RQBASE_IMAGE")}
    results = {label: {n: [] for n in args.sizes} for label in bases}
    arm64 = None
    errors, touched = [], []
    began = time.monotonic()
    try:
        cb.check_secrets()
        cb.ensure_images(args.skip_build)
        turn = 0
        for number in range(args.runs):
            for n in args.sizes:
                order = ["rqinit", "arch"] if turn % 2 == 0 else ["arch", "rqinit"]
                turn += 1
                for label in order:
                    cb.log(f"run {number + 1}/{args.runs}: {label}, {n} classical nodes")
                    cluster = at_size(bases[label], n)
                    touched.append(cluster)
                    sample = measure(cluster, n, args.array_tasks)
                    results[label][n].append(sample)
                    errors += sample.errors
        if args.arm64:
            arm64 = measure_arm64(args.runs)
    except cb.BenchError as exc:
        cb.log(str(exc))
        errors.append(str(exc))
    except KeyboardInterrupt:
        cb.log("interrupted: tearing down the bench's projects; reporting what was measured")
        errors.append("interrupted")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for cluster in touched[-2:]:
            cluster.wipe()

    missed = []
    if args.sizes:
        print(f"rqinit cluster vs the architecture-style shell baseline, growing: {args.runs} run(s) "
              f"per size, medians (min–max); {time.monotonic() - began:.0f} s in all; memory is "
              f"anonymous memory (cgroup) at idle\n")
        missed = report(results, args.sizes, args.array_tasks)
        print()
    if arm64 is not None:
        print(f"the minimal cluster, arm64 image under qemu and amd64 image: {args.runs} run(s), "
              f"medians (min–max)\n")
        a, b = cb.median_of(arm64["arm64"]), cb.median_of(arm64["amd64"])
        cb.print_table(["minimal cluster up -> c1 idle", "arm64 (qemu)", "amd64", "ratio"],
                       [["mysql slurmdbd slurmctld c1 login", cb.spread(arm64["arm64"], "s", 1),
                         cb.spread(arm64["amd64"], "s", 1), cb.ratio(a, b)]])
    if missed:
        print("\nmissed or not judged: " + "; ".join(missed))
    return cb.exit_status(errors)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
