#!/usr/bin/python3
"""The cluster figures of the image issue: rqinit's Compose cluster side by side with a baseline
cluster run the conventional way (bench/baseline/: the same Debian packages, a bash entrypoint
that starts munged in the background, polls its dependency with sleep loops and execs the
daemon as PID 1), in one run.

Figures, each for both clusters, medians over --runs runs:
  1. start      `up -d` -> c1, c2, q1 idle in sinfo asked on login; fresh volumes, and again
                with volumes kept (down without -v, then up)
  2. stop       `compose stop`, and every container's exit code
  3. recovery   kill -9 of slurmd, then of munged, in c1 -> `srun -w c1 -p normal true` from
                login succeeds again (capped: a baseline munged is restarted by nobody)
  4. zombies    per container after N jobs (srun -N2 -p normal true as rasqberry from login)
  5. memory     anonymous memory (cgroup total_rss / anon) per container at idle
  6. image      docker image inspect Size

Each run measures one cluster, tears it down with its volumes, then does the same for the other;
the order of the two alternates from run to run so that drift on the machine hits both alike.
Within a run: fresh start, memory, jobs and zombies, stop, kept-volume start (plus a check of
the node addresses slurmctld holds then), and the faults on a fresh cluster of their own. A
fresh start's timeline (when each container started and became healthy, from Docker's events)
is printed to show where the time goes. Both clusters run on an internal network
(bench/isolated-network.yml) and only the Compose projects rqbench and rqbase are touched.

A MISS is a result, not an error. Exit status: 0 when every figure was measured for both
clusters, 1 when something could not be measured, 2 on a bad command line. Progress goes to
stderr, the report to stdout.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASELINE_DIR = REPO / "bench" / "baseline"
ISOLATION = REPO / "bench" / "isolated-network.yml"  # given to both clusters; its comment says why
RQINIT_IMAGE = "rqinit/rasqberry:latest"
BASELINE_IMAGE = "rqbase/slurm:latest"

SERVICES = ("mysql", "slurmdbd", "slurmctld", "c1", "c2", "q1", "login")
NODES = ("c1", "c2", "q1")
JOB_USER = "rasqberry"  # uid 1000 in both images
JOB_DIR = "/home/rasqberry"
MIB = 1024 * 1024

UP_TIMEOUT_S = 300  # `up -d` (it waits for service_healthy) plus the wait for idle nodes
STOP_TIMEOUT_S = 180
DOWN_TIMEOUT_S = 180
RECOVERY_CAP_S = 60  # a baseline munged is never restarted: stop waiting here
SRUN_ATTEMPT_S = 4  # one recovery attempt; a job on a healthy node takes well under 1 s
JOB_TIMEOUT_S = 60
POLL_S = 0.2
SETTLE_S = 5  # after the nodes are idle, before memory is read: start-up work has finished
MEMORY_SAMPLES = 5  # health-check processes come and go; the median of a few reads ignores them


class BenchError(Exception):
    """A figure could not be measured (a cluster did not come up, a command hung, ...)."""


def log(message: str) -> None:
    print(f"cluster_bench: {message}", file=sys.stderr, flush=True)


def run(argv: list[str], timeout: float, env: dict | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    """Runs a host command with a timeout; a hang or (with check) a failure is a BenchError."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{' '.join(argv[:6])} ... did not finish within {timeout:.0f} s") from exc
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise BenchError(f"{' '.join(argv[:6])} ... exited {result.returncode}: {' | '.join(detail)}")
    return result


