#!/usr/bin/python3
"""The NFS figures: rqinit's FUSE client beside libnfs's own client and the local disk, in one run.

The cluster's nfs service (nfs-ganesha) serves /shared. One client container of the cluster's
image, on the cluster's network, runs every client in turn on the same export:

  FUSE      rqinit's mount (RQINIT_MOUNTS=/mnt/nfs=nfs://nfs/shared): dd and meta_loop on /mnt/nfs
  libnfs    libnfs's own tools on the same export, no kernel and no FUSE: nfs-cp (write),
            nfs-cat (read), nfs_meta_loop (create, stat, unlink through libnfs's sync calls)
  local     the container's own disk (/var/tmp): what no network client can beat; its reads
            come from the page cache

  write     1 GiB from a local file, flushed to stable storage before the clock stops
            (dd conv=fsync; nfs-cp COMMITs at close)
  read      the same GiB back (FUSE: a fresh open drops the client's cached pages)
  metadata  create, stat and unlink 10,000 empty files in one directory; ops/s over all three

Each figure is timed inside the container (docker exec's own start is not counted). Rounds
rotate which client goes first; the median and the range of --runs rounds are printed, with
the issue's goals (FUSE >= 80 % of libnfs on throughput, >= 70 % on metadata, FUSE server RSS
< 8 MiB at idle) marked PASS or MISS. A MISS is a result; exit 1 only when a figure could not
be measured, 2 on a bad command line. Progress goes to stderr, the report to stdout.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROJECT = "rqbench-nfs"
IMAGE = os.environ.get("RQINIT_IMAGE", "rqbench/rqinit:latest")
CLIENT = f"{PROJECT}-client"
ENV = dict(os.environ, COMPOSE_PROJECT_NAME=PROJECT, RQINIT_IMAGE=IMAGE, RQINIT_STORAGE="nfs")
GIB_MB = 1024  # 1 GiB in MiB
FILES = 10_000
CLIENTS = ["FUSE", "libnfs", "local"]


def say(text):
    print(f"nfs_bench: {text}", file=sys.stderr, flush=True)


def run(args, timeout=600, check=True):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=ENV)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {result.returncode}: "
                           f"{result.stdout.strip()} {result.stderr.strip()}")
    return result


def in_client(script, timeout=600):
    return run(["docker", "exec", CLIENT, "sh", "-c", script], timeout=timeout).stdout


def timed(script, timeout=600):
    """Seconds the script took, measured inside the client."""
    out = in_client(f's=$(date +%s%N); {script} >/dev/null; e=$(date +%s%N); echo $((e - s))',
                    timeout)
    return int(out.split()[-1]) / 1e9


def meta_seconds(command):
    """create + stat + unlink seconds, as meta_loop and nfs_meta_loop print them."""
    words = in_client(command).split()
    return float(words[1]) + float(words[3]) + float(words[5])


WRITE = {
    "FUSE": f"dd if=/var/tmp/src of=/mnt/nfs/seq-fuse bs=1M conv=fsync 2>&1",
    "libnfs": "nfs-cp /var/tmp/src nfs://nfs/shared/seq-libnfs",
    "local": "dd if=/var/tmp/src of=/var/tmp/seq-local bs=1M conv=fsync 2>&1",
}
READ = {
    "FUSE": "dd if=/mnt/nfs/seq-fuse of=/dev/null bs=1M 2>&1",
    "libnfs": "nfs-cat nfs://nfs/shared/seq-libnfs",
    "local": "dd if=/var/tmp/seq-local of=/dev/null bs=1M 2>&1",
}
META = {
    "FUSE": f"mkdir -p /mnt/nfs/meta-fuse && /bench/meta_loop /mnt/nfs/meta-fuse {FILES}",
    "libnfs": f"mkdir -p /mnt/nfs/meta-libnfs && /bench/nfs_meta_loop nfs /shared /meta-libnfs {FILES}",
    "local": f"mkdir -p /var/tmp/meta-local && /bench/meta_loop /var/tmp/meta-local {FILES}",
}
REMOVE = {"FUSE": "rm -f /mnt/nfs/seq-fuse", "libnfs": "rm -f /mnt/nfs/seq-libnfs",
          "local": "rm -f /var/tmp/seq-local"}


def start(helpers):
    say(f"starting the nfs service ({PROJECT}) and a client container of {IMAGE}")
    run(["bash", str(REPO / "stack" / "cluster"), "start", "nfs"], timeout=300)
    run(["docker", "rm", "-f", CLIENT], check=False)
    run(["docker", "run", "-d", "--name", CLIENT, "--network", f"{PROJECT}_slurm-network",
         "--cap-add", "SYS_ADMIN", "--device", "/dev/fuse", "-v", f"{helpers}:/bench:ro",
         "-e", "RQINIT_MOUNTS=/mnt/nfs=nfs://nfs/shared", IMAGE, "--", "sleep", "infinity"])
    deadline = time.monotonic() + 60
    while "mount-mnt-nfs" not in in_client("rqinit status | grep ' ready ' || true"):
        if time.monotonic() > deadline:
            raise RuntimeError("the client's FUSE mount was not ready within 60 s")
        time.sleep(0.5)
    say("making a 1 GiB source file of random bytes on the client's disk")
    in_client(f"dd if=/dev/urandom of=/var/tmp/src bs=1M count={GIB_MB} 2>/dev/null", timeout=300)


def fuse_server_memory():
    """VmRSS and VmHWM (KiB) of the FUSE server, at idle."""
    pid = in_client("rqinit status | awk '/^mount-mnt-nfs/ {print $2}'").strip()
    status = in_client(f"cat /proc/{pid}/status")
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def one_round(order, figures):
    for name in order:
        in_client(REMOVE[name])
        figures["write"][name].append(GIB_MB / timed(WRITE[name]))
    for name in order:
        figures["read"][name].append(GIB_MB / timed(READ[name]))
    for name in order:
        figures["metadata"][name].append(3 * FILES / meta_seconds(META[name]))


def line(label, values, unit):
    return (f"  {label:<8} {statistics.median(values):>9.0f} {unit}   "
            f"(range {min(values):.0f}-{max(values):.0f})")


def report(figures, memory, runs):
    print(f"NFS benchmark: nfs-ganesha (VFS) in a container; clients in one container on the same "
          f"network; {runs} rounds, medians")
    verdicts = []
    for figure, unit, goal in [("write", "MiB/s", 0.8), ("read", "MiB/s", 0.8),
                               ("metadata", "ops/s", 0.7)]:
        print(f"{figure}:")
        for name in CLIENTS:
            print(line(name, figures[figure][name], unit))
        ratio = statistics.median(figures[figure]["FUSE"]) / statistics.median(
            figures[figure]["libnfs"])
        verdict = "PASS" if ratio >= goal else "MISS"
        verdicts.append(verdict)
        print(f"  FUSE / libnfs = {ratio:.2f}x (goal >= {goal:.2f}x): {verdict}")
    rss, hwm = memory
    verdict = "PASS" if rss < 8 * 1024 else "MISS"
    print(f"FUSE server memory at idle: RSS {rss / 1024:.1f} MiB (peak {hwm / 1024:.1f} MiB) "
          f"(goal < 8 MiB): {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--skip-build", action="store_true", help="use the image as it is")
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    helpers = REPO / "build" / "release" / "bench"
    for helper in ["meta_loop", "nfs_meta_loop"]:
        if not (helpers / helper).exists():
            say(f"{helpers / helper} is missing: run `make bench-nfs` (it builds the helpers)")
            return 1
    if not args.skip_build:
        say(f"building {IMAGE} with images/build")
        run(["bash", str(REPO / "images" / "build"), IMAGE], timeout=1800)
    figures = {f: {name: [] for name in CLIENTS} for f in ["write", "read", "metadata"]}
    try:
        start(helpers)
        for round_number in range(args.runs):
            order = CLIENTS[round_number % 3:] + CLIENTS[:round_number % 3]
            say(f"round {round_number + 1} of {args.runs} ({', '.join(order)})")
            one_round(order, figures)
        time.sleep(2)
        memory = fuse_server_memory()
    except (RuntimeError, subprocess.TimeoutExpired, KeyError, ValueError) as error:
        say(f"a figure could not be measured: {error}")
        return 1
    finally:
        if not args.keep:
            run(["docker", "rm", "-f", CLIENT], check=False)
            run(["bash", str(REPO / "stack" / "cluster"), "compose", "down", "--volumes"],
                check=False)
    report(figures, memory, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
