#!/usr/bin/python3
"""The cluster figures: rqinit's Compose cluster side by side with three baselines, in one run.

Baselines (bench/baseline/), each with the same image contents as rqinit's (their Dockerfile
is derived from images/Dockerfile at build time: the same packages, the same docs/man/locale
trim, the same users and files, everything but rqinit), the same volumes, secrets, restart
policy and stop_grace_period, and the same depends_on style as stack/compose.yml unless the
baseline's style is health gating:
  arch      the architecture document's style: plain start order, bash entrypoint (copy the
            munge key, chown, munged in the background, `sleep 2` polling, exec the daemon)
  giov      giovtorres/slurm-docker-cluster's style: the same entrypoint shape, tiers gated by
            `depends_on: condition: service_healthy` with that project's health checks (10 s)
  careful   the best a careful shell user can do: `init: true`, 0.2 s polling, SIGTERM
            forwarded, the container exits (and Docker restarts it) when a daemon dies
A fourth column, "critical path", is what no init can beat, from the rqinit cluster's own
logs: Docker's time to start the first container, plus each daemon's own time from its process
start to its ready line (MariaDB "ready for connections", slurmdbd "started", slurmctld
"Running as primary controller", the slowest slurmd's "CPUs=" line, printed once it has
registered), along mysql -> slurmdbd -> slurmctld -> slurmd; on fresh volumes also the
MariaDB datadir initialisation.

Figures, per cluster and run (medians and min-max over --runs):
  1. start      `up -d` -> c1, c2, q1 idle in sinfo asked on login; fresh volumes, and again
                with volumes kept (down without -v, then up)
  2. stop       `compose stop`: in all, and per container (Docker's kill -> die events), with
                every container's exit code
  3. recovery   kill -9 of slurmd, then of munged, in c1 -> `srun -w c1 -p normal true` from
                login succeeds again (capped)
  4. zombies    per container after N jobs (srun -N2 -p normal true as rasqberry from login)
  5. memory     anonymous memory (cgroup total_rss / anon) per container at idle
  6. image      docker image inspect Size

Each run measures every cluster once, in an order rotated from run to run so that load on this
shared machine hits all alike. Within a run: fresh start, memory, jobs and zombies, the faults,
stop, then the kept-volume start and whether any node is left at a stale address. Only the
Compose projects rqbench, rqbase-arch, rqbase-giov and rqbase-careful are touched, all on an
internal network (bench/isolated-network.yml).

A MISS is a result, not an error. Exit status: 0 when every figure was measured for every
cluster, 1 when something could not be measured, 2 on a bad command line. Progress goes to
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
RQINIT_IMAGE = "rqbench/rqinit:latest"  # built from this tree by images/build; not the cluster's tag
BASELINE_IMAGE = "rqbench/baseline:latest"  # one image for the three baselines
BASELINES = ("arch", "giov", "careful")

SERVICES = ("mysql", "slurmdbd", "slurmctld", "c1", "c2", "q1", "login")
NODES = ("c1", "c2", "q1")
JOB_USER = "rasqberry"  # uid 1000 in both images
JOB_DIR = "/home/rasqberry"
MIB = 1024 * 1024

UP_TIMEOUT_S = 300  # `up -d` (it waits for service_healthy) plus the wait for idle nodes
STOP_TIMEOUT_S = 180
DOWN_TIMEOUT_S = 180
RECOVERY_CAP_S = 30  # a baseline munged may never be restarted: stop waiting here
SRUN_ATTEMPT_S = 4  # one recovery attempt; a job on a healthy node takes well under 1 s
JOB_TIMEOUT_S = 60
POLL_S = 0.2
SETTLE_S = 3  # after the nodes are idle, before memory is read: start-up work has finished
MEMORY_SAMPLES = 3  # health-check processes come and go; the median of a few reads ignores them


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
    label: str  # "rqinit" or a baseline's name
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
        short grace period: a baseline's `sleep infinity` would otherwise hold it up 20 s."""
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


