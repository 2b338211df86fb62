"""Two Docker hosts on one machine, joined in a swarm: `rasqberry` (manager) and `rasqberry2`.

Each host is a dockerd of its own in its own network namespace (and UTS and mount namespaces,
so that `hostname` and its mounts are its own), the two namespaces joined by one veth pair:
10.200.0.1 and 10.200.0.2. This machine's own engine is never put in swarm mode. Both engines
run `fuse_runtime` as their default runtime, which gives every container /dev/fuse: Swarm cannot
pass devices, and these kernels have no NFS client (a Raspberry Pi's kernel has one). Each host
has a DNS server that answers NXDOMAIN at once (`nxdomain_dns.py`), as a network's would.

    python3 tests/swarm/two_hosts.py up IMAGE   both engines, the swarm, IMAGE on the manager
    python3 tests/swarm/two_hosts.py down       everything above removed again

The Docker contexts `rasqberry` and `rasqberry2` (in DOCKER_CONFIG, a directory of the test's
own) reach the two engines, as `docker context create NAME --docker host=ssh://NAME` would reach
two Raspberry Pis.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUN = Path("/run/rqswarm")
DATA = Path("/var/lib/rqswarm")
DOCKER_CONFIG = RUN / "docker-config"
HOSTS = {"rasqberry": "10.200.0.1", "rasqberry2": "10.200.0.2"}
MANAGER, SECOND = "rasqberry", "rasqberry2"


def say(text):
    print(f"two_hosts: {text}", file=sys.stderr, flush=True)


def run(args, check=True, timeout=120, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {result.returncode}: "
                           f"{result.stderr.strip() or result.stdout.strip()}")
    return result


def netns(host):
    return f"rqs-{host}"


def socket(host):
    return RUN / f"{host}.sock"


def docker(host, *args, **kwargs):
    """The docker CLI against one of the two engines."""
    return run(["docker", "-H", f"unix://{socket(host)}", *args], **kwargs)


def docker_env():
    """The environment for commands that use the contexts (the deploy command, the tests)."""
    return dict(os.environ, DOCKER_CONFIG=str(DOCKER_CONFIG), DOCKER_CONTEXT=MANAGER)


def make_network():
    for host in HOSTS:
        run(["ip", "netns", "add", netns(host)])
    run(["ip", "link", "add", "rqs-eth0", "netns", netns(MANAGER), "type", "veth", "peer", "name",
         "rqs-eth0", "netns", netns(SECOND)])
    for host, address in HOSTS.items():
        inside = ["ip", "-n", netns(host)]
        run(inside + ["link", "set", "lo", "up"])
        run(inside + ["addr", "add", f"{address}/24", "dev", "rqs-eth0"])
        run(inside + ["link", "set", "rqs-eth0", "up"])


def start_dns(host):
    """A DNS server on the host's address that answers NXDOMAIN at once (nxdomain_dns.py)."""
    log = open(RUN / f"{host}-dns.log", "w")
    process = subprocess.Popen(["nsenter", f"--net=/run/netns/{netns(host)}", "/usr/bin/python3",
                                HERE / "nxdomain_dns.py", HOSTS[host]],
                               stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    (RUN / f"{host}-dns.pid").write_text(str(process.pid))


def start_engine(host):
    """dockerd as `host`: nsenter, not `ip netns exec`, which remounts /sys and hides the cgroup
    mounts (dockerd then fails with "Devices cgroup isn't mounted")."""
    data, exec_root = DATA / host, RUN / host
    data.mkdir(parents=True, exist_ok=True)
    exec_root.mkdir(parents=True, exist_ok=True)
    dockerd = ["dockerd", "--data-root", data, "--exec-root", exec_root, "-H",
               f"unix://{socket(host)}", "--pidfile", RUN / f"{host}.pid", "--bridge", "none",
               "--iptables=false", "--cgroup-parent", f"/rqswarm-{host}", "--add-runtime",
               f"fuse={HERE / 'fuse_runtime'}", "--default-runtime", "fuse",
               "--dns", HOSTS[host]]
    script = f"hostname {host} && exec {' '.join(map(str, dockerd))}"
    log = open(RUN / f"{host}.log", "w")
    subprocess.Popen(["nsenter", f"--net=/run/netns/{netns(host)}", "unshare", "--uts", "--mount",
                      "--propagation", "private", "sh", "-c", script],
                     stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)


def wait_for(what, predicate, timeout):
    say(f"waiting up to {timeout} s for {what}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


def engine_answers(host):
    return docker(host, "info", check=False, timeout=10).returncode == 0


def make_contexts():
    DOCKER_CONFIG.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DOCKER_CONFIG=str(DOCKER_CONFIG))
    for host in HOSTS:
        run(["docker", "context", "rm", "-f", host], check=False, env=env)
        run(["docker", "context", "create", host, "--docker", f"host=unix://{socket(host)}"],
            env=env)


def make_swarm():
    docker(MANAGER, "swarm", "init", "--advertise-addr", HOSTS[MANAGER], "--listen-addr",
           f"{HOSTS[MANAGER]}:2377")
    token = docker(MANAGER, "swarm", "join-token", "-q", "worker").stdout.strip()
    docker(SECOND, "swarm", "join", "--token", token, "--advertise-addr", HOSTS[SECOND],
           f"{HOSTS[MANAGER]}:2377")

    def both_ready():
        nodes = docker(MANAGER, "node", "ls", "--format", "{{.Hostname}} {{.Status}}").stdout
        return sorted(nodes.splitlines()) == sorted(f"{h} Ready" for h in HOSTS)

    wait_for("both hosts Ready in the swarm", both_ready, 60)


def load_image(image, host=MANAGER):
    """As a user builds the image on the manager: `docker save | docker load`."""
    wanted = run(["docker", "--context", "default", "image", "inspect", "-f", "{{.Id}}", image]).stdout.strip()
    there = docker(host, "image", "inspect", "-f", "{{.Id}}", image, check=False).stdout.strip()
    if there == wanted:
        return
    say(f"loading {image} into {host}'s engine")
    save = subprocess.Popen(["docker", "--context", "default", "save", image], stdout=subprocess.PIPE)
    run(["docker", "-H", f"unix://{socket(host)}", "load"], stdin=save.stdout, timeout=600)
    if save.wait() != 0:
        raise RuntimeError(f"docker save {image} failed")


def up(image):
    down(quiet=True)
    RUN.mkdir(parents=True, exist_ok=True)
    make_network()
    for host in HOSTS:
        start_dns(host)
        start_engine(host)
    for host in HOSTS:
        wait_for(f"{host}'s dockerd to answer on {socket(host)}", lambda: engine_answers(host), 60)
    make_contexts()
    make_swarm()
    load_image(image)
    say("two hosts up: rasqberry (manager, 10.200.0.1) and rasqberry2 (10.200.0.2)")


def start_engine_again(host):
    """The host's engine started again with the same data (after stop_engine, which stops its
    containers with it, as `systemctl stop docker` does): it rejoins the swarm itself."""
    start_engine(host)
    wait_for(f"{host}'s dockerd to answer again", lambda: engine_answers(host), 60)


def set_link(host, state):
    """The host's network interface up or down: a cut cable, as the other host sees it."""
    run(["ip", "-n", netns(host), "link", "set", "rqs-eth0", state])


def stop_engine(host, name=""):
    pidfile = RUN / f"{host}{name}.pid"
    if not pidfile.exists():
        return
    try:
        pid = int(pidfile.read_text())
        os.kill(pid, signal.SIGTERM)
    except (ValueError, ProcessLookupError):
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.2)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def alive(pid):
    """Running, not a zombie: the test process that started an engine is its parent, and does
    not reap it until later."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    if state == "Z":
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    return True


def kill_leftovers(host):
    """Containers' processes left in the engine's cgroups (a killed engine leaves its shims)."""
    for procs in Path("/sys/fs/cgroup").glob(f"*/rqswarm-{host}/**/cgroup.procs"):
        for pid in procs.read_text().split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


def down(quiet=False):
    for host in HOSTS:
        if socket(host).exists() and engine_answers(host):
            docker(host, "swarm", "leave", "--force", check=False, timeout=60)
        stop_engine(host)
        stop_engine(host, "-dns")
        kill_leftovers(host)
    for host in HOSTS:
        run(["ip", "netns", "del", netns(host)], check=False)
    shutil.rmtree(RUN, ignore_errors=True)
    if os.environ.get("RQSWARM_KEEP_DATA") != "1":
        shutil.rmtree(DATA, ignore_errors=True)
    if not quiet:
        say("two hosts removed")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "up" and len(sys.argv) == 3:
        up(sys.argv[2])
    elif sys.argv[1:] == ["down"]:
        down()
    else:
        sys.exit("usage: two_hosts.py up IMAGE | down")
