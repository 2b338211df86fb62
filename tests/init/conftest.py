"""Shared fixtures for the rqinit integration tests.

Every test starts the binary named by RQINIT_BIN as the real PID 1 of a fresh PID
namespace (`unshare --pid --fork --mount-proc`), so the kernel treats it exactly as
a container runtime would: orphans are reparented to it and signals from outside
reach it only through handlers/signalfd. Each run gets its own short scratch
directory (unix socket paths are limited to 108 bytes, pytest's tmp_path can be longer).
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
HELPERS = os.path.join(HERE, "helpers")
PYTHON = "/usr/bin/python3"
SVC = os.path.join(HELPERS, "svc.py")

# Generous upper bounds: the debug build runs under ASan; nothing here should
# take more than a second or two when rqinit behaves.
DEFAULT_TIMEOUT = 10.0


def svc(*args):
    """The command array of the generic helper service (helpers/svc.py)."""
    return [PYTHON, SVC, *[str(a) for a in args]]


def wait_for(predicate, timeout=DEFAULT_TIMEOUT, interval=0.02, what="condition"):
    """Poll predicate() until it returns a truthy value; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------- TOML writing

def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic strings
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {v!r}")


def plan(services):
    """Render {name: {key: value}} as an rqinit.toml with one [services.NAME] table each."""
    out = []
    for name, keys in services.items():
        out.append(f"[services.{name}]")
        out.extend(f"{k} = {toml_value(v)}" for k, v in keys.items())
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- event logs

def read_events(path):
    """Parse a log written by helpers/svc.py: lines 'EVENT NAME [DETAIL] TIME'."""
    try:
        with open(path) as f:
            lines = f.read().split("\n")[:-1]  # complete lines only: one may be mid-write
    except FileNotFoundError:
        return []
    events = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 3:
            events.append((parts[0], parts[1], *parts[2:-1], float(parts[-1])))
    return events


def events_named(path, event, name=None):
    return [e for e in read_events(path) if e[0] == event and (name is None or e[1] == name)]


def wait_started(run, log, *names):
    """Wait until each named service logged 'start' (its signal handlers are then set)."""
    for n in names:
        run.until(lambda: events_named(log, "start", n), what=f"{n} to start")


def first_time(path, event, name):
    evs = events_named(path, event, name)
    return evs[0][-1] if evs else None


# ---------------------------------------------------------------- /proc helpers