def wait_all_idle(cluster: Cluster, started: float, nodes=NODES, timeout: float = UP_TIMEOUT_S) -> float:
    """Seconds from `started` until sinfo on login lists every one of `nodes` as idle."""
    log(f"{cluster.label}: waiting up to {timeout:.0f} s for {len(nodes)} node(s) idle in sinfo on login")
    last = None
    while time.monotonic() - started < timeout:
        try:
            last = node_states(cluster)
        except BenchError:
            last = None  # login not created yet, or docker exec hung: ask again
        if last and all(last.get(node) == "idle" for node in nodes):
            return time.monotonic() - started
        time.sleep(POLL_S)
    idle = sum(1 for node in nodes if last and last.get(node) == "idle")
    raise BenchError(f"{cluster.label}: {idle} of {len(nodes)} nodes idle after {timeout:.0f} s")


class EventRecorder:
    """Container starts and health changes of one project while a cluster comes up, streamed
    from `docker events` as they happen (the daemon keeps too few past events to ask later:
    every health check adds three)."""

    def __init__(self, cluster: Cluster, events=("start", "health_status")):
        self.proc = subprocess.Popen(
            ["docker", "events", "--filter", f"label=com.docker.compose.project={cluster.project}",
             *(a for e in events for a in ("--filter", f"event={e}")),
             "--format", '{{.TimeNano}} {{index .Actor.Attributes "com.docker.compose.service"}} {{.Action}}'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)

    def lines(self) -> list[str]:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        return out.splitlines()

    def timeline(self, since_wall: float) -> dict[str, tuple]:
        """{service: (seconds to first start, seconds to first healthy)} after since_wall."""
        first = {}
        for line in self.lines():
            stamp, service, action = line.split(" ", 2)
            kind = "start" if action == "start" else "healthy" if action.endswith(": healthy") else None
            if kind and (service, kind) not in first:
                first[(service, kind)] = int(stamp) / 1e9 - since_wall
        return {s: (first.get((s, "start")), first.get((s, "healthy"))) for s in SERVICES}


def measure_start(cluster: Cluster) -> tuple[float, dict, float]:
    """`up -d` until every node is idle, when each container started and became healthy, and
    the Unix time of `up -d`; the caller decides whether the volumes are fresh."""
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
    return elapsed, timeline, started_wall


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


def measure_memory(cluster: Cluster, services=SERVICES) -> dict[str, float]:
    """MiB of anonymous memory per container, the median of a few reads."""
    log(f"{cluster.label}: letting the idle cluster settle for {SETTLE_S} s, then reading memory")
    time.sleep(SETTLE_S)
    files = {s: cgroup_memory_stat(int(cluster.inspect(s, "{{.State.Pid}}"))) for s in services}
    samples = {s: [] for s in services}
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


def clear_jobs(cluster: Cluster, timeout: float = 60) -> None:
    """The user's jobs cancelled and gone from squeue (or said). An srun the recovery loop gave up on
    (killed by its timeout while slurmd was down) leaves its job allocated on c1; saved with
    the controller's state, it would hold c1 busy through the stop and the kept-volume start."""
    left = cluster.as_job_user(["squeue", "-h", "-o", "%i"], 10).stdout.split()
    if not left:
        return
    log(f"{cluster.label}: cancelling jobs {', '.join(left)} left by the faults; waiting up to "
        f"{timeout:.0f} s for squeue to be empty")
    cluster.as_job_user(["scancel", "-u", JOB_USER], 10)
    deadline = time.monotonic() + timeout
    while left := cluster.as_job_user(["squeue", "-h", "-o", "%i %T %N"], 10).stdout.strip():
        if time.monotonic() > deadline:
            # A node that never recovered cannot end its job: the stop goes on with it listed.
            log(f"{cluster.label}: still in squeue {timeout:.0f} s after scancel: {left}")
            return
        time.sleep(POLL_S)


def count_zombies(cluster: Cluster) -> dict[str, int]:
    # Give the last job's processes a moment to finish exiting, so they are not counted
    # as zombies merely because nobody has reaped them *yet*.
    time.sleep(1)
    counts = {}
    for service in SERVICES:
        result = cluster.exec(service, ["ps", "-eo", "stat="], 15, check=True)
        counts[service] = sum(1 for stat in result.stdout.split() if stat.startswith("Z"))
    return counts


def measure_stop(cluster: Cluster) -> tuple[float, dict[str, int], dict[str, float]]:
    """`compose stop` (each container gets its compose file's grace period), exit codes, and
    per container the seconds from Docker's kill (the stop signal) to its die event."""
    log(f"{cluster.label}: compose stop")
    events = EventRecorder(cluster, ("kill", "die"))
    time.sleep(0.2)
    started = time.monotonic()
    try:
        cluster.compose("stop", timeout=STOP_TIMEOUT_S)
        elapsed = time.monotonic() - started
    finally:
        lines = events.lines()
    killed, died = {}, {}
    for line in lines:
        stamp, service, action = line.split(" ", 2)
        target = killed if action == "kill" else died
        target.setdefault(service, int(stamp) / 1e9)
    per = {s: died[s] - killed[s] for s in SERVICES if s in killed and s in died}
    codes = {s: int(cluster.inspect(s, "{{.State.ExitCode}}")) for s in SERVICES}
    log(f"{cluster.label}: stopped in {elapsed:.1f} s; exit codes {codes}")
    return elapsed, codes, per


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
    # c1 must take a job before the fault (after a previous fault or a start it may need time).
    ready_by = time.monotonic() + RECOVERY_CAP_S
    while not job_on_c1(cluster):
        if time.monotonic() > ready_by:
            raise BenchError(f"{cluster.label}: c1 does not take a job even before {daemon} is killed")
        time.sleep(POLL_S)
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


# ---------------------------------------------------------------- the critical path


# Each daemon's own "ready" line in its output (docker logs), and the process it comes from.
READY_LINES = (  # (service, process name, text of the line)
    ("mysql", "mariadbd", "ready for connections"),
    ("slurmdbd", "slurmdbd", "slurmdbd version"),
    ("slurmctld", "slurmctld", "Running as primary controller"),
)
NODE_READY = "CPUs="  # slurmd prints its hardware line once it has sent its registration
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_start_wall(pid: int) -> float:
    """When a host process started, as a Unix time (10 ms resolution: clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    ticks = int(stat[stat.rindex(")") + 2:].split()[19])
    boot = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
    return boot + ticks / CLOCK_TICKS


def stamped_lines(cluster: Cluster, service: str) -> list[tuple[float, str]]:
    """The container's output as (Unix time of Docker's own stamp, line)."""
    out = run(["docker", "logs", "-t", cluster.container(service)], 30)
    lines = []
    for line in (out.stdout + out.stderr).splitlines():
        stamp, _, text = line.partition(" ")  # RFC 3339 with nanoseconds, UTC
        whole, _, frac = stamp.rstrip("Z").partition(".")
        at = datetime.fromisoformat(whole + "+00:00").timestamp() + float("0." + (frac or "0"))
        lines.append((at, text))
    return lines


def log_times(cluster: Cluster, service: str, text: str) -> list[float]:
    """Unix times of the container's output lines containing text."""
    return [at for at, line in stamped_lines(cluster, service) if text in line]


