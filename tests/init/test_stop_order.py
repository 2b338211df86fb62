"""Ordered stop: dependents stop before what they depend on; a service that ignores
its stop signal is SIGKILLed after stop_timeout and the rest still stop in order."""
import os
import signal

from conftest import events_named, first_time, plan, svc, wait_started


def chain(log, b_extra=(), b_keys=None):
    """a <- b <- c: c depends on b, b depends on a."""
    return plan({
        "a": {"command": svc("--name", "a", "--log", log)},
        "b": {"command": svc("--name", "b", "--log", log, *b_extra), "depends_on": ["a"],
              **(b_keys or {})},
        "c": {"command": svc("--name", "c", "--log", log), "depends_on": ["b"]},
    })


def start_chain(rqinit, log, **kw):
    r = rqinit.start(config=chain(log, **kw))
    wait_started(r, log, "a", "b", "c")
    return r


def test_services_start_a_b_c_and_stop_c_b_a(rqinit, log):
    # (No assertion on the start order here: without ready probes, a dependency is ready
    # once exec'd, and the interpreters' own start-up can reorder the 'start' lines.)
    r = start_chain(rqinit, log)
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()  # a requested stop is a clean exit
    assert [e[1] for e in events_named(log, "stop")] == ["c", "b", "a"]
    # Each one is signalled only after the one depending on it has exited: read from
    # rqinit's own log, written by its one thread in the order it acted.
    order = [l for l in r.stderr.splitlines() if "stopping " in l or " stopped (" in l]
    order = [" ".join(l.split(": ", 2)[2].split()[:2]) for l in order if l.count(": ") >= 2]
    expected = ["stopping c", "c stopped", "stopping b", "b stopped", "stopping a", "a stopped"]
    assert [o for o in order if o != "stopping all"] == expected, r.output()


def test_service_ignoring_sigterm_is_killed_after_stop_timeout(rqinit, log):
    r = start_chain(rqinit, log, b_extra=("--term", "ignore"), b_keys={"stop_timeout": 1.0})
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()
    # b recorded SIGTERM, ignored it, never stopped by itself; it was SIGKILLed.
    assert events_named(log, "signal", "b") and not events_named(log, "stop", "b")
    assert [e[1] for e in events_named(log, "stop")] == ["c", "a"]
    # a is signalled only once b's stop_timeout ran out and b was killed: in rqinit's log
    # (its one thread writes in the order it acted) the kill of b comes before stopping a.
    lines = r.stderr.splitlines()
    killed = [i for i, l in enumerate(lines) if "b did not stop within 1 s of SIGTERM; sending SIGKILL" in l]
    stopping_a = [i for i, l in enumerate(lines) if "stopping a with" in l]
    assert killed and stopping_a and killed[0] < stopping_a[0], r.output()
    assert first_time(log, "signal", "b") > first_time(log, "stop", "c")


def test_custom_stop_signal_is_used(rqinit, log):
    # stop_signal = "SIGUSR1" on a service that only records USR1: it is then
    # SIGKILLed after stop_timeout, proving USR1 (not TERM) was what rqinit sent.
    cfg = plan({"a": {"command": svc("--name", "a", "--log", log), "stop_signal": "SIGUSR1",
                      "stop_timeout": 0.5}})
    r = rqinit.start(config=cfg)
    wait_started(r, log, "a")
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()
    assert [e[2] for e in events_named(log, "signal", "a")] == ["SIGUSR1"]
    assert "a did not stop within 0.5 s of SIGUSR1; sending SIGKILL" in r.stderr, r.output()


def test_what_a_service_leaves_in_its_process_group_is_killed_when_it_stops(rqinit, work):
    """b's shell leaves a child that ignores SIGTERM; once b has stopped, rqinit kills
    what is left of b's group. a, which b depends on, stops after b: its before_stop
    hook looks whether the leftover is still alive at that moment."""
    pidfile, verdict = f"{work}/leftover.pid", f"{work}/verdict"
    b = ["/bin/sh", "-c", f"(trap '' TERM; exec sleep 600) & echo $! > {pidfile}; wait"]
    look = ["/bin/sh", "-c",
            f"if kill -0 $(cat {pidfile}) 2>/dev/null; then echo alive; else echo gone; fi"
            f" > {verdict}"]
    cfg = plan({"a": {"command": ["/bin/sleep", "600"], "before_stop": look},
                "b": {"command": b, "depends_on": ["a"]}})
    r = rqinit.start(config=cfg)
    r.until(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(),
            what="b's leftover child")
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()
    assert open(verdict).read().strip() == "gone", r.output()


def test_a_second_sigterm_kills_every_service_at_once(rqinit, log):
    cfg = plan({"a": {"command": svc("--name", "a", "--log", log, "--term", "ignore"),
                      "stop_timeout": 300}})
    r = rqinit.start(config=cfg)
    wait_started(r, log, "a")
    r.signal(signal.SIGTERM)
    r.until(lambda: events_named(log, "signal", "a"), what="a to get the first SIGTERM")
    r.signal(signal.SIGTERM)
    # Its stop_timeout is 300 s: an rqinit that waited for it fails this wait.
    assert r.wait(timeout=60) == 0, r.output()
    assert "received SIGTERM again: killing every service now" in r.stderr, r.output()
