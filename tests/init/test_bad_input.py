"""Bad input: each mistake gives exactly one error line naming its cause, the
documented exit code, and nothing is started (a 'marker' service listed first in
the same file would create a file the moment it ran)."""
import os
import re
import signal
import subprocess

import pytest

from conftest import output_lines, plan, toml_value


@pytest.fixture
def marker(work):
    return os.path.join(work, "marker-ran")


def marker_service(marker):
    return f'[services.marker]\ncommand = ["/bin/sh", "-c", ": > {marker}; exec sleep 60"]\n\n'


def the_error(r):
    lines = output_lines(r.stdout + r.stderr)
    assert len(lines) == 1, f"expected exactly one error line, got {lines}"
    return lines[0]


def names_line(message, path, line):
    """The message names line number `line` (outside the file path itself)."""
    return re.search(rf"(?<![\d.]){line}(?!\d)", message.replace(path, "")) is not None


def check_rejected(rqinit, marker, body, code, *named, line=None):
    """Run rqinit on marker + body; assert code, one line naming `named`, marker absent."""
    r = rqinit.run(config=marker_service(marker) + body)
    assert r.returncode == code, r.output()
    msg = the_error(r)
    for word in named:
        assert word in msg, f"{word!r} not named in: {msg}"
    if line is not None:
        cfg = rqinit.path(f"r{rqinit.n}.toml")
        assert names_line(msg, cfg, line), f"line {line} not named in: {msg}"
    assert not os.path.exists(marker), "a service was started despite the error"
    return msg


def test_missing_config_file_exits_3_naming_it(rqinit, work):
    path = os.path.join(work, "does-not-exist.toml")
    r = rqinit.run("--config", path)
    assert r.returncode == 3, r.output()
    assert path in the_error(r)


def test_syntax_error_exits_3_naming_file_and_line(rqinit, marker):
    # Lines 1-3 are the marker service; line 4 opens the table; line 5 is broken.
    body = '[services.broken]\nrestart = "never\ncommand = ["/bin/true"]\n'
    msg = check_rejected(rqinit, marker, body, 3, line=5)
    assert os.path.basename(rqinit.path(f"r{rqinit.n}.toml")) in msg, msg


def test_unknown_key_exits_3_naming_line_and_key(rqinit, marker):
    body = '[services.broken]\ncommand = ["/bin/true"]\ncolour = "blue"\n'
    check_rejected(rqinit, marker, body, 3, "colour", line=6)


@pytest.mark.parametrize("key,value", [
    ("restart", "sometimes"),
    ("stop_signal", "SIGNOPE"),
    ("start_timeout", "soon"),
    ("output", "somewhere"),
])
def test_bad_value_exits_3_naming_key(rqinit, marker, key, value):
    body = f'[services.broken]\ncommand = ["/bin/true"]\n{key} = {toml_value(value)}\n'
    check_rejected(rqinit, marker, body, 3, key, line=6)


def test_unknown_user_exits_3_naming_it(rqinit, marker):
    body = plan({"broken": {"command": ["/bin/true"], "user": "rq-no-such-user"}})
    check_rejected(rqinit, marker, body, 3, "rq-no-such-user")


def test_unknown_group_exits_3_naming_it(rqinit, marker):
    body = plan({"broken": {"command": ["/bin/true"], "user": "nobody:rq-no-such-group"}})
    check_rejected(rqinit, marker, body, 3, "rq-no-such-group")


def test_dependency_cycle_exits_3_naming_its_services(rqinit, marker):
    body = plan({"ping": {"command": ["/bin/true"], "depends_on": ["pong"]},
                 "pong": {"command": ["/bin/true"], "depends_on": ["ping"]}})
    check_rejected(rqinit, marker, body, 3, "ping", "pong")


def test_unknown_dependency_exits_3_naming_it(rqinit, marker):
    body = plan({"lonely": {"command": ["/bin/true"], "depends_on": ["ghost"]}})
    check_rejected(rqinit, marker, body, 3, "ghost")


def test_missing_command_key_exits_3(rqinit, marker):
    body = '[services.broken]\nrestart = "never"\n'
    check_rejected(rqinit, marker, body, 3, "command")


def test_nonexistent_executable_exits_127_before_starting(rqinit, marker):
    body = plan({"broken": {"command": ["/nonexistent/rq-daemon"]}})
    check_rejected(rqinit, marker, body, 127, "/nonexistent/rq-daemon")