def daemon_time(cluster: Cluster, service: str, process: str, text: str) -> float:
    """Seconds from the (live) daemon's process start to its last ready line."""
    pids = container_processes(cluster, service, process)
    ready = log_times(cluster, service, text)
    if not pids or not ready:
        raise BenchError(f"{cluster.label}: critical path: no {process} process or no "
                         f"'{text}' line in {service}")
    return ready[-1] - min(process_start_wall(p) for p in pids)


def critical_path(cluster: Cluster, timeline: dict, fresh: bool) -> dict[str, float]:
    """The parts of the critical path, in seconds, from this (rqinit) cluster's logs."""
    parts = {"docker": min(v[0] for v in timeline.values() if v[0] is not None)}
    if fresh:  # rqinit copies the image's seed datadir as its own logged oneshot service
        begun = log_times(cluster, "mysql", "started mysql-seed")
        ended = log_times(cluster, "mysql", "mysql-seed finished")
        if not begun or not ended:
            raise BenchError(f"{cluster.label}: critical path: no mysql-seed lines")
        parts["datadir seed"] = ended[-1] - begun[0]
    for service, process, text in READY_LINES:
        parts[process] = daemon_time(cluster, service, process, text)
    parts["slurmd"] = max(daemon_time(cluster, n, "slurmd", NODE_READY) for n in NODES)
    parts["total"] = sum(parts.values())
    return parts


