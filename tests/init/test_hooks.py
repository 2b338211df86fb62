"""after_ready / before_stop / after_stop hooks run at the documented points."""
import signal

from conftest import plan, read_events, svc, wait_started


def hook(log, what):
    # Sleeps first, so a hook rqinit does not wait for would log too late.
    return ["/bin/sh", "-c", f'sleep 0.3; echo "{what} a 0" >> {log}']


def test_hooks_run_in_order_around_start_and_stop(rqinit, log):
    cfg = plan({
        "a": {"command": svc("--name", "a", "--log", log),
              "after_ready": hook(log, "after_ready"),
              "before_stop": hook(log, "before_stop"),
              "after_stop": hook(log, "after_stop")},
        "b": {"command": svc("--name", "b", "--log", log), "depends_on": ["a"]},
    })
    r = rqinit.start(config=cfg)
    wait_started(r, log, "a", "b")
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()
    # after_ready before a counts as ready (so before b starts); before_stop before
    # a gets its stop signal; after_stop once a has exited.
    seq = [f"{e[0]} {e[1]}" for e in read_events(log) if e[0] != "signal"]
    assert seq == ["start a", "after_ready a", "start b", "stop b",
                   "before_stop a", "stop a", "after_stop a"], seq


def test_a_hook_past_hook_timeout_is_killed_and_the_stop_goes_on(rqinit, log):
    cfg = plan({"a": {"command": svc("--name", "a", "--log", log),
                      "before_stop": ["/bin/sleep", "600"], "hook_timeout": 0.5}})
    r = rqinit.start(config=cfg)
    wait_started(r, log, "a")
    r.signal(signal.SIGTERM)
    assert r.wait(timeout=60) == 0, r.output()
    assert "before_stop did not finish within 0.5 s" in r.stderr, r.output()
    assert read_events(log)[-1][:2] == ("stop", "a")  # and a was stopped after it
