#!/usr/bin/python3
"""A scriptable service for the rqinit tests.

Appends one line per event to a shared log, 'EVENT NAME [DETAIL] MONOTONIC_TIME':
  start NAME T            it began running
  ready NAME T            it created its readiness socket/port/file (--ready-after)
  signal NAME SIGX T      it received signal SIGX (HUP, INT, TERM, USR1, USR2)
  stop NAME T             it is exiting because of SIGTERM
  exit NAME CODE T        it is exiting by itself (--exit)
CLOCK_MONOTONIC is system-wide, so times from different processes compare.
"""
import argparse
import os
import signal
import socket
import sys
import time

RECORDED = ("SIGHUP", "SIGINT", "SIGTERM", "SIGUSR1", "SIGUSR2")

p = argparse.ArgumentParser()
p.add_argument("--name", required=True)
p.add_argument("--log", required=True)
p.add_argument("--exit", type=int, help="exit with this code (after --after seconds)")
p.add_argument("--after", type=float, default=0.0)
p.add_argument("--term", choices=("exit", "ignore"), default="exit",
               help="on SIGTERM: record and exit, or record and keep running")
p.add_argument("--term-code", type=int, default=0)
p.add_argument("--child", action="store_true", help="fork a child in the same process group")
p.add_argument("--outsider", action="store_true", help="fork a child in a new session")
p.add_argument("--ready-after", type=float, help="seconds before becoming ready")
p.add_argument("--unix", help="ready: listen on this unix socket")
p.add_argument("--tcp", type=int, help="ready: listen on 127.0.0.1:PORT")
p.add_argument("--touch", help="ready: create this file")
args = p.parse_args()

fd = os.open(args.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
name = args.name
group_children = []
keep = []  # listening sockets, kept open


def record(event, *detail):
    os.write(fd, (" ".join([event, name, *detail, f"{time.monotonic():.6f}"]) + "\n").encode())


def on_signal(signum, _frame):
    record("signal", signal.Signals(signum).name)
    if signum == signal.SIGTERM and args.term == "exit":
        for pid in group_children:  # they got the same group signal; wait so none is lost
            os.waitpid(pid, 0)
        record("stop")
        os._exit(args.term_code)


for s in RECORDED:
    signal.signal(getattr(signal, s), on_signal)


def fork_as(suffix, new_session):
    global name, group_children
    pid = os.fork()
    if pid == 0:
        if new_session:
            os.setsid()
        name = f"{args.name}.{suffix}"
        group_children = []
        record("start")
        while True:
            signal.pause()
    return pid


record("start")
if args.child:
    group_children.append(fork_as("child", False))
if args.outsider:
    fork_as("outsider", True)

if args.ready_after is not None:
    time.sleep(args.ready_after)
    if args.unix:
        s = socket.socket(socket.AF_UNIX)
        s.bind(args.unix)
        s.listen(64)
        keep.append(s)
    if args.tcp:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", args.tcp))
        s.listen(64)
        keep.append(s)
    if args.touch:
        open(args.touch, "w").close()
    record("ready")

if args.exit is not None:
    time.sleep(args.after)
    record("exit", str(args.exit))
    sys.exit(args.exit)

while True:
    signal.pause()