# rqinit's own lines for each service it runs: when it started it, and when it found it ready.
RQINIT_STEP = re.compile(r"rqinit: info: (?:started (?P<started>\S+) \(pid|(?P<ready>\S+) is ready \()")


def rqinit_steps(cluster: Cluster, since_wall: float) -> dict[str, float]:
    """Where a start's time goes, from rqinit's own log lines: "CONTAINER SERVICE started" and
    "CONTAINER SERVICE ready" -> seconds after `up -d`, the first of each in this start."""
    steps = {}
    for service in SERVICES:
        for at, line in stamped_lines(cluster, service):
            found = RQINIT_STEP.search(line)
            if not found or at < since_wall:
                continue
            event = f"{found['started']} started" if found["started"] else f"{found['ready']} ready"
            steps.setdefault(f"{service} {event}", at - since_wall)
    return steps


# ---------------------------------------------------------------- one run of one cluster


@dataclass
class RunResult:
    start_fresh: float | None = None
    start_kept: float | None = None
    timeline: dict = field(default_factory=dict)  # of the fresh start
    critical_fresh: dict = field(default_factory=dict)  # rqinit's runs only
    critical_kept: dict = field(default_factory=dict)
    stop: float | None = None
    stop_each: dict = field(default_factory=dict)
    exit_codes: dict = field(default_factory=dict)
    recovery: dict = field(default_factory=dict)  # daemon -> seconds, or None past the cap
    zombies: dict = field(default_factory=dict)
    memory: dict = field(default_factory=dict)
    stale_kept: list | None = None  # nodes listed at an address they no longer have
    steps_fresh: dict = field(default_factory=dict)  # rqinit's runs only: rqinit_steps()
    steps_kept: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


def bench_cluster(cluster: Cluster, jobs: int) -> RunResult:
    """One pass over every figure. The faults are made on the fresh cluster after its jobs, each
    waited out until c1 takes a job again, so that every cluster is measured (a baseline's c1
    may take no job after the kept-volume start: its nodes listed at addresses they no longer
    have, which the report shows). The stop is then timed on a cluster that ran jobs and
    recovered; a fault a cluster never recovers from is a result, and ends its pass there."""
    result = RunResult()
    try:
        cluster.wipe()
        result.start_fresh, result.timeline, up_wall = measure_start(cluster)
        if cluster.label == "rqinit":
            result.critical_fresh = critical_path(cluster, result.timeline, fresh=True)
            result.steps_fresh = rqinit_steps(cluster, up_wall)
        result.memory = measure_memory(cluster)
        run_jobs(cluster, jobs)
        result.zombies = count_zombies(cluster)
        for daemon in ("slurmd", "munged"):
            result.recovery[daemon] = measure_recovery(cluster, daemon)
        clear_jobs(cluster)
        result.stop, result.exit_codes, result.stop_each = measure_stop(cluster)
        log(f"{cluster.label}: down (volumes kept)")
        cluster.compose("down", timeout=DOWN_TIMEOUT_S)
        result.start_kept, timeline, up_wall = measure_start(cluster)
        result.stale_kept = stale_node_addresses(cluster)
        if cluster.label == "rqinit":
            result.critical_kept = critical_path(cluster, timeline, fresh=False)
            result.steps_kept = rqinit_steps(cluster, up_wall)
    except BenchError as exc:
        log(f"{cluster.label}: {exc}")
        result.errors.append(str(exc))
    finally:
        log(f"{cluster.label}: down -v")
        cluster.wipe()
    return result


