#!/usr/bin/python3
"""Phase 3's figures: the Swarm stack on two Docker engines (tests/swarm/two_hosts.py), with the
Compose cluster on this machine's own engine as the reference, measured in the same run.

Per run (medians and min-max over --runs):
  1. compose up     `docker compose up -d` of stack/compose.yml (+ compose.nfs.yml) on fresh
                    volumes -> c1, c2, q1 idle in sinfo; the reference for (2)
  2. deploy         `stack/swarm deploy` on fresh volumes -> c1..c4, q1, q2 idle
  3. host back      the second engine stopped (its containers with it), then started:
                    start -> c3, c4, q2 idle again
  4. new node       a service c5 added to the stack (bench/swarm-c5.yml) -> `srun -w c5` runs
  5. reconfigure    a partition's MaxTime changed, `stack/swarm reconfigure` -> every node's
                    slurm.conf has it (slurmd's configless copy; login's installed file)
Goals: (2) within 1.5x of (1); (3), (4), (5) each under 10 s. Slurm's own timers that
bound them are printed beside. Times are taken by polling every 0.2 s from the start of the
command the user runs; each poll is `sinfo`/`scontrol` run on login or on the node.

Only the two test engines, their swarm and the Compose project rqswbench are touched; the swarm
is removed at the end (two_hosts.py down). Exit 0 when every figure was measured, 1 if not.
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "swarm"))
import two_hosts  # noqa: E402

IMAGE = "rqinit/rasqberry:latest"
STACK = "slurm"
POLL_S = 0.2
ETC = Path("/tmp/rqswbench-etc")  # the stack's Slurm files: a copy, changed by (5)
SWARM_ENV = dict(two_hosts.docker_env(), RQINIT_IMAGE=IMAGE, RQINIT_SLURM_ETC=str(ETC))
COMPOSE_ENV = dict(os.environ, COMPOSE_PROJECT_NAME="rqswbench", RQINIT_IMAGE=IMAGE,
                   RQINIT_SLURM_ETC=str(ETC))


def log(text):
    print(f"swarm_bench: {text}", file=sys.stderr, flush=True)


def run(args, env, timeout=900, check=True):
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args[:5]))} exited {result.returncode}: "
                           f"{(result.stderr or result.stdout).strip()[-500:]}")
    return result


def poll(what, predicate, start, timeout):
    """Seconds from start until predicate() is true, polling every POLL_S."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic() - start
        time.sleep(POLL_S)
    raise RuntimeError(f"{what}: not within {timeout} s")


# ------------------------------------------------------------------- Swarm helpers

def swarm_docker(host, *args, check=False, timeout=60):
    return run(["docker", "--context", host, *args], SWARM_ENV, timeout=timeout, check=check)


def task(service):
    for host in two_hosts.HOSTS:
        ids = swarm_docker(host, "ps", "-q", "-f",
                           f"label=com.docker.swarm.service.name={STACK}_{service}",
                           "-f", "status=running").stdout.split()
        if ids:
            return host, ids[0]
    return None


def on_swarm(service, *command):
    where = task(service)
    if not where:
        return ""
    return swarm_docker(where[0], "exec", where[1], *command, timeout=30).stdout


def idle_on_swarm(nodes):
    out = on_swarm("login", "sinfo", "-h", "-N", "-o", "%N %t")
    states = dict(line.split() for line in out.splitlines() if line.strip())
    return all(states.get(node) == "idle" for node in nodes)


def remove_stack_and_volumes():
    run(["bash", str(REPO / "stack" / "swarm"), "undeploy"], SWARM_ENV, check=False)
    names = swarm_docker(two_hosts.MANAGER, "volume", "ls", "-q").stdout.split()
    volumes = [name for name in names if name.startswith(f"{STACK}_")]
    if volumes:
        swarm_docker(two_hosts.MANAGER, "volume", "rm", "-f", *volumes)


# ------------------------------------------------------------------- the figures

def compose_up():
    """stack/cluster's compose: compose.yml and compose.nfs.yml, as make up starts them."""
    compose = ["bash", str(REPO / "stack" / "cluster"), "compose"]
    # Nothing else running: the previous run's stack would slow the reference down.
    remove_stack_and_volumes()
    run(compose + ["down", "--volumes"], COMPOSE_ENV, check=False)
    start = time.monotonic()
    run(compose + ["up", "-d"], COMPOSE_ENV)

    def idle():
        out = run(compose + ["exec", "-T", "login", "sinfo", "-h", "-N", "-o", "%N %t"],
                  COMPOSE_ENV, check=False).stdout
        states = dict(line.split() for line in out.splitlines() if line.strip())
        return all(states.get(node) == "idle" for node in ("c1", "c2", "q1"))
    seconds = poll("compose: c1, c2, q1 idle", idle, start, 600)
    run(compose + ["down", "--volumes"], COMPOSE_ENV, check=False)
    return seconds


