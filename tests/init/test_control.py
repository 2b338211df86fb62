"""Control socket: `rqinit status` lists services with pid and state, `rqinit health`
is 0 when all are ready and 1 with a one-line reason otherwise; socket mode 0600."""
import os
import socket
import signal
import stat
import subprocess
import threading

from conftest import line_with, output_lines, plan, svc, wait_started

NOT_READY_WORDS = ("starting", "waiting", "not-ready", "unready", "pending")
READY_WORDS = ("ready", "running", "healthy")


def start_web_and_db(rqinit, work, log):
    """web: ready at once; db: ready only once the test creates db.go."""
    go = os.path.join(work, "db.go")
    cfg = plan({
        "web": {"command": svc("--name", "web", "--log", log)},
        "db": {"command": svc("--name", "db", "--log", log), "start_timeout": 30.0,
               "ready": {"command": ["/usr/bin/test", "-e", go], "interval": 0.05}},
    })
    r = rqinit.start(config=cfg)
    wait_started(r, log, "web", "db")
    r.until(lambda: rqinit.client(r, "status").returncode == 0, what="the control socket")
    return r, go


def between_questions(pid):
    """True while `rqinit health --wait` (pid) sleeps before asking again: it has asked at
    least once and was told "starting"."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            return f.read() in ("hrtimer_nanosleep", "do_nanosleep")
    except FileNotFoundError:  # it has answered and exited
        return False


def start_web_then_make_it_unhealthy(rqinit, work, log, health_retries):
    """web, healthy while the file `ok` exists: started, healthy, then the file removed until
    `rqinit health` says 1. Returns the run and the file's path (create it to heal web)."""
    ok = os.path.join(work, "healthy")
    open(ok, "w").close()
    cfg = plan({"web": {"command": svc("--name", "web", "--log", log),
                        "health_retries": health_retries,
                        "health": {"command": ["/usr/bin/test", "-e", ok], "interval": 0.05}}})
    r = rqinit.start(config=cfg)
    wait_started(r, log, "web")
    r.until(lambda: rqinit.client(r, "health").returncode == 0, what="web to be healthy")
    os.unlink(ok)
    r.until(lambda: rqinit.client(r, "health").returncode == 1, what="web to turn unhealthy")
    return r, ok


def words(line):
    return line.lower().replace("|", " ").split() if line else []


def test_health_is_1_with_reason_until_all_ready_then_0(rqinit, work, log):
    r, go = start_web_and_db(rqinit, work, log)
    h = rqinit.client(r, "health")
    assert h.returncode == 1, h.stdout + h.stderr
    reason = output_lines(h.stdout + h.stderr)
    assert len(reason) == 1 and "db" in reason[0], reason
    open(go, "w").close()
    r.until(lambda: rqinit.client(r, "health").returncode == 0, what="health to turn 0")
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()