# ---------------------------------------------------------------- images


def baseline_dockerfile() -> str:
    """images/Dockerfile with rqinit taken out of its final stage, and the baselines'
    entrypoints put in: the same packages, trim, users and files, by construction. Fails when
    the Dockerfile no longer has the instructions this relies on."""
    text = (REPO / "images" / "Dockerfile").read_text()
    instructions, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            instructions.append(line)
            continue
        current += line + "\n"
        if not line.rstrip().endswith("\\"):
            instructions.append(current.rstrip("\n"))
            current = ""
    last_from = max(i for i, ins in enumerate(instructions) if ins.upper().startswith("FROM "))
    kept, dropped = [], []
    for i, ins in enumerate(instructions):
        word = ins.split(None, 1)[0].upper() if ins.strip() and not ins.lstrip().startswith("#") else ""
        # rqinit and its helpers, built in the image's build stage (one COPY line, all binaries)
        rqinit_binary = word == "COPY" and "/out/rqinit" in ins
        if i > last_from and (word in ("HEALTHCHECK", "ENTRYPOINT", "CMD", "LABEL") or rqinit_binary):
            dropped.append(word + (" rqinit" if rqinit_binary else ""))
            continue
        kept.append(ins)
    if "COPY rqinit" not in dropped or "ENTRYPOINT" not in dropped:
        raise BenchError("images/Dockerfile changed shape: no COPY of /out/rqinit or no "
                         "ENTRYPOINT in its final stage; update baseline_dockerfile()")
    kept += ["# --- the baselines' own part (bench/cluster_bench.py)",
             "COPY bench/baseline/entrypoint.sh bench/baseline/entrypoint-careful.sh /usr/local/bin/",
             'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]']
    return "\n".join(kept) + "\n"


def ensure_images(skip_build: bool) -> None:
    """rqinit's image is built from this tree by images/build under the bench's own tag, and
    the baseline's from the derived Dockerfile with the same build context (so their common
    layers are the very same layers); both cheap when Docker's cache has them."""
    if skip_build:
        for image in (RQINIT_IMAGE, BASELINE_IMAGE):
            if not image_present(image):
                raise BenchError(f"{image} is missing and --skip-build was given")
        return
    log(f"building {RQINIT_IMAGE} with images/build")
    run(["bash", str(REPO / "images" / "build"), RQINIT_IMAGE], 3600)
    log(f"building {BASELINE_IMAGE} from images/Dockerfile minus rqinit")
    dockerfile = BASELINE_DIR / ".Dockerfile.derived"
    dockerfile.write_text(baseline_dockerfile())
    try:
        run(["docker", "build", "-q", "-f", str(dockerfile), "-t", BASELINE_IMAGE, str(REPO)], 3600)
    finally:
        dockerfile.unlink()


def check_secrets() -> None:
    """Every compose file reads the secrets stack/cluster makes; this harness only reads them."""
    for name in ("munge.key", "db_password"):
        path = REPO / ".secrets" / name
        if not path.is_file() or path.stat().st_size == 0:
            raise BenchError(f"{path} is missing: run `bash stack/cluster up` once (it makes the secrets)")


# ---------------------------------------------------------------- the report


