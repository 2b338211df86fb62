"""Restart policy: backoff that doubles up to restart_delay_max, giving up past
restart_limit with the service's status as rqinit's exit code."""
import re

from conftest import events_named, plan, svc


def starts(log, name):
    return [e[-1] for e in events_named(log, "start", name)]


def gaps(times):
    return [b - a for a, b in zip(times, times[1:])]


def logged_delays(output):
    """The delays rqinit chose, from its own log: 'restarting in 0.4 s (restart 2 of 3 ...)'."""
    return [float(d) for d in re.findall(r"crash ended .*?; restarting in ([0-9.]+) s", output)]


def crashing_plan(log, code=1, restart="on-failure", after=0.0, **keys):
    # 'steady' keeps the plan alive, so rqinit's exit is caused by 'crash' giving up.
    return plan({
        "steady": {"command": svc("--name", "steady", "--log", log)},
        "crash": {"command": svc("--name", "crash", "--log", log, "--exit", code, "--after", after),
                  "restart": restart, **keys},
    })


def test_crashing_service_restarts_with_growing_delays_then_gives_up(rqinit, log):
    cfg = crashing_plan(log, restart_delay=0.2, restart_delay_max=10.0, restart_limit=3,
                        restart_window=60.0)
    r = rqinit.run(config=cfg, timeout=15)
    assert r.returncode == 1, r.output()  # the crashing service's own status
    t = starts(log, "crash")
    assert len(t) == 4, f"expected 1 start + 3 restarts, got starts at {t}"
    # What rqinit decided, from its log; no ratio of timings that include Python's start-up.
    assert logged_delays(r.output()) == [0.2, 0.4, 0.8], r.output()
    # And that it waited: a restart comes after the service's exit, which comes after its
    # start, so each gap between two starts is at least the delay, whatever the load.
    for gap, delay in zip(gaps(t), (0.2, 0.4, 0.8)):
        assert gap >= delay, f"restarted {gap:.3f} s after the last start, before its {delay} s delay"
    # Giving up stops the rest of the plan.
    assert events_named(log, "stop", "steady"), r.output()


def test_restart_delay_is_capped_at_restart_delay_max(rqinit, log):
    cfg = crashing_plan(log, restart_delay=0.1, restart_delay_max=0.2, restart_limit=4)
    r = rqinit.run(config=cfg, timeout=15)
    assert r.returncode == 1, r.output()
    g = gaps(starts(log, "crash"))
    assert len(g) == 4, g
    assert logged_delays(r.output()) == [0.1, 0.2, 0.2, 0.2], r.output()
    assert all(gap >= 0.1 for gap in g), g


def test_failure_with_restart_never_exits_with_its_status(rqinit, log):
    # crash lives 0.5 s, so steady is up (handlers installed) when it has to stop.
    r = rqinit.run(config=crashing_plan(log, code=5, restart="never", after=0.5))
    assert r.returncode == 5, r.output()
    assert len(starts(log, "crash")) == 1
    assert events_named(log, "stop", "steady")


def test_always_restart_past_limit_of_a_zero_exit_gives_1(rqinit, log):
    r = rqinit.run(config=crashing_plan(log, code=0, restart="always", restart_delay=0.05,
                                        restart_limit=1))
    assert r.returncode == 1, r.output()  # "1 if that status was 0"
    assert len(starts(log, "crash")) == 2


def test_on_failure_does_not_restart_success_and_all_done_exits_0(rqinit, log):
    cfg = plan({n: {"command": svc("--name", n, "--log", log, "--exit", 0, "--after", 0.2),
                    "restart": "on-failure"} for n in ("x", "y")})
    r = rqinit.run(config=cfg)
    assert r.returncode == 0, r.output()
    assert len(starts(log, "x")) == 1 and len(starts(log, "y")) == 1