def test_health_wait_answers_the_moment_a_starting_container_is_ready(rqinit, work, log):
    """Swarm names a task in DNS only once Docker finds it healthy: `rqinit health --wait`
    asked while the container starts answers 0 as soon as the last service is ready, not at
    Docker's next probe; without --wait the same question answers "starting" at once."""
    r, go = start_web_and_db(rqinit, work, log)
    h = rqinit.client(r, "health")
    assert h.returncode == 1 and h.stdout.startswith("starting: "), h.stdout
    # A container that stays starting: --wait gives up at its bound, still saying why (db is
    # made ready only after this answer).
    h = rqinit.client(r, "health", "--wait=0.5", timeout=10)
    assert h.returncode == 1 and h.stdout.startswith("starting: "), h.stdout
    # Asked to wait far longer than this test waits, it answers once db is ready; db is made
    # ready only once the client has been told "starting" and waits to ask again.
    asking = subprocess.Popen([rqinit.binary, "health", "--wait=600"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, text=True,
                              env=rqinit.env({"RQINIT_CONTROL_SOCKET": r.sock}))
    r.until(lambda: between_questions(asking.pid), what="the client to be told starting")
    open(go, "w").close()
    answer, _ = asking.communicate(timeout=60)
    assert asking.returncode == 0 and answer == "healthy\n", answer
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()


def test_health_wait_does_not_wait_once_the_container_was_healthy(rqinit, work, log):
    """After the first health, a failing service is reported at once even with --wait, so
    Docker's retries count it as before."""
    r, ok = start_web_then_make_it_unhealthy(rqinit, work, log, health_retries=1)
    # An rqinit that waited would time this client out long before its 600 s.
    h = rqinit.client(r, "health", "--wait=600", timeout=60)
    assert h.returncode == 1 and h.stdout.startswith("unhealthy: "), h.stdout
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()


def test_status_lists_each_service_with_pid_and_state(rqinit, work, log):
    r, go = start_web_and_db(rqinit, work, log)
    web_argv = svc("--name", "web", "--log", log)
    web_host = r.until(lambda: r.find_process(web_argv), what="web to run")
    web_pid = r.ns_pids()[web_host]  # its pid as rqinit sees it
    out = rqinit.client(r, "status").stdout
    web, db = line_with(out, "web"), line_with(out, "db")
    assert web and db, out
    assert str(web_pid) in words(web), f"web's pid {web_pid} not in: {web}"
    assert any(w in words(web) for w in READY_WORDS), web
    assert any(w in words(db) for w in NOT_READY_WORDS), db
    open(go, "w").close()
    r.until(lambda: any(w in words(line_with(rqinit.client(r, "status").stdout, "db"))
                         for w in READY_WORDS), what="db's state to become ready")
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()


def test_control_socket_is_mode_0600(rqinit, work, log):
    r, _ = start_web_and_db(rqinit, work, log)
    st = os.stat(r.sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(stat.S_IMODE(st.st_mode))


def test_status_and_health_are_1_when_rqinit_is_unreachable(rqinit, work):
    nowhere = os.path.join(work, "nobody-listens.sock")
    for cmd in ("status", "health"):
        p = rqinit.client(nowhere, cmd)
        assert p.returncode == 1, (cmd, p.stdout, p.stderr)
        assert len(output_lines(p.stdout + p.stderr)) == 1, (cmd, p.stdout, p.stderr)


def test_cmd_mode_answers_status_with_main(rqinit):
    r = rqinit.start("--", "/bin/sleep", "60")
    r.until(lambda: rqinit.client(r, "status").returncode == 0, what="the control socket")
    out = rqinit.client(r, "status").stdout
    assert line_with(out, "main"), out
    assert rqinit.client(r, "health").returncode == 0
    r.signal(signal.SIGTERM)
    assert r.wait() == 128 + signal.SIGTERM


def test_health_probe_turns_unhealthy_after_its_retries_and_back(rqinit, work, log):
    """A ready service whose health probe fails health_retries times in a row makes `rqinit
    health` say so (and it is not restarted); passing again makes it healthy again."""
    r, ok = start_web_then_make_it_unhealthy(rqinit, work, log, health_retries=2)
    reason = output_lines(rqinit.client(r, "health").stdout)
    assert len(reason) == 1 and "web failed its health check" in reason[0], reason
    web = line_with(rqinit.client(r, "status").stdout, "web").split()
    assert web[3] == "0", f"web was restarted: {web}"  # SERVICE PID STATE RESTARTS ...
    open(ok, "w").close()
    r.until(lambda: rqinit.client(r, "health").returncode == 0, what="web to be healthy again")
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()


def test_health_stays_healthy_below_health_retries(rqinit, work, log):
    """health_retries = 3: after two failed health checks in a row the service is still
    healthy; only the third makes it unhealthy. The probe counts its own runs, and only one
    runs at a time, so when the count shows 2 at most two failures have been taken in."""
    count = os.path.join(work, "count")
    probe = ["/bin/sh", "-c", f"echo x >> {count}; exit 1"]
    cfg = plan({"web": {"command": svc("--name", "web", "--log", log), "health_retries": 3,
                        "health": {"command": probe, "interval": 1.0}}})
    r = rqinit.start(config=cfg)
    wait_started(r, log, "web")
    runs = lambda: len(open(count).read().split()) if os.path.exists(count) else 0
    r.until(lambda: runs() == 2, what="the second health check", timeout=20)
    h = rqinit.client(r, "health")
    assert h.returncode == 0, f"unhealthy after {runs()} checks: {h.stdout}"
    r.until(lambda: runs() >= 4, what="the fourth health check", timeout=20)
    h = rqinit.client(r, "health")
    assert h.returncode == 1 and "times in a row" in h.stdout, h.stdout
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()


def silent_clients(path, count):
    """count connections to the control socket that never send a byte."""
    held = []
    for _ in range(count):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        held.append(s)
    return held


def answer_to(path, data):
    """What rqinit sends back, to its end of file, after data (bytes) on one connection."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(path)
        s.sendall(data)
        reply = b""
        try:
            while chunk := s.recv(4096):
                reply += chunk
        except ConnectionResetError:
            pass  # closed with some of an oversized request unread: the answer came first
    return reply.decode()


def restarts_of(rqinit, r, name):
    row = line_with(rqinit.client(r, "status").stdout, name)
    return int(row.split()[3]) if row else -1  # SERVICE PID STATE RESTARTS ...


def test_a_crowd_of_silent_clients_delays_neither_answers_nor_restarts(rqinit, work, log):
    """Root clients that connect and say nothing, more than rqinit serves at once and renewed
    as it drops them: `rqinit status` is still answered, and a killed service is still reaped
    and restarted. PID 1 never waits on a client."""
    cfg = plan({"web": {"command": svc("--name", "web", "--log", log), "restart": "always",
                        "restart_delay": 0.1}})
    r = rqinit.start(config=cfg)
    wait_started(r, log, "web")
    r.until(lambda: rqinit.client(r, "status").returncode == 0, what="the control socket")
    stop = threading.Event()
    crowd = silent_clients(r.sock, 40)

    def keep_the_crowd():
        while not stop.is_set():
            crowd.pop(0).close()
            crowd.extend(silent_clients(r.sock, 1))

    renewer = threading.Thread(target=keep_the_crowd)
    renewer.start()
    try:
        status = rqinit.client(r, "status")
        assert status.returncode == 0 and line_with(status.stdout, "web"), status.stdout + status.stderr
        web = r.until(lambda: r.find_process(svc("--name", "web", "--log", log)), what="web")
        os.kill(web, signal.SIGKILL)
        r.until(lambda: restarts_of(rqinit, r, "web") == 1, what="web restarted, the crowd held")
        # Counted once rqinit decides the restart; healthy again once web is back.
        r.until(lambda: rqinit.client(r, "health").stdout == "healthy\n", what="web back")
    finally:
        stop.set()
        renewer.join()
        for s in crowd:
            s.close()
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()


def test_a_silent_client_gets_one_line_then_end_of_file(rqinit, work, log):
    r, _ = start_web_and_db(rqinit, work, log)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(r.sock)
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    assert reply == b"error: no request within 5 s (known: status, health)\n", reply
    assert rqinit.client(r, "status").returncode == 0


def test_an_oversized_or_unknown_request_gets_one_line_and_harms_nothing(rqinit, work, log):
    r, _ = start_web_and_db(rqinit, work, log)
    oversized = answer_to(r.sock, b"x" * 10_000)
    assert oversized == ("error: request longer than 256 bytes with no end of line "
                         "(known: status, health)\n"), oversized[:300]
    unknown = answer_to(r.sock, b"reboot\n")
    assert unknown == "error: unknown request 'reboot' (known: status, health)\n", unknown
    assert rqinit.client(r, "status").returncode == 0
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.output()