def measured(values) -> list:
    return [v for v in values if v is not None]


def median_of(values) -> float | None:
    got = measured(values)
    return statistics.median(got) if got else None


def spread(values, unit: str = "s", digits: int = 2) -> str:
    """'median (min–max)' of the measured values."""
    got = measured(values)
    if not got:
        return "n/a"
    med = statistics.median(got)
    if len(got) == 1:
        return f"{med:.{digits}f} {unit}"
    return f"{med:.{digits}f} {unit} ({min(got):.{digits}f}–{max(got):.{digits}f})"


def ratio(a, b) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}x"


def verdict(ok) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def recovery_cell(values: list) -> tuple[str, float | None]:
    """Median seconds; a run that never recovered counts as past the cap (as infinity)."""
    if not values:
        return "n/a", None
    as_numbers = [RECOVERY_CAP_S * 1000 if v is None else v for v in values]
    med = statistics.median(as_numbers)
    lost = sum(1 for v in values if v is None)
    if med >= RECOVERY_CAP_S * 1000:
        return f"never within {RECOVERY_CAP_S} s ({lost}/{len(values)})", None
    text = spread([v for v in values if v is not None])
    return text + (f", {lost}/{len(values)} never" if lost else ""), med


def stale_cell(runs: list[RunResult]) -> str:
    """How many runs left nodes at a stale address, and which nodes, as the report's cell."""
    seen = [r.stale_kept for r in runs if r.stale_kept is not None]
    if not seen:
        return "n/a"
    stale = sorted({entry.split()[0] for entries in seen for entry in entries})
    bad = sum(1 for entries in seen if entries)
    return "none" if not bad else f"{', '.join(stale)} ({bad} of {len(seen)})"


def codes_cell(runs: list[RunResult]) -> tuple[str, bool | None]:
    seen = [r.exit_codes for r in runs if r.exit_codes]
    if not seen:
        return "n/a", None
    bad = {}
    for codes in seen:
        for service, code in codes.items():
            if code != 0:
                bad[f"{service}={code}"] = bad.get(f"{service}={code}", 0) + 1
    if not bad:
        return "all 0", True
    return " ".join(f"{k} ({n}/{len(seen)})" for k, n in bad.items()), False


