#!/usr/bin/python3
"""Run by hand, not by `make test`: does the first MPI job across the two hosts pass, deploy
after deploy? Makes the two hosts once, then DEPLOYS times: `stack/swarm deploy`, one
allreduce across c1..c4 (two ranks on each host), `stack/swarm undeploy`. Prints one line per
deploy and the count that passed on the first try; exit status 0 when every one did.

    /usr/bin/python3 tests/swarm/mpi_first_try.py [DEPLOYS]   (default 10; about 3 min each)
"""
import subprocess
import sys
import time

import two_hosts
from conftest import IMAGE, REPO, as_user, swarm
from user_checks import ALLREDUCE_C, write_as_user
from test_swarm import run_allreduce


def one_deploy(number):
    started = time.monotonic()
    swarm("deploy")
    try:
        work = "/home/rasqberry/mpi-first-try"
        write_as_user(as_user, f"{work}/allreduce.c", ALLREDUCE_C)
        as_user("mpicc", "-O2", "-o", f"{work}/allreduce", f"{work}/allreduce.c")
        out, ranks, errors = run_allreduce(work)
        passed = sorted(host for _, host, _ in ranks) == ["c1", "c2", "c3", "c4"]
        print(f"deploy {number}: {'passed' if passed else 'FAILED'} "
              f"({time.monotonic() - started:.0f} s)", flush=True)
        if not passed:
            print(out + errors[-2000:], flush=True)
        return passed
    finally:
        swarm("undeploy")


def main():
    deploys = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    subprocess.run(["bash", str(REPO / "images" / "build"), IMAGE], check=True, timeout=1800)
    two_hosts.up(IMAGE)
    try:
        passed = sum(one_deploy(n) for n in range(1, deploys + 1))
    finally:
        two_hosts.down()
    print(f"first MPI run across the hosts passed after {passed} of {deploys} deploys")
    return 0 if passed == deploys else 1


if __name__ == "__main__":
    sys.exit(main())
