#!/usr/bin/python3
"""Benchmark rqinit side by side with tini-static, tini and dumb-init, in one run, on the same children.

Every init runs as PID 1 of a fresh pid namespace (unshare --pid --fork --mount-proc), as it
does in a container, with the same helper child:

  start latency   exec of the init -> exec of its first child (exec_stamp -> first_child)
  peak RSS        VmHWM of the init alone while its child is alive; again after reaping 10k
  binary size     the file on disk
  reap 10k        10,000 exited children are orphaned to PID 1 at once; time until it has
                  reaped them all (orphan_burst; its comment says why zombies)
  SIGTERM->exit   the init runs `sleep 1000` and gets SIGTERM; time until the init has exited

The reference of every ratio is tini-static (Debian's `tini` package ships it as
/usr/bin/tini-static): like rqinit it is a static glibc binary, so neither side is charged or
spared the dynamic loader. Dynamic tini and dumb-init are shown beside it.

Rounds alternate between the inits (rotating who goes first) so that drift on the machine hits
all of them alike; each init gets one unrecorded warm-up run per figure. Medians are printed,
with rqinit's goals marked PASS or MISS.

Every init is held to the same contract, and a breach fails the run: after SIGTERM with
`-- sleep 1000` it exits 143 (128+SIGTERM, the status of its child), with `-- orphan_burst`
(which exits 0) it exits 0; rqinit's release binary and tini-static are static, rqinit's is
also stripped.

A MISS of a goal is a result, not an error. Exit status: 0 when every figure was measured for
every init and no contract was breached; 1 when an init or the reference is missing, a figure
could not be measured, or a contract was breached (a line starting "CONTRACT FAILED" says
which); 2 on a bad command line. Progress goes to stderr, the report to stdout.
"""

import argparse
import os
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE = "tini-static"  # the init every ratio is taken against
PIDNS = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
SLEEP = "/bin/sleep"
MIB = 1024 * 1024

START_TIMEOUT_S = 10
SIGTERM_TIMEOUT_S = 10
REAP_TIMEOUT_S = 60  # inside orphan_burst; the harness allows this plus time to fork them


class BenchError(Exception):
    """A figure could not be measured for one init (it crashed, hung, or printed nonsense)."""


@dataclass
class Init:
    name: str
    path: Path

    def present(self) -> bool:
        return self.path.is_file() and os.access(self.path, os.X_OK)

    def argv(self, child: list[str]) -> list[str]:
        # All of them take the tini form: INIT -- CMD [ARG...]
        return [str(self.path), "--", *child]


# ---------------------------------------------------------------- processes in /proc


def children_of(pid: int) -> list[int]:
    """Children of every thread of pid (a child forked by a non-main thread is listed there)."""
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(k) for k in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return kids


def comm_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def vm_hwm_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise BenchError(f"no VmHWM in /proc/{pid}/status")


def wait_pidfd(pidfd: int, timeout_s: float) -> bool:
    """True once the process behind pidfd has exited (pidfd becomes readable)."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(timeout_s * 1000))


def shell_status(returncode: int) -> int:
    """Popen's returncode as a shell shows it: a death by signal N is 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def parse_tags(text: str) -> dict[str, str]:
    """'a=1 b=2' words anywhere in the output, so that stray log lines do not confuse us."""
    return dict(w.split("=", 1) for w in text.split() if "=" in w)


