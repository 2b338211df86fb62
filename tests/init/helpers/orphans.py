#!/usr/bin/python3
"""Main command for the reaping test: make N orphans, then wait for PID 1 to reap them.

Each orphan is made by a double fork: an intermediate child forks a grandchild that
execs `sleep 0`, and exits at once; we reap the intermediate, so the grandchild is
reparented to PID 1. Then we poll this namespace's /proc until no process but PID 1
and ourselves is left (a zombie still has a /proc entry). Exit 0 if that happens
before the deadline, else print the leftovers (with their states) and exit 1.
"""
import os
import sys
import time

n = int(sys.argv[1])
timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0

for _ in range(n):
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", "0"])
        os._exit(0)
    os.waitpid(pid, 0)


def others():
    me = os.getpid()
    left = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in (1, me):
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except (FileNotFoundError, ProcessLookupError):
                continue  # it was reaped while we looked
            left[int(entry)] = stat[stat.rindex(")") + 2]  # the state letter
    return left


deadline = time.monotonic() + timeout
max_zombies = 0
while True:
    left = others()
    max_zombies = max(max_zombies, sum(1 for s in left.values() if s == "Z"))
    if not left:
        print(f"all {n} orphans reaped (at most {max_zombies} zombies seen at once)")
        sys.exit(0)
    if time.monotonic() > deadline:
        zombies = sorted(p for p, s in left.items() if s == "Z")
        print(f"after {timeout}s: {len(zombies)} zombies {zombies}, leftovers {left}",
              file=sys.stderr)
        sys.exit(1)
    time.sleep(0.01)