def test_non_executable_file_exits_126_before_starting(rqinit, marker):
    path = rqinit.write("not-executable", "#!/bin/sh\n", mode=0o644)
    body = plan({"broken": {"command": [path]}})
    check_rejected(rqinit, marker, body, 126, path)


def test_unknown_role_exits_3_naming_it(rqinit, marker):
    r = rqinit.run("--role", "rq-no-such-role", config=marker_service(marker))
    assert r.returncode == 3, r.output()
    assert "rq-no-such-role" in the_error(r)
    assert not os.path.exists(marker)


def test_unknown_option_exits_2(rqinit, marker):
    # A usage error may add a hint line ("Run with --help"); the first line names it.
    r = rqinit.run("--frobnicate", config=marker_service(marker))
    assert r.returncode == 2, r.output()
    assert "--frobnicate" in output_lines(r.stderr)[0], r.output()
    assert not os.path.exists(marker)


def test_bad_log_level_exits_2(rqinit):
    r = rqinit.run("--log-level", "loud", "--", "/bin/true")
    assert r.returncode == 2, r.output()
    assert "loud" in output_lines(r.stderr)[0], r.output()


def test_config_together_with_a_command_exits_2(rqinit, marker):
    # With -- CMD no config file is read; asking for one too is a usage error.
    r = rqinit.run("--", "/bin/sh", "-c", f": > {marker}", config=marker_service(marker))
    assert r.returncode == 2, r.output()
    assert not os.path.exists(marker)


def test_unusable_control_socket_path_exits_111(rqinit, marker):
    # The socket's directory would be a regular file: bind cannot succeed. A system call
    # rqinit itself needs failed: 111, before any service ran.
    blocker = rqinit.write("a-file", "")
    sock = os.path.join(blocker, "control.sock")
    r = rqinit.run("--control-socket", sock, config=marker_service(marker),
                   control_socket=False, timeout=3)
    assert r.returncode == 111, r.output()
    assert sock in the_error(r) or blocker in the_error(r)
    assert not os.path.exists(marker)


def is_static(binary):
    with open(binary, "rb") as f:
        return b"/ld-linux" not in f.read(8192)  # no program interpreter named


def test_running_out_of_fds_never_aborts_rqinit(rqinit, rqinit_bin):
    """An error inside the event loop (here: pipe2 fails with EMFILE while a service starts)
    must lead to the ordered stop and exit 111, never to an abort of PID 1 nor to a hang.
    The fd limit is walked, so that each place rqinit opens an fd fails once."""
    cfg = plan({"a": {"command": ["/bin/sleep", "60"]},
                "b": {"command": ["/bin/sleep", "61"], "depends_on": ["a"]}})
    contained = 0
    for limit in range(4, 16):
        r = rqinit.start(config=cfg, setup_sh=f"ulimit -n {limit}")
        try:
            code = r.proc.wait(timeout=3)  # it ends by itself, or it is still running
        except subprocess.TimeoutExpired:
            if "unexpected error in rqinit" in r.stderr:
                code = r.wait(timeout=15)  # a contained error stops everything by itself
            else:
                r.signal(signal.SIGTERM)
                code = r.wait(timeout=20)
        err = r.stderr
        assert "terminate called" not in err and code not in (134, 139), (limit, r.output())
        if "unexpected error in rqinit" in err:
            contained += 1
            assert code == 111, (limit, r.output())
            assert "stopping all services: unexpected error" in err, (limit, r.output())
        else:
            assert code in (0, 111), (limit, r.output())
    assert contained >= 1, "no fd limit reached an error inside the loop"


def test_a_bad_lost_node_grace_exits_3_before_the_controller_starts(rqinit, marker):
    # lost-nodes would refuse it itself, but only after slurmctld started, and its restarts
    # would repeat the error until the container stopped.
    r = rqinit.run("--role", "slurmctld", config=marker_service(marker),
                   env={"RQINIT_LOST_NODE_GRACE": "10s"})
    assert r.returncode == 3, r.output()
    assert the_error(r) == ("rqinit: error: RQINIT_LOST_NODE_GRACE='10s': not a number of seconds "
                            "above 0 (lost-nodes's grace period); set it to one, such as 120, or "
                            "unset it")
    assert not os.path.exists(marker)
