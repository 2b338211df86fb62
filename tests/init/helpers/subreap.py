#!/usr/bin/python3
"""Main command for the subreaper test (rqinit NOT PID 1).

Double-forks a grandchild that sleeps briefly; after the intermediate exits, the
grandchild must be reparented to our parent (rqinit, a child subreaper), and once it
exits it must be reaped (its /proc entry disappears). Prints what it saw; exit 0 if
both hold, 1 otherwise.
"""
import os
import sys
import time

r, w = os.pipe()
mid = os.fork()
if mid == 0:
    gc = os.fork()
    if gc == 0:
        os.close(r)
        os.close(w)
        os.execv("/bin/sleep", ["sleep", "0.3"])
    os.write(w, str(gc).encode())
    os._exit(0)
os.close(w)
gc = int(os.read(r, 32))
os.waitpid(mid, 0)


def field(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split()[1]
    except (FileNotFoundError, ProcessLookupError):
        return None


ppid = field(gc, "PPid")
if ppid != str(os.getppid()):
    print(f"grandchild {gc} has PPid {ppid}, expected rqinit's pid {os.getppid()}", file=sys.stderr)
    sys.exit(1)
deadline = time.monotonic() + 5
while field(gc, "State") is not None:
    if time.monotonic() > deadline:
        print(f"grandchild {gc} not reaped: State {field(gc, 'State')}", file=sys.stderr)
        sys.exit(1)
    time.sleep(0.01)
print("reparented to rqinit and reaped")