def report(results: dict[str, list[RunResult]], jobs: int, sizes: dict[str, int]) -> tuple[list, list]:
    """The table's rows and the goal lines."""
    labels = ["rqinit", *BASELINES]
    rq, arch, careful = results["rqinit"], results["arch"], results["careful"]
    med = lambda label, attr: median_of([getattr(r, attr) for r in results[label]])
    rows, goals = [], []

    for attr, crit_attr, name in (("start_fresh", "critical_fresh", "up -> all nodes idle, fresh volumes"),
                                  ("start_kept", "critical_kept", "up -> all nodes idle, volumes kept")):
        crit = [r.__dict__[crit_attr].get("total") for r in rq if r.__dict__[crit_attr]]
        rows.append([name, *(spread([getattr(r, attr) for r in results[l]]) for l in labels),
                     spread(crit)])
        a, c, p = med("rqinit", attr), med("arch", attr), median_of(crit)
        kind = name.split(", ")[1]
        goals.append((f"up ({kind}) <= 0.5x arch", ratio(a, med("arch", attr)),
                      verdict(None if a is None or c is None else a <= 0.5 * c)))
        goals.append((f"up ({kind}) below careful", ratio(a, med("careful", attr)),
                      verdict(None if a is None or med("careful", attr) is None
                              else a < med("careful", attr))))
        goals.append((f"up ({kind}) within 1.15x critical path", ratio(a, p),
                      verdict(None if a is None or p is None else a <= 1.15 * p)))

    rows.append(["nodes at a stale address after the kept-volume start",
                 *(stale_cell(results[l]) for l in labels), "-"])
    rows.append(["compose stop, in all", *(spread([r.stop for r in results[l]]) for l in labels), "-"])
    a = med("rqinit", "stop")
    goals.append(("stop <= 0.3x arch", ratio(a, med("arch", "stop")),
                  verdict(None if a is None or med("arch", "stop") is None else a <= 0.3 * med("arch", "stop"))))
    slower = []
    for service in SERVICES:
        cells = [spread([r.stop_each.get(service) for r in results[l] if r.stop_each]) for l in labels]
        rows.append([f"  stop {service} (kill -> exit)", *cells, "-"])
        mine = median_of([r.stop_each.get(service) for r in rq if r.stop_each])
        theirs = median_of([r.stop_each.get(service) for r in careful if r.stop_each])
        if mine is not None and theirs is not None and mine > theirs:
            slower.append(f"{service} {mine:.2f} s > {theirs:.2f} s")
    any_each = any(r.stop_each for r in rq) and any(r.stop_each for r in careful)
    goals.append(("stop no slower than careful, container by container",
                  "; ".join(slower) or "none slower", verdict(None if not any_each else not slower)))
    code_cells = [codes_cell(results[l]) for l in labels]
    rows.append(["exit codes after stop", *(c[0] for c in code_cells), "-"])
    goals.append(("every exit code 0 (rqinit)", code_cells[0][0], verdict(code_cells[0][1])))

    for daemon in ("slurmd", "munged"):
        cells = [recovery_cell([r.recovery.get(daemon, None) for r in results[l] if r.recovery])[0]
                 for l in labels]
        rows.append([f"kill -9 {daemon} in c1 -> job on c1", *cells, "-"])

    for service in SERVICES:
        rows.append([f"zombies after {jobs} jobs: {service}",
                     *(spread([r.zombies.get(service) for r in results[l] if r.zombies], "", 0).strip()
                       for l in labels), "-"])
    for service in SERVICES:
        rows.append([f"anon memory at idle: {service}",
                     *(spread([r.memory.get(service) for r in results[l] if r.memory], "MiB", 1)
                       for l in labels), "-"])
    rows.append(["image size", *(f"{sizes[l] / 1e6:.1f} MB" if l in sizes else "n/a" for l in labels), "-"])
    return rows, goals


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """A Markdown table, ready for the README."""
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


def print_critical(rq: list[RunResult]) -> None:
    for attr, name in (("critical_fresh", "fresh volumes"), ("critical_kept", "volumes kept")):
        parts = [r.__dict__[attr] for r in rq if r.__dict__[attr]]
        if not parts:
            continue
        keys = list(parts[0])
        print(f"\ncritical path, {name} (s, median (min–max) over {len(parts)} run(s), "
              f"from the rqinit cluster's logs):")
        for key in keys:
            print(f"  {key:<20} {spread([p.get(key) for p in parts])}")


def print_steps(rq: list[RunResult]) -> None:
    """rqinit's own timeline of each start, in time order: where the time to idle goes."""
    for attr, name in (("steps_fresh", "fresh volumes"), ("steps_kept", "volumes kept")):
        parts = [getattr(r, attr) for r in rq if getattr(r, attr)]
        if not parts:
            continue
        keys = sorted({k for p in parts for k in p}, key=lambda k: median_of([p.get(k) for p in parts]))
        print(f"\nrqinit's own timeline, {name} (s after up -d, median over {len(parts)} run(s)):")
        for key in keys:
            print(f"  {median_of([p.get(key) for p in parts]):6.2f}  {key}")


def print_timeline(results: dict[str, list[RunResult]]) -> None:
    labels = ["rqinit", *BASELINES]
    print("\nfresh start timeline, s after up -d, medians (started / healthy; '-': none):")
    print("  " + "service".ljust(10) + "".join(l.rjust(16) for l in labels))
    for service in SERVICES:
        cells = []
        for label in labels:
            got = []
            for i in (0, 1):
                v = median_of([r.timeline.get(service, (None, None))[i] for r in results[label] if r.timeline])
                got.append("-" if v is None else f"{v:.1f}")
            cells.append(" / ".join(got).rjust(16))
        print("  " + service.ljust(10) + "".join(cells))