def compose_command() -> list[str]:
    """Debian's docker-compose 1.29 where it exists (it does here), else the v2 plugin."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
    if probe.returncode == 0:
        return ["docker", "compose"]
    raise BenchError("neither docker-compose nor the docker compose plugin is installed")


# ---------------------------------------------------------------- one Compose cluster


@dataclass
class Cluster:
    label: str  # "rqinit" or "baseline"
    project: str  # the only Compose project this harness ever touches for this cluster
    compose_file: Path
    image: str
    image_variable: str  # the compose file's ${...:-default} for the image
    _ids: dict = field(default_factory=dict)

    def env(self) -> dict:
        env = dict(os.environ)
        # -p names the project; these would otherwise point compose at someone else's.
        for name in ("COMPOSE_PROJECT_NAME", "COMPOSE_FILE", "COMPOSE_PROFILES"):
            env.pop(name, None)
        env[self.image_variable] = self.image
        return env

    def compose(self, *args: str, timeout: float, check: bool = True):
        self._ids.clear()  # containers may be new after any compose command
        argv = compose_command() + ["-p", self.project, "-f", str(self.compose_file),
                                    "-f", str(ISOLATION), *args]
        return run(argv, timeout, env=self.env(), check=check)

    def container(self, service: str) -> str:
        """The container's id, found by Compose's labels (works for v1 and v2 names alike)."""
        if service not in self._ids:
            out = run(["docker", "ps", "-aq", "--no-trunc",
                       "--filter", f"label=com.docker.compose.project={self.project}",
                       "--filter", f"label=com.docker.compose.service={service}"], 30).stdout
            ids = out.split()
            if len(ids) != 1:
                raise BenchError(f"{self.label}: expected one container of {service}, found {len(ids)}")
            self._ids[service] = ids[0]
        return self._ids[service]

    def exec(self, service: str, argv: list[str], timeout: float, user: str | None = None,
             workdir: str | None = None, check: bool = False) -> subprocess.CompletedProcess:
        options = []
        if user:
            options += ["-u", user]
        if workdir:
            options += ["-w", workdir]
        return run(["docker", "exec", *options, self.container(service), *argv], timeout,
                   check=check)

    def inspect(self, service: str, template: str) -> str:
        return run(["docker", "inspect", "-f", template, self.container(service)], 30).stdout.strip()

    def as_job_user(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess:
        """A command of the demonstration user on login. `timeout` runs inside the container
        so that a hung srun ends there too, not only the docker exec client here."""
        inner = ["timeout", "-k", "2", str(timeout), *argv]
        return self.exec("login", inner, timeout + 10, user=JOB_USER, workdir=JOB_DIR)

    def wipe(self) -> None:
        """down -v: containers, network and volumes of this project only. Not a figure, so a
        short grace period: the baseline's `sleep infinity` would otherwise hold it up 10 s."""
        self.compose("down", "-v", "--remove-orphans", "-t", "3", timeout=DOWN_TIMEOUT_S,
                     check=False)


def image_size(image: str) -> int:
    return int(run(["docker", "image", "inspect", "-f", "{{.Size}}", image], 30).stdout)


