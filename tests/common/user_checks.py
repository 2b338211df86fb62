"""What the Compose and the Swarm cluster tests both check as a user would: waits with a deadline,
sinfo as rows, the local name of 0.0.0.0, a file written as the user, the MPI program a user compiles on login,
a forged NFS call, and the privileges a process holds.

Each suite's conftest gives its own `as_user` (a command on login as rasqberry); these take it.
"""
import base64
import json
import re
import time
from pathlib import Path


def wait_until(what, predicate, timeout=60, interval=0.5, explain=None):
    """predicate's first true answer, or an AssertionError naming what was awaited and, if given,
    what explain() says of the state at the deadline (the cluster's side of a timeout)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    said = f"\n{explain()}" if explain else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r}){said}")


def sinfo_rows(as_user):
    """sinfo as a user reads it: (partition, avail, nodes, state, nodelist) per line."""
    out = as_user("sinfo", "--noheader", "-o", "%P %a %D %t %N").stdout
    return sorted(tuple(line.split()) for line in out.splitlines() if line.strip())


def names_of_inaddr_any(on, service):
    """The names /etc/hosts gives 0.0.0.0 in a service's container. Slurm 24.11's daemons ask
    the name of that address, the one they listen on, at each start; with no entry, the question
    goes through Docker's DNS to the host's resolvers: 10 s per start where they do not answer
    (an offline Pi, an internal network). stack/compose.yml and stack/stack.yml add the entry."""
    return on(service, "getent", "hosts", "0.0.0.0", check=False).stdout.split()[1:]


def write_as_user(as_user, path, text):
    """Writes text to path as rasqberry; the text goes as an argument, so nothing is quoted."""
    as_user("sh", "-c", 'mkdir -p "$(dirname "$1")" && printf "%s" "$2" > "$1"', "sh", path, text)


# Each rank adds rank + 1, so with N ranks every rank must get N(N+1)/2: 3 on two nodes, 10 on
# four. Prints "rank R of N on HOST: sum S".
ALLREDUCE_C = r"""
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, size = 0, length = 0;
    char host[MPI_MAX_PROCESSOR_NAME];
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Get_processor_name(host, &length);
    int mine = rank + 1, sum = 0;
    MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("rank %d of %d on %s: sum %d\n", rank, size, host, sum);
    MPI_Finalize();
    return 0;
}
"""


NFS_FORGE = Path(__file__).with_name("nfs_forge.py")


def forge_nfs(on, service, *arguments, user="rasqberry"):
    """nfs_forge.py (a raw NFSv3 client claiming any uid) run in service's container as user,
    against the cluster's server `nfs`, export /home: its JSON answer."""
    out = on(service, "python3", "-c", NFS_FORGE.read_text(), "nfs", "/home",
             *map(str, arguments), user=None if user == "root" else user).stdout
    return json.loads(out)


CAPABILITY_SETS = ("CapInh", "CapPrm", "CapEff", "CapAmb")
# What a user's session and a job's processes show: no way to gain a privilege by exec, and no
# capability to use (the bounding set is only what a set-user-ID program could reach).
UNPRIVILEGED = {"NoNewPrivs": "1", **{name: "0000000000000000" for name in CAPABILITY_SETS}}


def privileges(status_text):
    """NoNewPrivs and the four capability sets a process can use, from /proc/PID/status."""
    fields = dict(re.findall(r"^(\w+):\s+(\S+)", status_text, re.M))
    return {name: fields[name] for name in ("NoNewPrivs", *CAPABILITY_SETS)}


def capability_masks(status_text):
    """Every capability set of /proc/PID/status, bounding set included, as integers."""
    fields = dict(re.findall(r"^(Cap\w+):\s+([0-9a-f]+)$", status_text, re.M))
    return {name: int(fields[name], 16) for name in (*CAPABILITY_SETS, "CapBnd")}


def sets_holding(capability, status_text):
    """The names of the sets of /proc/PID/status that hold `capability` (a bit mask)."""
    return sorted(name for name, mask in capability_masks(status_text).items() if mask & capability)


ALICE_SECRET = "alice's private words\n"


def make_alice(on):
    """alice (uid and gid 1001), somebody else than the user: her home on the NFS server 0700,
    her file `private` 0600, both hers."""
    on("nfs", "sh", "-c", 'mkdir -p /home/alice && printf "%s" "$1" > /home/alice/private && '
       "chown -R 1001:1001 /home/alice && chmod 0700 /home/alice && "
       "chmod 0600 /home/alice/private", "sh", ALICE_SECRET)


def secret_forms(secret):
    """A binary secret as a log or an inspect listing might show it: hex and base64 of its first
    15 bytes (base64 of a longer leak starting there holds the same 20 characters). Raw, it
    needs no search: random bytes are not UTF-8, so reading such a listing as text fails."""
    head = secret[:15]
    return {"hex": head.hex(), "base64": base64.b64encode(head).decode()}
