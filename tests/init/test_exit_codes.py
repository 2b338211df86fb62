"""CMD mode (`rqinit -- CMD`): rqinit exits with CMD's status, 128+N for a signal,
126/127 for a command that cannot be executed / does not exist."""
import os
import signal

import pytest



def test_every_exit_status_0_to_255_is_passed_through(rqinit):
    # All 256 codes in one test, run in parallel batches to keep it fast.
    mismatches = {}
    for batch in range(0, 256, 32):
        runs = {code: rqinit.start("--", "/bin/sh", "-c", f"exit {code}")
                for code in range(batch, batch + 32)}
        for code, run in runs.items():
            if run.wait() != code:
                mismatches[code] = (run.returncode, run.stderr[-300:])
    assert not mismatches, f"expected code -> (got, stderr tail): {mismatches}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGUSR1, signal.SIGKILL, signal.SIGSEGV])
def test_command_killed_by_signal_gives_128_plus_n(rqinit, sig):
    r = rqinit.run("--", "/bin/sh", "-c", f"kill -{sig.name[3:]} $$")
    assert r.returncode == 128 + sig, r.output()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGUSR1, signal.SIGINT])
def test_signal_to_rqinit_kills_unhandling_command_128_plus_n(rqinit, work, sig):
    # `sleep` does not handle these signals: rqinit forwards the signal, sleep dies of it,
    # and rqinit reports it the shell way (TERM -> 143, USR1 -> 138, INT -> 130).
    marker = rqinit.path("started")
    r = rqinit.start("--", "/bin/sh", "-c", f": > {marker}; exec sleep 60")
    r.until(lambda: os.path.exists(marker), what="the command to start")
    r.until(lambda: r.find_process(["sleep", "60"]), what="sleep to be exec'd")
    r.signal(sig)
    assert r.wait() == 128 + sig, r.output()


def test_non_executable_file_gives_126(rqinit):
    path = rqinit.write("not-executable", "#!/bin/sh\nexit 0\n", mode=0o644)
    r = rqinit.run("--", path)
    assert r.returncode == 126, r.output()
    assert path in r.stdout + r.stderr


def test_directory_as_command_gives_126(rqinit, work):
    r = rqinit.run("--", work)
    assert r.returncode == 126, r.output()


@pytest.mark.parametrize("cmd", ["/nonexistent/rq-cmd", "rq-no-such-command-in-path"])
def test_missing_command_gives_127(rqinit, cmd):
    r = rqinit.run("--", cmd)
    assert r.returncode == 127, r.output()
    assert cmd in r.stdout + r.stderr


def test_command_looked_up_in_path(rqinit):
    r = rqinit.run("--", "sh", "-c", "exit 42")
    assert r.returncode == 42, r.output()


def test_stdout_of_command_is_rqinits_own(rqinit):
    # In CMD mode the command writes to rqinit's stdout unprefixed (like tini).
    r = rqinit.run("--", "/bin/echo", "hello from main")
    assert r.returncode == 0, r.output()
    assert "hello from main\n" in r.stdout.splitlines(keepends=True)


def test_usage_error_gives_2(rqinit):
    r = rqinit.run("--no-such-option")
    assert r.returncode == 2, r.output()


def test_the_command_runs_in_rqinits_directory_and_a_relative_path_works(rqinit, work):
    """As with tini: `cd DIR && rqinit -- ./prog` runs DIR/prog in DIR, not in /."""
    script = os.path.join(work, "where.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\npwd > where.out\n")
    os.chmod(script, 0o755)
    r = rqinit.run("--", "/bin/sh", "-c", f"cd {work} && exec {rqinit.binary} -- ./where.sh")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(work, "where.out")) as f:
        assert f.read().strip() == work