def deploy():
    remove_stack_and_volumes()
    start = time.monotonic()
    deploying = subprocess.Popen(["bash", str(REPO / "stack" / "swarm"), "deploy"],
                                 env=SWARM_ENV, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    seconds = poll("swarm: every node idle",
                   lambda: idle_on_swarm(["c1", "c2", "c3", "c4", "q1", "q2"]), start, 900)
    if deploying.wait(timeout=900) != 0:
        raise RuntimeError("stack/swarm deploy failed")
    return seconds


def host_back():
    two_hosts.stop_engine(two_hosts.SECOND)

    def gone():
        out = on_swarm("login", "sinfo", "-h", "-N", "-o", "%N %t")
        return not any(line.split()[0] in ("c3", "c4", "q2") and line.split()[1] == "idle"
                       for line in out.splitlines() if line.strip())
    poll("c3, c4, q2 out of service", gone, time.monotonic(), 120)
    start = time.monotonic()
    two_hosts.start_engine(two_hosts.SECOND)
    return poll("c3, c4, q2 idle again", lambda: idle_on_swarm(["c3", "c4", "q2"]), start, 600)


def new_node():
    """As a user adds a node: a stack file with one more service, and make deploy."""
    start = time.monotonic()
    deploying = subprocess.Popen(["bash", str(REPO / "stack" / "swarm"), "deploy"],
                                 env=dict(SWARM_ENV, RQINIT_STACK_EXTRA=str(REPO / "bench" / "swarm-c5.yml")),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def runs():
        return "c5" in on_swarm("login", "srun", "-w", "c5", "-p", "normal", "-t", "1", "hostname")
    seconds = poll("a job on c5", runs, start, 600)
    if deploying.wait(timeout=900) != 0:
        raise RuntimeError("stack/swarm deploy with c5 failed")
    # c5 leaves again (its clean stop deletes it from Slurm): the next run starts as this one.
    run(["docker", "service", "rm", f"{STACK}_c5"], SWARM_ENV, check=False)
    return seconds


def reconfigure():
    """From `stack/swarm reconfigure`'s start to the new MaxTime on every node, polled while the
    command runs (it goes on to each container's features); the command's own time is kept too."""
    conf = ETC / "slurm.conf"
    text = conf.read_text()
    minutes = 30 + int(time.time()) % 20
    conf.write_text(text.replace("MaxTime=INFINITE", f"MaxTime={minutes}", 1))
    wanted = f"MaxTime={minutes // 60:02d}:{minutes % 60:02d}:00"
    start = time.monotonic()
    command = subprocess.Popen(["bash", str(REPO / "stack" / "swarm"), "reconfigure"],
                               env=SWARM_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    # Each node's own copy (configless: slurmd's; login: the installed file), each node looked
    # at until it has it, then not again: one `docker exec` a look, containers found beforehand.
    copies = {node: "/run/slurm/conf/slurm.conf" for node in ("c1", "c2", "c3", "c4", "q1", "q2")}
    copies["login"] = "/etc/slurm/slurm.conf"
    where = {node: task(node) for node in copies}
    pending = set(copies)

    def everywhere():
        for node in sorted(pending):
            host, container = where[node]
            shown = swarm_docker(host, "exec", container, "cat", copies[node]).stdout
            if f"MaxTime={minutes}" in shown:
                pending.discard(node)
        return not pending
    seconds = poll("the new MaxTime in every node's slurm.conf", everywhere, start, 120)
    assert wanted in on_swarm("login", "scontrol", "show", "partition", "normal")
    if command.wait(timeout=300) != 0:
        raise RuntimeError("stack/swarm reconfigure failed")
    COMMAND_SECONDS.append(time.monotonic() - start)
    conf.write_text(text)
    run(["bash", str(REPO / "stack" / "swarm"), "reconfigure"], SWARM_ENV)
    return seconds


COMMAND_SECONDS = []  # stack/swarm reconfigure, start to end


def summary(values):
    return f"{statistics.median(values):.1f} s ({min(values):.1f}-{max(values):.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--figures", default="compose up,deploy,host back,new node,reconfigure",
                        help="comma-separated subset to measure (a deploy is made anyway)")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.figures.split(",")]
    # A stopped benchmark still removes the swarm and both engines (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    ETC.mkdir(exist_ok=True)
    for source in (REPO / "stack" / "etc").iterdir():
        shutil.copyfile(source, ETC / source.name)
    run(["bash", str(REPO / "images" / "build"), IMAGE], dict(os.environ), timeout=1800)
    figures = {"compose up": [], "deploy": [], "host back": [], "new node": [], "reconfigure": []}
    two_hosts.up(IMAGE)
    try:
        if "deploy" not in chosen:
            log(f"deploy (not measured): {deploy():.1f} s")
        for number in range(1, args.runs + 1):
            log(f"run {number}/{args.runs}")
            for name, measure in (("compose up", compose_up), ("deploy", deploy),
                                  ("host back", host_back), ("new node", new_node),
                                  ("reconfigure", reconfigure)):
                if name not in chosen:
                    continue
                seconds = measure()
                log(f"{name}: {seconds:.1f} s")
                figures[name].append(seconds)
    finally:
        remove_stack_and_volumes()
        two_hosts.down()
    print(f"| figure | median (min-max), {args.runs} runs | goal | result |")
    print("|---|---|---|---|")
    if figures["compose up"]:
        print(f"| Compose `up` -> c1, c2, q1 idle (reference) | {summary(figures['compose up'])} | | |")
    if figures["deploy"] and figures["compose up"]:
        ratio = statistics.median(figures["deploy"]) / statistics.median(figures["compose up"])
        print(f"| `make deploy` -> c1..c4, q1, q2 idle | {summary(figures['deploy'])} | "
              f"<= 1.5x Compose ({ratio:.2f}x) | {'PASS' if ratio <= 1.5 else 'MISS'} |")
    for name, label in (("host back", "second engine started -> c3, c4, q2 idle"),
                        ("new node", "c5 added to the stack -> a job runs on it"),
                        ("reconfigure", "`make reconfigure` -> MaxTime in every node's slurm.conf")):
        if not figures[name]:
            continue
        median = statistics.median(figures[name])
        print(f"| {label} | {summary(figures[name])} | < 10 s | "
              f"{'PASS' if median < 10 else 'MISS'} |")
    if COMMAND_SECONDS:
        print(f"| `make reconfigure`, the whole command (features on every node too) | "
              f"{summary(COMMAND_SECONDS)} | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