def image_present(image: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0


# ---------------------------------------------------------------- processes seen from the host


def container_processes(cluster: Cluster, service: str, name: str) -> list[int]:
    """Host pids of the processes called `name` in the container. They are found through the
    pid namespace of the container's PID 1: from the host even a baseline daemon that is PID 1
    can be killed with SIGKILL (from inside its own namespace it could not)."""
    pid1 = int(cluster.inspect(service, "{{.State.Pid}}"))
    if pid1 == 0:
        raise BenchError(f"{cluster.label}: {service} is not running")
    namespace = os.readlink(f"/proc/{pid1}/ns/pid")
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != namespace:
                continue
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        state = stat[stat.rindex(")") + 2]
        if comm == name and state != "Z":
            found.append(int(entry))
    return found


def cgroup_memory_stat(pid: int) -> Path:
    """memory.stat of the cgroup the process is in: v1 (memory controller) or v2 (unified)."""
    with open(f"/proc/{pid}/cgroup") as f:
        lines = f.read().splitlines()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return Path("/sys/fs/cgroup/memory") / path.lstrip("/") / "memory.stat"
    for line in lines:
        hierarchy, controllers, path = line.split(":", 2)
        if hierarchy == "0" and controllers == "":
            return Path("/sys/fs/cgroup") / path.lstrip("/") / "memory.stat"
    raise BenchError(f"no memory cgroup for pid {pid}")


def anonymous_bytes(stat_file: Path) -> int:
    """total_rss (v1, the cgroup and its children) or anon (v2)."""
    values = {}
    with open(stat_file) as f:
        for line in f:
            key, value = line.split()
            values[key] = int(value)
    for key in ("total_rss", "anon"):
        if key in values:
            return values[key]
    raise BenchError(f"{stat_file} has neither total_rss nor anon")


# ---------------------------------------------------------------- the figures


def node_states(cluster: Cluster) -> dict[str, str] | None:
    """sinfo as login sees it: {node: state}; None while login cannot answer."""
    result = cluster.exec("login", ["sinfo", "-N", "-h", "-o", "%N %t"], 10)
    if result.returncode != 0:
        return None
    return dict(line.split(None, 1) for line in result.stdout.splitlines() if " " in line)


def wait_all_idle(cluster: Cluster, started: float) -> float:
    """Seconds from `started` until sinfo on login lists c1, c2 and q1 as idle."""
    log(f"{cluster.label}: waiting up to {UP_TIMEOUT_S} s for {', '.join(NODES)} idle in sinfo on login")
    last = None
    while time.monotonic() - started < UP_TIMEOUT_S:
        try:
            last = node_states(cluster)
        except BenchError:
            last = None  # login not created yet, or docker exec hung: ask again
        if last and all(last.get(node) == "idle" for node in NODES):
            return time.monotonic() - started
        time.sleep(POLL_S)
    raise BenchError(f"{cluster.label}: nodes not idle after {UP_TIMEOUT_S} s; last sinfo: {last}")


class EventRecorder:
    """Container starts and health changes of one project while a cluster comes up, streamed
    from `docker events` as they happen (the daemon keeps too few past events to ask later:
    every health check adds three)."""

    def __init__(self, cluster: Cluster):
        self.proc = subprocess.Popen(
            ["docker", "events", "--filter", f"label=com.docker.compose.project={cluster.project}",
             "--filter", "event=start", "--filter", "event=health_status",
             "--format", '{{.TimeNano}} {{index .Actor.Attributes "com.docker.compose.service"}} {{.Action}}'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)

    def timeline(self, since_wall: float) -> dict[str, tuple]:
        """{service: (seconds to first start, seconds to first healthy)} after since_wall."""
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        first = {}
        for line in out.splitlines():
            stamp, service, action = line.split(" ", 2)
            kind = "start" if action == "start" else "healthy" if action.endswith(": healthy") else None
            if kind and (service, kind) not in first:
                first[(service, kind)] = int(stamp) / 1e9 - since_wall
        return {s: (first.get((s, "start")), first.get((s, "healthy"))) for s in SERVICES}


def measure_start(cluster: Cluster) -> tuple[float, dict]:
    """`up -d` until every node is idle, and when each container started and became healthy;
    the caller decides whether the volumes are fresh."""
    log(f"{cluster.label}: up -d")
    events = EventRecorder(cluster)
    time.sleep(0.2)  # let `docker events` subscribe before the first container starts
    started, started_wall = time.monotonic(), time.time()
    try:
        cluster.compose("up", "-d", timeout=UP_TIMEOUT_S)
        elapsed = wait_all_idle(cluster, started)
    finally:
        timeline = events.timeline(started_wall)
    log(f"{cluster.label}: all nodes idle after {elapsed:.1f} s")
    return elapsed, timeline


def stale_node_addresses(cluster: Cluster) -> list[str]:
    """Nodes whose NodeAddr in slurmctld is neither their name (resolved through Docker's DNS
    on every connection) nor their container's current address: jobs sent there go astray."""
    stale = []
    for node in NODES:
        shown = cluster.exec("slurmctld", ["scontrol", "-o", "show", "node", node], 15, check=True)
        match = re.search(r"NodeAddr=(\S+)", shown.stdout)
        address = match.group(1) if match else "?"
        current = cluster.inspect(node, "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}").split()
        if address != node and address not in current:
            stale.append(f"{node} at {address} (is {'/'.join(current)})")
    return stale


def measure_memory(cluster: Cluster) -> dict[str, float]:
    """MiB of anonymous memory per container, the median of a few reads."""
    log(f"{cluster.label}: letting the idle cluster settle for {SETTLE_S} s, then reading memory")
    time.sleep(SETTLE_S)
    files = {s: cgroup_memory_stat(int(cluster.inspect(s, "{{.State.Pid}}"))) for s in SERVICES}
    samples = {s: [] for s in SERVICES}
    for _ in range(MEMORY_SAMPLES):
        for service, stat_file in files.items():
            samples[service].append(anonymous_bytes(stat_file) / MIB)
        time.sleep(0.5)
    return {s: statistics.median(v) for s, v in samples.items()}


def run_jobs(cluster: Cluster, jobs: int) -> None:
    """`jobs` two-node jobs, one after another, as the demonstration user from login."""
    log(f"{cluster.label}: running {jobs} jobs (srun -N2 -p normal true as {JOB_USER} on login)")
    failures = []
    for number in range(jobs):
        result = cluster.as_job_user(["srun", "-N2", "-p", "normal", "true"], JOB_TIMEOUT_S)
        if result.returncode != 0:
            failures.append(f"job {number + 1}: exit {result.returncode}: {result.stderr.strip()[-200:]}")
    if failures:
        raise BenchError(f"{cluster.label}: {len(failures)} of {jobs} jobs failed; first: {failures[0]}")


def count_zombies(cluster: Cluster) -> dict[str, int]:
    # Give the last job's processes a moment to finish exiting, so they are not counted
    # as zombies merely because nobody has reaped them *yet*.
    time.sleep(1)
    counts = {}
    for service in SERVICES:
        result = cluster.exec(service, ["ps", "-eo", "stat="], 15, check=True)
        counts[service] = sum(1 for stat in result.stdout.split() if stat.startswith("Z"))
    return counts


def measure_stop(cluster: Cluster) -> tuple[float, dict[str, int]]:
    """`compose stop` (each container gets its compose file's grace period) and exit codes."""
    log(f"{cluster.label}: compose stop")
    started = time.monotonic()
    cluster.compose("stop", timeout=STOP_TIMEOUT_S)
    elapsed = time.monotonic() - started
    codes = {s: int(cluster.inspect(s, "{{.State.ExitCode}}")) for s in SERVICES}
    log(f"{cluster.label}: stopped in {elapsed:.1f} s; exit codes {codes}")
    return elapsed, codes


def job_on_c1(cluster: Cluster, since: float | None = None) -> bool:
    """One short job on c1. With `since`, a failed attempt is logged with its time, so that
    a recovery time can be read against how long each failed attempt itself took."""
    result = cluster.as_job_user(["srun", "-w", "c1", "-p", "normal", "true"], SRUN_ATTEMPT_S)
    if result.returncode != 0 and since is not None:
        last = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
        log(f"{cluster.label}:   +{time.monotonic() - since:.2f} s: srun exit {result.returncode}: {last[:120]}")
    return result.returncode == 0


def measure_recovery(cluster: Cluster, daemon: str) -> float | None:
    """kill -9 of `daemon` in c1, then seconds until a job runs on c1 again; None past the cap."""
    if not job_on_c1(cluster):
        raise BenchError(f"{cluster.label}: c1 does not take a job even before {daemon} is killed")
    victims = container_processes(cluster, "c1", daemon)
    if not victims:
        raise BenchError(f"{cluster.label}: no {daemon} process in c1")
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    log(f"{cluster.label}: killed {daemon} in c1 (host pid {victims}); waiting up to "
        f"{RECOVERY_CAP_S} s for srun -w c1 -p normal true to succeed")
    while time.monotonic() - killed < RECOVERY_CAP_S:
        if job_on_c1(cluster, since=killed):
            elapsed = time.monotonic() - killed
            log(f"{cluster.label}: c1 took a job {elapsed:.2f} s after the kill of {daemon}")
            return elapsed
        time.sleep(POLL_S)
    log(f"{cluster.label}: c1 took no job within {RECOVERY_CAP_S} s of the kill of {daemon}")
    return None


# ---------------------------------------------------------------- one run of one cluster


@dataclass
class RunResult:
    start_fresh: float | None = None
    start_kept: float | None = None
    timeline: dict = field(default_factory=dict)  # of the fresh start
    stale_after_kept: list | None = None
    stop: float | None = None
    exit_codes: dict = field(default_factory=dict)
    recovery: dict = field(default_factory=dict)  # daemon -> seconds, or None past the cap
    zombies: dict = field(default_factory=dict)
    memory: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


def bench_cluster(cluster: Cluster, jobs: int) -> RunResult:
    """One pass over every figure, in an order where no figure disturbs the next: stop is
    timed on a cluster that has run jobs but had no fault, and the faults are made on a fresh
    cluster of their own (after a kept-volume start the baseline's nodes may sit at stale
    addresses, where a job would fail for another reason than the fault)."""
    result = RunResult()
    try:
        cluster.wipe()
        result.start_fresh, result.timeline = measure_start(cluster)
        result.memory = measure_memory(cluster)
        run_jobs(cluster, jobs)
        result.zombies = count_zombies(cluster)
        result.stop, result.exit_codes = measure_stop(cluster)
        log(f"{cluster.label}: down (volumes kept)")
        cluster.compose("down", timeout=DOWN_TIMEOUT_S)
        result.start_kept, _ = measure_start(cluster)
        result.stale_after_kept = stale_node_addresses(cluster)
        log(f"{cluster.label}: down -v, and a fresh cluster for the faults")
        cluster.wipe()
        measure_start(cluster)
        for daemon in ("slurmd", "munged"):
            result.recovery[daemon] = measure_recovery(cluster, daemon)
    except BenchError as exc:
        log(f"{cluster.label}: {exc}")
        result.errors.append(str(exc))
    finally:
        log(f"{cluster.label}: down -v")
        cluster.wipe()
    return result


# ---------------------------------------------------------------- images


def newest_mtime(directory: Path) -> float:
    return max(p.stat().st_mtime for p in directory.iterdir() if p.is_file())


def image_created(image: str) -> float:
    """The image's creation time as a Unix timestamp. Docker prints RFC 3339 in UTC with
    nanoseconds, which fromisoformat does not take: the whole seconds are precise enough."""
    text = run(["docker", "image", "inspect", "-f", "{{.Created}}", image], 30).stdout.strip()
    return datetime.fromisoformat(text[:19] + "+00:00").timestamp()


def ensure_images(skip_build: bool) -> None:
    """rqinit's image is built only when missing (another engineer's cluster uses that tag);
    the baseline's also when bench/baseline/ changed after it was built (cheap: cached)."""
    if skip_build:
        for image in (RQINIT_IMAGE, BASELINE_IMAGE):
            if not image_present(image):
                raise BenchError(f"{image} is missing and --skip-build was given")
        return
    if not image_present(RQINIT_IMAGE):
        log(f"building {RQINIT_IMAGE} with images/build (several minutes)")
        run(["bash", str(REPO / "images" / "build"), RQINIT_IMAGE], 3600)
    if not image_present(BASELINE_IMAGE) or newest_mtime(BASELINE_DIR) > image_created(BASELINE_IMAGE):
        log(f"building {BASELINE_IMAGE} from bench/baseline/")
        run(["docker", "build", "-q", "-t", BASELINE_IMAGE, str(BASELINE_DIR)], 3600)


def check_secrets() -> None:
    """Both compose files read the secrets stack/cluster makes; this harness only reads them."""
    for name in ("munge.key", "db_password"):
        path = REPO / ".secrets" / name
        if not path.is_file() or path.stat().st_size == 0:
            raise BenchError(f"{path} is missing: run `bash stack/cluster up` once (it makes the secrets)")


# ---------------------------------------------------------------- the report


def median_of(values: list) -> float | None:
    measured = [v for v in values if v is not None]
    return statistics.median(measured) if measured else None


def fmt_seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def fmt_ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs == 0:
        return "-"
    return f"{ours / theirs:.2f}x"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def exit_code_summary(runs: list[RunResult]) -> tuple[str, bool | None]:
    """'all 0' or the non-zero codes with how many runs showed them."""
    measured = [r.exit_codes for r in runs if r.exit_codes]
    if not measured:
        return "n/a", None
    bad = {}
    for codes in measured:
        for service, code in codes.items():
            if code != 0:
                bad.setdefault(f"{service}={code}", 0)
                bad[f"{service}={code}"] += 1
    if not bad:
        return "all 0", True
    text = " ".join(f"{k}({n}/{len(measured)})" if len(measured) > 1 else k for k, n in bad.items())
    return text, False


def stale_summary(runs: list[RunResult]) -> tuple[str, bool | None]:
    """'current', or the nodes slurmctld still knows at an old address (any run)."""
    checked = [r.stale_after_kept for r in runs if r.stale_after_kept is not None]
    if not checked:
        return "n/a", None
    stale = sorted({entry.split(" at ")[0] for found in checked for entry in found})
    return ("current", True) if not stale else ("stale: " + " ".join(stale), False)


def recovery_text(values: list, cap: float) -> tuple[str, float | None, bool]:
    """Median seconds; a run that never recovered counts as past the cap."""
    if not values:
        return "n/a", None, False
    lost = sum(1 for v in values if v is None)
    if lost * 2 >= len(values) and lost:
        return f"not recovered within {cap:.0f} s", None, True
    return fmt_seconds(median_of(values)) + (f" ({lost} lost)" if lost else ""), median_of(values), False


def report_rows(ours: list[RunResult], base: list[RunResult], jobs: int,
                sizes: dict[str, int]) -> list[tuple]:
    rows = []

    def timed(figure, attr, factor, goal):
        a, b = median_of([getattr(r, attr) for r in ours]), median_of([getattr(r, attr) for r in base])
        ok = None if a is None or b is None else a <= factor * b
        rows.append((figure, fmt_seconds(a), fmt_seconds(b), fmt_ratio(a, b), goal, verdict(ok)))

    timed("1a start, fresh volumes", "start_fresh", 0.5, "<= 0.5x")
    timed("1b start, volumes kept", "start_kept", 0.5, "<= 0.5x")
    a, b = stale_summary(ours), stale_summary(base)
    rows.append(("1c node addresses after 1b", a[0], b[0], "-", "current (check)", verdict(a[1])))
    timed("2a compose stop", "stop", 0.3, "<= 0.3x")
    ours_codes, ours_ok = exit_code_summary(ours)
    base_codes, _ = exit_code_summary(base)
    rows.append(("2b stop exit codes", ours_codes, base_codes, "-", "all 0", verdict(ours_ok)))

    for daemon, goal in (("slurmd", "<= baseline"), ("munged", "< 2 s")):
        a_text, a, a_lost = recovery_text([r.recovery.get(daemon) for r in ours if r.recovery], RECOVERY_CAP_S)
        b_text, b, b_lost = recovery_text([r.recovery.get(daemon) for r in base if r.recovery], RECOVERY_CAP_S)
        if a_text == "n/a" or b_text == "n/a":
            ok = None
        elif daemon == "munged":
            ok = a is not None and a < 2.0
        else:  # no slower than the baseline; a baseline that never recovers is beaten by any time
            ok = a is not None and (b_lost or a <= b)
        rows.append((f"3 kill -9 {daemon} -> job on c1", a_text, b_text, fmt_ratio(a, b), goal, verdict(ok)))

    for service in SERVICES:
        a = median_of([r.zombies.get(service) for r in ours if r.zombies])
        b = median_of([r.zombies.get(service) for r in base if r.zombies])
        ok = None if a is None else a == 0
        rows.append((f"4 zombies after {jobs} jobs: {service}", "n/a" if a is None else f"{a:g}",
                     "n/a" if b is None else f"{b:g}", "-", "0", verdict(ok)))

    for service in SERVICES:
        a = median_of([r.memory.get(service) for r in ours if r.memory])
        b = median_of([r.memory.get(service) for r in base if r.memory])
        ok = None if a is None or b is None else a - b <= 2.0
        rows.append((f"5 anon memory idle: {service}", "n/a" if a is None else f"{a:.1f} MiB",
                     "n/a" if b is None else f"{b:.1f} MiB", fmt_ratio(a, b), "<= base+2 MiB",
                     verdict(ok)))

    a, b = sizes.get("rqinit"), sizes.get("baseline")
    ok = None if a is None or b is None else a <= b
    rows.append(("6 image size", "n/a" if a is None else f"{a / 1e6:.1f} MB",
                 "n/a" if b is None else f"{b / 1e6:.1f} MB", fmt_ratio(a, b), "<= baseline",
                 verdict(ok)))
    return rows


def print_table(rows: list[tuple]) -> None:
    header = ("figure", "rqinit", "baseline", "ratio", "goal", "result")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())


def print_timeline(ours: list[RunResult], base: list[RunResult]) -> None:
    """Where a fresh start spends its time: when each container started and became healthy
    (seconds after `up -d`, medians over runs), from Docker's own events."""
    def cell(runs, service, index):
        value = median_of([r.timeline.get(service, (None, None))[index] for r in runs if r.timeline])
        return "-" if value is None else f"{value:5.1f}"
    print("\nfresh start timeline, s after up -d (started / healthy; '-': not yet healthy when all"
          " nodes were idle):")
    print(f"  {'service':<10} {'rqinit':>13}   {'baseline':>13}")
    for service in SERVICES:
        print(f"  {service:<10} {cell(ours, service, 0)} / {cell(ours, service, 1)}   "
              f"{cell(base, service, 0)} / {cell(base, service, 1)}")


def print_per_run(ours: list[RunResult], base: list[RunResult]) -> None:
    """Every run's own timings, so that a median can be checked against its spread."""
    print("\nper run (rqinit | baseline):")
    for label, attr in (("start fresh", "start_fresh"), ("start kept", "start_kept"), ("stop", "stop")):
        a = ", ".join(fmt_seconds(getattr(r, attr)) for r in ours)
        b = ", ".join(fmt_seconds(getattr(r, attr)) for r in base)
        print(f"  {label:<14} {a} | {b}")
    for daemon in ("slurmd", "munged"):
        def one(r):
            if daemon not in r.recovery:
                return "n/a"
            v = r.recovery[daemon]
            return f">{RECOVERY_CAP_S} s" if v is None else fmt_seconds(v)
        print(f"  kill {daemon:<9} {', '.join(one(r) for r in ours)} | {', '.join(one(r) for r in base)}")


# ---------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per cluster (default 3)")
    parser.add_argument("--jobs", type=int, default=50, help="jobs before counting zombies (default 50)")
    parser.add_argument("--quick", action="store_true", help="1 run and 10 jobs")
    parser.add_argument("--skip-build", action="store_true",
                        help="build no image; both must exist already")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.jobs = 1, 10
    if args.runs < 1 or args.jobs < 1:
        parser.error("--runs and --jobs must be at least 1")
    return args


def interrupted(signum, _frame):
    # SIGTERM becomes the same unwinding as Ctrl-C, so the finally clauses tear our projects down.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupted)
    clusters = [
        Cluster("rqinit", "rqbench", REPO / "stack" / "compose.yml", RQINIT_IMAGE, "RQINIT_IMAGE"),
        Cluster("baseline", "rqbase", BASELINE_DIR / "compose.yml", BASELINE_IMAGE, "RQBASE_IMAGE"),
    ]
    results = {c.label: [] for c in clusters}
    errors = []
    began = time.monotonic()
    try:
        check_secrets()
        ensure_images(args.skip_build)
        sizes = {c.label: image_size(c.image) for c in clusters}
        for number in range(args.runs):
            order = clusters if number % 2 == 0 else clusters[::-1]
            for cluster in order:
                log(f"run {number + 1}/{args.runs}: {cluster.label} ({cluster.project})")
                outcome = bench_cluster(cluster, args.jobs)
                results[cluster.label].append(outcome)
                errors += [f"{cluster.label}, run {number + 1}: {e}" for e in outcome.errors]
    except BenchError as exc:
        log(str(exc))
        errors.append(str(exc))
        sizes = {}
    except KeyboardInterrupt:
        log("interrupted: tearing down rqbench and rqbase")
        return 130
    finally:
        # Also after Ctrl-C, SIGTERM or a crash in the harness itself; a second signal must
        # not cut the tear-down short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for cluster in clusters:
            cluster.wipe()

    print(f"rqinit cluster vs shell-entrypoint baseline: {args.runs} run(s), {args.jobs} jobs, "
          f"medians; {time.monotonic() - began:.0f} s in all")
    print(f"images: {RQINIT_IMAGE} | {BASELINE_IMAGE}\n")
    print_table(report_rows(results["rqinit"], results["baseline"], args.jobs, sizes))
    print_timeline(results["rqinit"], results["baseline"])
    print_per_run(results["rqinit"], results["baseline"])
    stale = [f"{label}, run {n + 1}: {entry}" for label in results
             for n, r in enumerate(results[label]) for entry in (r.stale_after_kept or [])]
    if stale:
        print("\nnodes at a stale address after the kept-volume start (no job is sent there):")
        for line in stale:
            print(f"  {line}")
    if errors:
        print("\nnot measured:")
        for error in errors:
            print(f"  {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
