"""Signals to rqinit reach the right process groups.

CMD mode: every signal is forwarded to the main command's process group (so its
children in that group get it too, a process in another session does not).
Plan mode: SIGHUP/SIGUSR1 go to every service's process group; SIGTERM/SIGINT stop
the services in reverse dependency order and rqinit exits 0.
"""
import signal

import pytest

from conftest import events_named, first_time, plan, svc, wait_started


def signals_seen(log, name):
    return [e[2] for e in events_named(log, "signal", name)]


def test_cmd_mode_forwards_each_signal_to_the_commands_group(rqinit, log):
    r = rqinit.start("--", *svc("--name", "main", "--log", log, "--child", "--outsider",
                                "--term-code", "7"))
    wait_started(r, log, "main", "main.child", "main.outsider")
    for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT):
        r.signal(sig)
        for who in ("main", "main.child"):
            r.until(lambda: sig.name in signals_seen(log, who), what=f"{who} to get {sig.name}")
    r.signal(signal.SIGTERM)
    # main exits 7 on SIGTERM after its child did: rqinit passes that status on.
    assert r.wait() == 7, r.output()
    assert signals_seen(log, "main") == ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGINT", "SIGTERM"]
    assert signals_seen(log, "main.child") == ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGINT", "SIGTERM"]
    # The outsider called setsid(): it is not in main's group and must get nothing.
    assert signals_seen(log, "main.outsider") == []


def two_service_plan(log):
    return plan({
        "a": {"command": svc("--name", "a", "--log", log, "--child"), "stop_timeout": 5.0},
        "b": {"command": svc("--name", "b", "--log", log, "--child"), "depends_on": ["a"],
              "stop_timeout": 5.0},
    })


def test_plan_mode_forwards_hup_and_usr1_to_every_service_group(rqinit, log):
    r = rqinit.start(config=two_service_plan(log))
    wait_started(r, log, "a", "a.child", "b", "b.child")
    for sig in (signal.SIGHUP, signal.SIGUSR1):
        r.signal(sig)
        for who in ("a", "a.child", "b", "b.child"):
            r.until(lambda: sig.name in signals_seen(log, who), what=f"{who} to get {sig.name}")
    assert r.running(), "rqinit must keep running after SIGHUP/SIGUSR1\n" + r.output()
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()
    # Each got each forwarded signal exactly once.
    for who in ("a", "a.child", "b", "b.child"):
        assert signals_seen(log, who) == ["SIGHUP", "SIGUSR1", "SIGTERM"], who


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_plan_mode_term_and_int_stop_services_in_reverse_order(rqinit, log, sig):
    r = rqinit.start(config=two_service_plan(log))
    wait_started(r, log, "a", "a.child", "b", "b.child")
    r.signal(sig)
    assert r.wait() == 0, r.output()
    stops = [e[1] for e in events_named(log, "stop") if "." not in e[1]]
    assert stops == ["b", "a"], stops
    # a is sent its stop signal only once b has exited.
    assert first_time(log, "signal", "a") > first_time(log, "stop", "b")
    # Services get their stop_signal (SIGTERM), whichever of TERM/INT rqinit got.
    assert signals_seen(log, "b") == ["SIGTERM"]
    assert signals_seen(log, "a.child") == ["SIGTERM"]
