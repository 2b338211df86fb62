"""Dependency readiness: a service starts only once what it depends on is ready
(unix socket, TCP port, or command probe); a start_timeout that runs out stops
everything and exits 4."""
import os
import signal

import pytest

from conftest import events_named, first_time, free_tcp_port, plan, svc, wait_started

DELAY = 0.6  # a becomes ready this long after it starts


def probe(kind, work):
    """(svc.py arguments, ready table) for one kind of readiness probe."""
    if kind == "unix":
        path = os.path.join(work, "a.sock")
        return ["--unix", path], {"unix": path, "interval": 0.05}
    if kind == "tcp":
        port = free_tcp_port()
        return ["--tcp", port], {"tcp": f"127.0.0.1:{port}", "interval": 0.05}
    path = os.path.join(work, "a.ready")
    return ["--touch", path], {"command": ["/usr/bin/test", "-e", path], "interval": 0.05}


@pytest.mark.parametrize("kind", ["unix", "tcp", "command"])
def test_dependent_starts_only_after_dependency_is_ready(rqinit, work, log, kind):
    ready_args, ready = probe(kind, work)
    cfg = plan({
        "b": {"command": svc("--name", "b", "--log", log), "depends_on": ["a"]},
        "a": {"command": svc("--name", "a", "--log", log, "--ready-after", DELAY, *ready_args),
              "ready": ready},
    })
    r = rqinit.start(config=cfg)
    wait_started(r, log, "b")
    a_start, a_ready = first_time(log, "start", "a"), first_time(log, "ready", "a")
    b_start = first_time(log, "start", "b")
    assert a_ready is not None and a_ready - a_start >= DELAY * 0.9
    assert b_start > a_ready, f"b started {a_ready - b_start:.3f}s before a was ready"
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()


def test_start_timeout_stops_everything_and_exits_4(rqinit, work, log):
    # a never becomes ready; z (independent) is running; b waits on a and never starts.
    never = os.path.join(work, "never.sock")
    cfg = plan({
        "z": {"command": svc("--name", "z", "--log", log)},
        "a": {"command": svc("--name", "a", "--log", log), "ready": {"unix": never, "interval": 0.05},
              "start_timeout": 1.0},
        "b": {"command": svc("--name", "b", "--log", log), "depends_on": ["a"]},
    })
    r = rqinit.run(config=cfg)
    assert r.returncode == 4, r.output()
    assert events_named(log, "start", "z") and events_named(log, "start", "a"), r.output()
    assert not events_named(log, "start", "b")
    # Everything that was started got its stop signal and exited before rqinit did.
    assert events_named(log, "stop", "a") and events_named(log, "stop", "z"), r.output()
    assert "a" in r.stdout + r.stderr


def test_chain_waits_for_each_level(rqinit, work, log):
    # a <- b <- c with delayed readiness at each level: strictly sequential starts.
    def level(name, *deps):
        path = os.path.join(work, f"{name}.ready")
        keys = {"command": svc("--name", name, "--log", log, "--ready-after", 0.3, "--touch", path),
                "ready": {"command": ["/usr/bin/test", "-e", path], "interval": 0.05}}
        return {**keys, "depends_on": list(deps)} if deps else keys
    r = rqinit.start(config=plan({"c": level("c", "b"), "b": level("b", "a"), "a": level("a")}))
    r.until(lambda: events_named(log, "ready", "c"), what="c to be ready")
    assert first_time(log, "start", "b") > first_time(log, "ready", "a")
    assert first_time(log, "start", "c") > first_time(log, "ready", "b")
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()
