"""Oneshot services: a setup step whose exit 0 is what its dependents wait for."""
import signal

from conftest import events_named, line_with, plan, svc, wait_started


def test_oneshot_with_the_default_restart_policy_is_done_and_its_dependent_starts(rqinit, log):
    # restart is left at its default (always): exit 0 must still mean done, not a restart.
    cfg = plan({
        "setup": {"command": svc("--name", "setup", "--log", log, "--exit", 0, "--after", 0.2),
                  "oneshot": True},
        "app": {"command": svc("--name", "app", "--log", log), "depends_on": ["setup"]},
    })
    r = rqinit.start(config=cfg)
    wait_started(r, log, "app")
    assert len(events_named(log, "start", "setup")) == 1, r.output()
    assert events_named(log, "exit", "setup")[0][-1] < events_named(log, "start", "app")[0][-1]
    status = rqinit.client(r, "status").stdout
    assert line_with(status, "setup").split()[2] == "done", status
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()
    assert "restarting" not in r.stderr, r.output()


def test_a_failing_oneshot_follows_its_restart_policy(rqinit, log):
    cfg = plan({
        "setup": {"command": svc("--name", "setup", "--log", log, "--exit", 3),
                  "oneshot": True, "restart": "never"},
        "app": {"command": svc("--name", "app", "--log", log), "depends_on": ["setup"]},
    })
    r = rqinit.run(config=cfg)
    assert r.returncode == 3, r.output()
    assert not events_named(log, "start", "app"), r.output()