def print_per_run(results: dict[str, list[RunResult]]) -> None:
    print("\nper run:")
    for label, runs in results.items():
        for attr in ("start_fresh", "start_kept", "stop"):
            print(f"  {label:<8} {attr:<12} " + ", ".join(
                "n/a" if getattr(r, attr) is None else f"{getattr(r, attr):.2f}" for r in runs))


# ---------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per cluster (default 5)")
    parser.add_argument("--jobs", type=int, default=20, help="jobs before counting zombies (default 20)")
    parser.add_argument("--quick", action="store_true", help="1 run and 5 jobs: a smoke test")
    parser.add_argument("--only", action="append", choices=["rqinit", *BASELINES],
                        help="bench only these clusters (repeatable; default all four)")
    parser.add_argument("--skip-build", action="store_true",
                        help="build no image; both must exist already")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.jobs = 1, 5
    if args.runs < 1 or args.jobs < 1:
        parser.error("--runs and --jobs must be at least 1")
    return args


def exit_status(errors: list[str]) -> int:
    """Lists what could not be measured; 1 if anything, else 0 (the bench's exit status)."""
    if not errors:
        return 0
    print("\nnot measured:")
    for error in errors:
        print(f"  {error}")
    return 1


def interrupted(signum, _frame):
    # SIGTERM becomes the same unwinding as Ctrl-C, so the finally clauses tear our projects down.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupted)
    clusters = [Cluster("rqinit", "rqbench", REPO / "stack" / "compose.yml", RQINIT_IMAGE, "RQINIT_IMAGE")]
    clusters += [Cluster(name, f"rqbase-{name}", BASELINE_DIR / f"compose-{name}.yml",
                         BASELINE_IMAGE, "RQBASE_IMAGE") for name in BASELINES]
    chosen = [c for c in clusters if not args.only or c.label in args.only]
    results = {c.label: [] for c in clusters}
    errors = []
    sizes = {}
    began = time.monotonic()
    try:
        check_secrets()
        ensure_images(args.skip_build)
        sizes = {c.label: image_size(c.image) for c in clusters}
        for number in range(args.runs):
            shift = number % len(chosen)
            for cluster in chosen[shift:] + chosen[:shift]:
                log(f"run {number + 1}/{args.runs}: {cluster.label} ({cluster.project})")
                outcome = bench_cluster(cluster, args.jobs)
                results[cluster.label].append(outcome)
                errors += [f"{cluster.label}, run {number + 1}: {e}" for e in outcome.errors]
    except BenchError as exc:
        log(str(exc))
        errors.append(str(exc))
    except KeyboardInterrupt:
        log("interrupted: tearing down the bench's projects; reporting the runs completed")
        errors.append("interrupted")
    finally:
        # Also after Ctrl-C, SIGTERM or a crash in the harness itself; a second signal must
        # not cut the tear-down short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for cluster in chosen:
            cluster.wipe()

    done = min(len(results[c.label]) for c in chosen)
    print(f"rqinit cluster vs three baselines: {done} of {args.runs} run(s), {args.jobs} jobs, medians "
          f"(min–max); {time.monotonic() - began:.0f} s in all; images {RQINIT_IMAGE}, "
          f"{BASELINE_IMAGE}\n")
    rows, goals = report(results, args.jobs, sizes)
    print_table(["figure", "rqinit", "(a) arch", "(b) giov", "(c) careful", "critical path"], rows)
    print()
    print_table(["goal", "rqinit's ratio", "result"], [list(g) for g in goals])
    print_critical(results["rqinit"])
    print_steps(results["rqinit"])
    print_timeline(results)
    print_per_run(results)
    return exit_status(errors)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