class NamespacedInit:
    """An init started as PID 1 of a new pid namespace; always torn down on leaving `with`.

    The init's pid as seen from here is the child of unshare. unshare --kill-child makes sure
    that the init (and so the whole namespace) dies if we have to kill unshare itself."""

    def __init__(self, argv: list[str], capture_stdout: bool = False):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            PIDNS + argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
            stderr=self.stderr,
        )
        self.stdout_text = ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.stderr.close()

    def init_pid(self) -> int:
        kids = children_of(self.proc.pid)
        if len(kids) != 1:
            raise BenchError(f"expected one child of unshare, found {kids}")
        return kids[0]

    def stderr_tail(self) -> str:
        self.stderr.seek(0)
        lines = self.stderr.read().decode(errors="replace").strip().splitlines()
        return " | ".join(lines[-3:])

    def failure(self, what: str) -> BenchError:
        status = self.proc.poll()
        exited = f"; exited {shell_status(status)}" if status is not None else ""
        tail = self.stderr_tail()
        return BenchError(f"{what}{exited}" + (f"; stderr: {tail}" if tail else ""))

    def read_tag(self, key: str, timeout_s: float) -> dict[str, str]:
        """Read stdout until a word `key=...` appears; return all the tags seen so far."""
        deadline = time.monotonic() + timeout_s
        fd = self.proc.stdout.fileno()
        while key not in parse_tags(self.stdout_text):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise self.failure(f"no {key}= within {timeout_s} s")
            chunk = os.read(fd, 4096)
            if not chunk:
                self.wait_briefly()  # so that the error can say how it exited
                raise self.failure(f"output ended before {key}=")
            self.stdout_text += chunk.decode(errors="replace")
        return parse_tags(self.stdout_text)

    def wait_briefly(self) -> None:
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass

    def wait_for_grandchild(self, comm: str, timeout_s: float) -> int:
        """Pid of the init once a child of it runs `comm` (i.e. has exec'd)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for init in children_of(self.proc.pid):
                if any(comm_of(kid) == comm for kid in children_of(init)):
                    return init
            if self.proc.poll() is not None:
                break
            time.sleep(0.001)
        raise self.failure(f"no child running {comm} within {timeout_s} s")

    def kill_init(self, pid: int) -> None:
        """SIGKILL the init and wait until its namespace is gone, so runs do not overlap."""
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)


# ---------------------------------------------------------------- the measurements


@dataclass
class Helpers:
    exec_stamp: str
    first_child: str
    orphan_burst: str

    @classmethod
    def find(cls, directory: Path) -> "Helpers":
        paths = {name: directory / name for name in ("exec_stamp", "first_child", "orphan_burst")}
        missing = [str(p) for p in paths.values() if not os.access(p, os.X_OK)]
        if missing:
            raise BenchError("helpers not built: " + ", ".join(missing))
        return cls(**{name: str(p) for name, p in paths.items()})


def measure_start(init: Init, helpers: Helpers) -> dict[str, float]:
    """Start latency in µs and idle peak RSS in KiB, from one run of INIT -- first_child hold."""
    argv = [helpers.exec_stamp, *init.argv([helpers.first_child, "hold"])]
    with NamespacedInit(argv, capture_stdout=True) as run:
        tags = run.read_tag("first_child_ns", START_TIMEOUT_S)
        pid = run.init_pid()
        hwm = vm_hwm_kib(pid)
        run.kill_init(pid)
    return {"start_us": int(tags["first_child_ns"]) / 1000, "rss_idle_kib": hwm}


def measure_floor(helpers: Helpers, runs: int):
    """Median floor of the start figure in µs: exec_stamp execs first_child itself, no init
    between. None if it could not be measured."""
    samples = []
    try:
        for _ in range(runs + 1):  # the first is a warm-up
            argv = [helpers.exec_stamp, helpers.first_child]
            with NamespacedInit(argv, capture_stdout=True) as run:
                samples.append(int(run.read_tag("first_child_ns", START_TIMEOUT_S)
                                   ["first_child_ns"]) / 1000)
    except BenchError as e:
        progress(f"floor: FAILED: {e}")
        return None
    return statistics.median(samples[1:])


def measure_reap(init: Init, helpers: Helpers, count: int) -> dict[str, float]:
    """Time in ms for PID 1 to reap `count` orphans, PID 1's peak RSS in KiB after it, and its
    exit status (orphan_burst's own: 0)."""
    argv = init.argv([helpers.orphan_burst, str(count), str(REAP_TIMEOUT_S)])
    with NamespacedInit(argv, capture_stdout=True) as run:
        tags = run.read_tag("reap_ns", REAP_TIMEOUT_S + 60)
        status = shell_status(run.proc.wait(timeout=30))
    return {"reap_ms": int(tags["reap_ns"]) / 1e6, "rss_reap_kib": int(tags["init_hwm_kib"]),
            "reap_status": status}


def measure_sigterm(init: Init) -> dict[str, float]:
    """µs from SIGTERM to the init's exit, running `sleep 1000`; also its exit status."""
    with NamespacedInit(init.argv([SLEEP, "1000"])) as run:
        pid = run.wait_for_grandchild("sleep", SIGTERM_TIMEOUT_S)
        pidfd = os.pidfd_open(pid)
        try:
            start = time.monotonic_ns()
            signal.pidfd_send_signal(pidfd, signal.SIGTERM)
            exited = wait_pidfd(pidfd, SIGTERM_TIMEOUT_S)
            elapsed = time.monotonic_ns() - start
        finally:
            os.close(pidfd)
        if not exited:
            raise run.failure(f"still running {SIGTERM_TIMEOUT_S} s after SIGTERM")
        status = shell_status(run.proc.wait(timeout=10))
    return {"sigterm_us": elapsed / 1000, "sigterm_status": status}


# ---------------------------------------------------------------- binaries


def elf_facts(path: Path) -> str:
    """'static, stripped' or what is not: static = no PT_INTERP, stripped = no SHT_SYMTAB."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return "not a 64-bit little-endian ELF"
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 0x36)
    PT_INTERP, SHT_SYMTAB = 3, 2
    dynamic = any(
        struct.unpack_from("<I", data, phoff + i * phentsize)[0] == PT_INTERP for i in range(phnum)
    )
    symbols = any(
        struct.unpack_from("<I", data, shoff + i * shentsize + 4)[0] == SHT_SYMTAB
        for i in range(shnum)
    )
    linking = "dynamic" if dynamic else "static"
    return f"{linking}, {'not stripped' if symbols else 'stripped'}"


# ---------------------------------------------------------------- running the rounds


@dataclass
class Samples:
    """Every sample of every figure, per init; and per init, the error that stopped a test
    (start, reap, sigterm), and the figures that test then could not give."""

    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)
    failed: set[tuple[str, str]] = field(default_factory=set)

    def fail(self, init: str, test: str, figures: tuple[str, ...], error: str) -> None:
        self.errors.setdefault(init, {})[test] = error
        self.failed.update((init, figure) for figure in figures)

    def add(self, init: str, figures: dict[str, float]) -> None:
        for figure, value in figures.items():
            self.values.setdefault(init, {}).setdefault(figure, []).append(value)

    def get(self, init: str, figure: str) -> list[float]:
        return self.values.get(init, {}).get(figure, [])

    def median(self, init: str, figure: str):
        got = self.get(init, figure)
        return statistics.median(got) if got else None


def rotated(items: list, by: int) -> list:
    if not items:
        return items
    by %= len(items)
    return items[by:] + items[:by]


def run_test(test: str, figures: tuple[str, ...], inits: list[Init], measure, rounds: int,
             samples: Samples) -> None:
    """One warm-up plus `rounds` recorded runs of `measure` for each init, interleaved. An init
    that fails once is dropped from this test: a hang would otherwise cost a timeout a run."""
    for r in range(-1, rounds):  # round -1 is the warm-up
        progress(f"{test}: round {r + 1}/{rounds}" if r >= 0 else f"{test}: warm-up")
        for init in rotated(inits, r):
            if test in samples.errors.get(init.name, {}):
                continue
            try:
                got = measure(init)
            except (BenchError, OSError, subprocess.TimeoutExpired) as e:
                samples.fail(init.name, test, figures, str(e))
                progress(f"  {init.name}: FAILED: {e}")
                continue
            if r >= 0:
                samples.add(init.name, got)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the report


@dataclass
class Row:
    label: str
    figure: str
    unit: str  # how to show it: "us", "ms", "mib_kib" (KiB samples), "bytes", "mib_bytes"
    goal: str = ""  # "ratio<=1.5" against tini-static, or "below:N" in the figure's own unit
    goal_text: str = ""


def report_rows(reap_count: int) -> list[Row]:
    """The table's rows, in order, with rqinit's goals (RSS goals in KiB, size in bytes)."""
    return [
        Row("start latency", "start_us", "us", "ratio<=1.5", "<= 1.5x tini-static"),
        Row("peak RSS, child alive", "rss_idle_kib", "mib_kib", f"below:{4 * 1024}", "< 4 MiB"),
        Row("peak RSS, after reap", "rss_reap_kib", "mib_kib", f"below:{4 * 1024}", "< 4 MiB"),
        Row("binary size", "size_bytes", "bytes", f"below:{3 * MIB}", "< 3 MiB"),
        Row("binary size", "size_bytes", "mib_bytes"),
        Row(f"reap {reap_count:,} orphans", "reap_ms", "ms", "ratio<=1.5", "<= 1.5x tini-static"),
        Row("SIGTERM -> exit", "sigterm_us", "us"),
    ]


def show(value, unit: str) -> str:
    if value is None:
        return "-"
    return {
        "us": f"{value:,.0f} us",
        "ms": f"{value:,.1f} ms",
        "mib_kib": f"{value / 1024:.2f} MiB",
        "bytes": f"{value:,.0f} B",
        "mib_bytes": f"{value / MIB:.2f} MiB",
    }[unit]


def ratio(a, b) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def verdict(row: Row, rq, ref, rq_failed: bool) -> str:
    if not row.goal:
        return ""
    if rq_failed:
        return "FAILED"
    if rq is None:
        return "n/a"
    if row.goal.startswith("ratio<="):
        if not ref:
            return "n/a"
        ok = rq / ref <= float(row.goal.split("<=")[1])
    else:
        ok = rq < float(row.goal.split(":")[1])
    return "PASS" if ok else "MISS"


def cell(samples: Samples, init: Init, row: Row, present: set[str]) -> str:
    if init.name not in present:
        return "missing"
    if (init.name, row.figure) in samples.failed:
        return "FAILED"
    return show(samples.median(init.name, row.figure), row.unit)


def table(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                               enumerate(zip(r, widths))).rstrip()
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in body)])


def report_table(samples: Samples, inits: list[Init], present: set[str], rows) -> str:
    header = ["figure (median)", *(i.name for i in inits), "rq/tini-static", "rq/tini",
              "rq/dumb-init", "goal", "result"]
    body = []
    for row in rows:
        medians = {i.name: samples.median(i.name, row.figure) for i in inits}
        rq, ref = medians["rqinit"], medians[REFERENCE]
        body.append([row.label, *(cell(samples, i, row, present) for i in inits),
                     ratio(rq, ref), ratio(rq, medians["tini"]), ratio(rq, medians["dumb-init"]),
                     row.goal_text,
                     verdict(row, rq, ref, ("rqinit", row.figure) in samples.failed)])
    return table(header, body)


def spread_table(samples: Samples, inits: list[Init], rows) -> str:
    header = ["figure (min .. max)", *(i.name for i in inits)]
    body = []
    for row in rows:
        if row.figure == "size_bytes":
            continue
        cells = []
        for init in inits:
            got = samples.get(init.name, row.figure)
            cells.append(f"{show(min(got), row.unit)} .. {show(max(got), row.unit)}" if got
                         else "-")
        body.append([row.label, *cells])
    return table(header, body)


def notes(samples: Samples, inits: list[Init], present: set[str], floor_us, args) -> list[str]:
    lines = [f"runs: {args.runs} per figure, {args.reap_runs} for the reap of "
             f"{args.reap_count:,} orphans; each after one warm-up run; "
             f"{os.cpu_count()} CPUs, kernel {os.uname().release}"]
    if floor_us is not None:
        lines.append(f"start-latency floor with no init between (exec_stamp -> first_child): "
                     f"{floor_us:,.0f} us")
    for init in inits:
        if init.name not in present:
            lines.append(f"{init.name}: missing ({init.path})")
            continue
        statuses = sorted({int(s) for s in samples.get(init.name, "sigterm_status")})
        lines.append(f"{init.name}: {init.path} ({elf_facts(init.path)}); exit status after "
                     f"SIGTERM: {', '.join(map(str, statuses)) or '-'}")
        for test, error in samples.errors.get(init.name, {}).items():
            lines.append(f"{init.name}: {test} test FAILED: {error}")
    return lines


# What each init's binary must be: rqinit's release build is static and stripped (README.md);
# the reference is the static build of tini, or the comparison is not the one it claims to be.
REQUIRED_ELF = {"rqinit": "static, stripped", REFERENCE: "static"}


def contract_breaches(samples: Samples, inits: list[Init], present: set[str]) -> list[str]:
    """Every init held to the same contract; one line per breach, each one fails the run."""
    breaches = []
    for init in inits:
        if init.name not in present:
            continue
        want = REQUIRED_ELF.get(init.name)
        facts = elf_facts(init.path)
        if want and not facts.startswith(want):
            breaches.append(f"CONTRACT FAILED: {init.name}: the binary should be {want}; "
                            f"it is {facts} ({init.path})")
        # SIGTERM is forwarded to `sleep`, which dies of it: the init exits 128+SIGTERM.
        wrong = sorted({int(s) for s in samples.get(init.name, "sigterm_status")} - {143})
        if wrong:
            breaches.append(f"CONTRACT FAILED: {init.name}: after SIGTERM with `-- sleep 1000` "
                            f"it should exit 143 (128+SIGTERM); it exited "
                            f"{', '.join(map(str, wrong))}")
        # The init exits with its child's status: orphan_burst exits 0.
        wrong = sorted({int(s) for s in samples.get(init.name, "reap_status")} - {0})
        if wrong:
            breaches.append(f"CONTRACT FAILED: {init.name}: with `-- orphan_burst`, which exits "
                            f"0, it should exit 0; it exited {', '.join(map(str, wrong))}")
    return breaches


# ---------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rqinit", type=Path, default=REPO_ROOT / "build/release/rqinit",
                   help="rqinit binary (default: build/release/rqinit)")
    p.add_argument("--helpers", type=Path, default=REPO_ROOT / "build/release/bench",
                   help="directory of exec_stamp, first_child, orphan_burst "
                        "(default: build/release/bench)")
    p.add_argument("--runs", type=int, help="recorded runs per figure (default 21; --quick: 3)")
    p.add_argument("--reap-runs", type=int, help="runs of the reap figure (default runs/3)")
    p.add_argument("--reap-count", type=int, default=10000, help="orphans to reap (10000)")
    p.add_argument("--quick", action="store_true", help="few runs: a smoke run for CI")
    args = p.parse_args(argv)
    args.runs = args.runs or (3 if args.quick else 21)
    args.reap_runs = args.reap_runs or max(1, round(args.runs / 3))
    if min(args.runs, args.reap_runs, args.reap_count) < 1:
        p.error("--runs, --reap-runs and --reap-count must be at least 1")
    return args


def check_environment(helpers_dir: Path) -> Helpers:
    helpers = Helpers.find(helpers_dir)
    probe = subprocess.run(PIDNS + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise BenchError(f"cannot make a pid namespace (root needed): {probe.stderr.strip()}")
    return helpers


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    inits = [
        Init("rqinit", args.rqinit.resolve()),
        Init(REFERENCE, Path("/usr/bin/tini-static")),
        Init("tini", Path("/usr/bin/tini")),
        Init("dumb-init", Path("/usr/bin/dumb-init")),
    ]
    try:
        helpers = check_environment(args.helpers)
    except BenchError as e:
        print(f"init_bench: cannot run: {e}", file=sys.stderr)
        return 1
    present = {i.name for i in inits if i.present()}
    runnable = [i for i in inits if i.name in present]
    samples = Samples()
    for init in runnable:
        samples.add(init.name, {"size_bytes": init.path.stat().st_size})

    run_test("start", ("start_us", "rss_idle_kib"), runnable,
               lambda i: measure_start(i, helpers), args.runs, samples)
    floor_us = measure_floor(helpers, args.runs)
    run_test("reap", ("reap_ms", "rss_reap_kib"), runnable,
               lambda i: measure_reap(i, helpers, args.reap_count), args.reap_runs, samples)
    run_test("sigterm", ("sigterm_us",), runnable, measure_sigterm, args.runs, samples)

    rows = report_rows(args.reap_count)
    print(report_table(samples, inits, present, rows))
    print()
    print(spread_table(samples, inits, rows))
    print()
    print("\n".join(notes(samples, inits, present, floor_us, args)))
    failures = contract_breaches(samples, inits, present)
    failures += [f"FAILED: {i.name} is missing ({i.path})" +
                 ("; it is the reference of every ratio: apt-get install tini"
                  if i.name == REFERENCE else "") for i in inits if i.name not in present]
    failures += [f"FAILED: {name}: {test} could not be measured" for name, tests in
                 samples.errors.items() for test in tests]
    if floor_us is None:
        failures.append("FAILED: the start-latency floor could not be measured")
    for line in failures:
        print(line)
    print("init_bench: " + ("FAILED, see the lines above" if failures else "OK"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
