"""Privilege drop: user/group/supplementary groups and the capability bounding set,
read from /proc/PID/status of the running service."""
import os
import time
import signal
import socket

from conftest import PYTHON, plan, proc_status

CAP_NET_BIND_SERVICE = 1 << 10
NOBODY = "65534"
EXTRA_GID = "4242"
SLEEP = ["/bin/sleep", "4242"]  # a unique command line to find the service by


def fake_group_file(rqinit):
    # nobody is also a member of 'rqtest' (4242): the drop must set that supplementary
    # group from /etc/group and drop root's group 0. The file is bind-mounted over
    # /etc/group inside rqinit's private mount namespace only.
    with open("/etc/group") as f:
        text = f.read()
    path = rqinit.write("group", text.rstrip("\n") + f"\nrqtest:x:{EXTRA_GID}:nobody\n")
    return f"mount --bind {path} /etc/group"


def service_status(rqinit, keys, setup_sh=None):
    """Start one service running SLEEP with keys; return (run, its /proc status)."""
    r = rqinit.start(config=plan({"s": {"command": SLEEP, **keys}}), setup_sh=setup_sh)
    # The command line is SLEEP only after execve, which comes after the drop.
    pid = r.until(lambda: r.find_process(SLEEP), what="the service to run")
    status = proc_status(pid)
    assert status, "service vanished\n" + r.output()
    return r, status


def caps(status, key):
    return int(status[key], 16)


def stop(r):
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()


def test_user_group_and_bounding_set_are_dropped(rqinit):
    r, st = service_status(rqinit, {"user": "nobody:nogroup",
                                    "capabilities": ["CAP_NET_BIND_SERVICE"]},
                           setup_sh=fake_group_file(rqinit))
    assert st["Uid"].split() == [NOBODY] * 4, st["Uid"]
    assert st["Gid"].split() == [NOBODY] * 4, st["Gid"]
    # With an explicit group docs/reference.md leaves supplementary groups open: either only
    # nogroup, or nobody's /etc/group memberships too; never root's group 0.
    groups = set(st["Groups"].split())
    assert NOBODY in groups and groups <= {EXTRA_GID, NOBODY}, st["Groups"]
    assert caps(st, "CapBnd") == CAP_NET_BIND_SERVICE, st["CapBnd"]
    # The kept capability is usable by the non-root user (the point of keeping
    # CAP_NET_BIND_SERVICE for nobody); nothing else is effective or permitted.
    assert caps(st, "CapEff") == CAP_NET_BIND_SERVICE, st["CapEff"]
    assert caps(st, "CapPrm") == CAP_NET_BIND_SERVICE, st["CapPrm"]
    stop(r)


def test_user_without_group_gets_primary_group_from_passwd(rqinit):
    r, st = service_status(rqinit, {"user": "nobody"}, setup_sh=fake_group_file(rqinit))
    assert st["Uid"].split() == [NOBODY] * 4, st["Uid"]
    assert st["Gid"].split() == [NOBODY] * 4, st["Gid"]
    assert "0" not in st["Groups"].split(), st["Groups"]
    assert EXTRA_GID in st["Groups"].split(), st["Groups"]
    assert caps(st, "CapEff") == 0, st["CapEff"]  # a plain non-root user has none
    stop(r)


def test_root_service_with_empty_capabilities_has_none(rqinit):
    r, st = service_status(rqinit, {"capabilities": []})
    assert st["Uid"].split() == ["0"] * 4
    assert caps(st, "CapBnd") == 0, st["CapBnd"]
    assert caps(st, "CapEff") == 0, st["CapEff"]
    assert caps(st, "CapPrm") == 0, st["CapPrm"]
    stop(r)


def test_absent_capabilities_leave_bounding_set_unchanged(rqinit):
    r, st = service_status(rqinit, {})
    mine = proc_status("self")
    assert st["CapBnd"] == mine["CapBnd"]
    assert st["CapEff"] == mine["CapEff"]
    stop(r)


def free_low_port():
    for port in range(900, 1024):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port below 1024")


def bind_as_nobody(rqinit, keys):
    """rqinit's exit code for a one-shot service binding a port < 1024 as nobody."""
    port = free_low_port()
    code = f"import socket; socket.socket().bind(('127.0.0.1', {port}))"
    cfg = plan({"bind": {"command": [PYTHON, "-c", code], "user": "nobody:nogroup",
                         "restart": "never", **keys}})
    return rqinit.run(config=cfg)


def test_kept_net_bind_service_lets_nobody_bind_a_low_port(rqinit):
    r = bind_as_nobody(rqinit, {"capabilities": ["CAP_NET_BIND_SERVICE"]})
    assert r.returncode == 0, r.output()


def test_without_the_capability_nobody_cannot_bind_a_low_port(rqinit):
    # The control for the test above: the bind really needs the capability.
    r = bind_as_nobody(rqinit, {})
    assert r.returncode == 1, r.output()


def test_user_deleted_from_passwd_between_starts_changes_nothing(rqinit, work):
    """Users are resolved once, before anything starts: a user that disappears from
    /etc/passwd later neither kills rqinit (it once aborted as PID 1 on an uncaught
    exception) nor changes who the restarted service runs as."""
    with open("/etc/passwd") as f:
        base = f.read().rstrip("\n") + "\n"
    passwd = rqinit.write("passwd", base + "rqgone:x:4343:4343::/:/bin/false\n")
    crash = ["/bin/sh", "-c", "sleep 0.4; exit 1", "rqgone-service"]
    cfg = plan({"s": {"command": crash, "user": "rqgone:4343", "restart_delay": 0.1,
                      "restart_limit": 100}})
    r = rqinit.start(config=cfg, setup_sh=f"mount --bind {passwd} /etc/passwd")
    first = r.until(lambda: r.find_process(crash), what="the service to run")
    assert proc_status(first)["Uid"].split()[0] == "4343"
    with open(passwd, "w") as f:  # the same inode: the bind mount sees the change
        f.write(base)
    again = r.until(lambda: (p := r.find_process(crash)) and p != first and p,
                    what="the service to be restarted", timeout=20)
    assert proc_status(again)["Uid"].split()[0] == "4343", r.output()
    assert r.running(), r.output()
    stop(r)
    assert "terminate called" not in r.stderr


def test_a_service_has_only_stdin_stdout_and_stderr(rqinit):
    """Nothing rqinit opened (its /dev/null, pipes, sockets, epoll, signalfd) leaks into a
    service: every fd of its own is close-on-exec."""
    r, _ = service_status(rqinit, {})
    pid = r.find_process(SLEEP)
    # sleep itself opens its locale files for a moment as it starts: an fd that rqinit leaked
    # stays, one of sleep's own goes. Look until only 0, 1 and 2 are left, for up to 2 s.
    leaked = {}
    for _ in range(20):
        fds = sorted(os.listdir(f"/proc/{pid}/fd"), key=int)
        if fds == ["0", "1", "2"]:
            break
        leaked = {fd: os.path.realpath(f"/proc/{pid}/fd/{fd}") for fd in fds if int(fd) > 2}
        time.sleep(0.1)
    assert fds == ["0", "1", "2"], leaked
    stop(r)