def children_of(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def proc_status(pid):
    """Parsed /proc/PID/status of a host pid, {} if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except (FileNotFoundError, ProcessLookupError):
        return {}


def proc_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode() for a in f.read().split(b"\0") if a]
    except (FileNotFoundError, ProcessLookupError):
        return []


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- running rqinit

class Run:
    """One rqinit process running as PID 1 of its own PID namespace."""

    def __init__(self, proc, host_pid, workdir, out_path, err_path, sock):
        self.proc = proc  # the unshare process
        self.host_pid = host_pid  # rqinit's pid as seen from the test
        self.workdir = workdir
        self.out_path = out_path
        self.err_path = err_path
        self.sock = sock
        self.returncode = None

    def signal(self, sig):
        assert self.host_pid > 0, "rqinit already exited"
        os.kill(self.host_pid, sig)

    def wait(self, timeout=DEFAULT_TIMEOUT):
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"rqinit did not exit within {timeout}s\n{self.output()}")
        return self.returncode

    def running(self):
        return self.proc.poll() is None

    def until(self, predicate, what, timeout=DEFAULT_TIMEOUT):
        """wait_for(predicate), but fail at once (with rqinit's output) if rqinit has exited."""
        def check():
            value = predicate()
            if not value and not self.running():
                value = predicate()  # it may have happened just before the exit
                if not value:
                    pytest.fail(f"rqinit exited ({self.proc.returncode}) before {what}\n"
                                + self.output())
            return value
        return wait_for(check, timeout=timeout, what=what)

    @property
    def stdout(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    @property
    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def output(self):
        return f"--- rqinit stdout ---\n{self.stdout}--- rqinit stderr ---\n{self.stderr}"

    def ns_pids(self):
        """Host pids of every process in rqinit's PID namespace -> their pid inside it."""
        try:
            ns = os.readlink(f"/proc/{self.host_pid}/ns/pid")
        except (FileNotFoundError, ProcessLookupError):
            return {}
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") != ns:
                    continue
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
            st = proc_status(entry)
            if "NSpid" in st:
                found[int(entry)] = int(st["NSpid"].split()[-1])
        return found

    def find_process(self, argv):
        """Host pid of the namespace process whose command line is exactly argv, or None."""
        for host, _ in self.ns_pids().items():
            if proc_cmdline(host) == list(argv):
                return host
        return None

    def kill(self):
        # host_pid is -1 when rqinit exited before it could be seen: never kill(-1, ...).
        if self.proc.poll() is None and self.host_pid > 0:
            try:
                os.kill(self.host_pid, signal.SIGKILL)  # kills the whole namespace
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Rqinit:
    """Factory for rqinit runs in one test; see the `rqinit` fixture."""

    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir
        self.runs = []
        self.n = 0

    def path(self, name):
        return os.path.join(self.workdir, name)

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def env(self, extra=None):
        # rqinit reads RQINIT_* variables: do not let the caller's leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("RQINIT_")}
        env.update(extra or {})
        return env

    def start(self, *args, config=None, env=None, setup_sh=None, control_socket=True):
        """Start `rqinit [--control-socket S] [--config F] ARGS` as PID 1 of a new namespace.

        config: TOML text, written to a file and passed with --config.
        setup_sh: shell commands run inside the namespace just before exec'ing rqinit
        (so rqinit is still PID 1), e.g. bind mounts.
        """
        self.n += 1
        tag = f"r{self.n}"
        out_path, err_path = self.path(f"{tag}.out"), self.path(f"{tag}.err")
        sock = self.path(f"{tag}.sock")
        argv = [self.binary]
        if control_socket:
            argv += ["--control-socket", sock]
        if config is not None:
            argv += ["--config", self.write(f"{tag}.toml", config)]
        argv += list(args)
        if setup_sh:
            argv = ["/bin/sh", "-ec", setup_sh + '\nexec "$@"', "sh", *argv]
        cmd = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", *argv]
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    env=self.env(env), cwd=self.workdir)
        host_pid = wait_for(lambda: (children_of(proc.pid) or [None])[0]
                            or (proc.poll() is not None and -1),
                            what="unshare to fork rqinit")
        run = Run(proc, host_pid, self.workdir, out_path, err_path, sock)
        self.runs.append(run)
        return run

    def run(self, *args, timeout=DEFAULT_TIMEOUT, **kw):
        """Start rqinit and wait for it to exit."""
        r = self.start(*args, **kw)
        r.wait(timeout)
        return r

    def client(self, run, *args, timeout=DEFAULT_TIMEOUT):
        """`rqinit status|health ...` from outside the namespace, talking to the control
        socket of run (a Run, or a socket path)."""
        sock = run.sock if isinstance(run, Run) else run
        return subprocess.run([self.binary, *args], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout,
                              env=self.env({"RQINIT_CONTROL_SOCKET": sock}))

    def cleanup(self):
        # Printed output is shown by pytest only for a failing test: what rqinit said,
        # and the services' event log, are the first things to read then.
        for r in self.runs:
            r.kill()
            print(f"=== rqinit run (exit {r.proc.returncode}) ===\n{r.output()}")
        events = self.path("events.log")
        if os.path.exists(events):
            with open(events) as f:
                print(f"=== events.log ===\n{f.read()}")


@pytest.fixture(scope="session")
def rqinit_bin():
    binary = os.environ.get("RQINIT_BIN")
    if not binary:
        pytest.fail("RQINIT_BIN is not set: point it at the rqinit binary under test "
                    "(e.g. RQINIT_BIN=build/debug/rqinit)", pytrace=False)
    binary = os.path.abspath(binary)
    if not os.access(binary, os.X_OK):
        pytest.fail(f"RQINIT_BIN={binary} is not an executable file", pytrace=False)
    return binary


@pytest.fixture
def work():
    """A short private scratch directory (unix socket paths must stay < 108 bytes)."""
    d = tempfile.mkdtemp(prefix="rqi-", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def rqinit(rqinit_bin, work):
    factory = Rqinit(rqinit_bin, work)
    yield factory
    factory.cleanup()


@pytest.fixture
def log(work):
    """Path of the shared event log the helper services append to."""
    return os.path.join(work, "events.log")


def output_lines(text):
    return [l for l in text.splitlines() if l.strip()]


def line_with(text, word):
    """The first line of text containing word as a whole word, or None."""
    for line in text.splitlines():
        if re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", line):
            return line
    return None


assert sys.version_info >= (3, 9)
