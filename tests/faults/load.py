"""The load a fault is injected under, and the check of what it left: a job array across both
partitions, a batch job of srun steps and an MPI job, submitted as the user rasqberry on login.

Every job writes what its id determines into /home (over NFS), so that a check needs no stored
checksum: a file is right when it holds exactly what its job's id says it must.
"""
import hashlib
import re
from dataclasses import dataclass, field

NORMAL_TASKS = 120   # short tasks on c1 and c2 (8 CPUs in all)
QUANTUM_TASKS = 12   # on q1, one at a time (its one qpu)
STEPS = 8            # srun steps of one batch job
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED",
         "BOOT_FAIL", "DEADLINE"}


def task_text(task):
    """What array task `task` writes: the numbers task .. task+999, one a line."""
    return "".join(f"{n}\n" for n in range(task, task + 1000))


TASK_SCRIPT = "#!/bin/sh\nsleep 1\nseq $SLURM_ARRAY_TASK_ID $((SLURM_ARRAY_TASK_ID + 999))\n"
STEPS_SCRIPT = (f"#!/bin/sh\nfor i in $(seq {STEPS}); do\n"
                "  srun -N1 -n1 sh -c 'echo step $SLURM_STEP_ID' || exit 1\ndone\n")


@dataclass
class Load:
    directory: str                  # under /home/rasqberry, the outputs
    normal: str = ""                # job ids
    quantum: str = ""
    steps: str = ""
    mpi: str = ""
    submitted: list = field(default_factory=list)  # every job id sacct must list

    def expected_files(self):
        """{path: text} of every output a completed job must leave."""
        files = {f"{self.directory}/normal-{t}.out": task_text(t) for t in range(NORMAL_TASKS)}
        files.update({f"{self.directory}/quantum-{t}.out": task_text(t) for t in range(QUANTUM_TASKS)})
        files[f"{self.directory}/steps.out"] = "".join(f"step {s}\n" for s in range(STEPS))
        return files


def submit(as_user, name):
    """Submits the whole load; returns it. Nothing waits for it here."""
    load = Load(f"/home/rasqberry/faults/{name}")
    as_user("sh", "-c", f"rm -rf {load.directory} && mkdir -p {load.directory}")
    as_user("sh", "-c", f"cat > {load.directory}/task.sh << 'EOF'\n{TASK_SCRIPT}EOF\n"
                        f"cat > {load.directory}/steps.sh << 'EOF'\n{STEPS_SCRIPT}EOF")

    def sbatch(*args):
        return as_user("sbatch", "--parsable", *args).stdout.strip().split(";")[0]

    load.normal = sbatch("-p", "normal", f"--array=0-{NORMAL_TASKS - 1}",
                         "-o", f"{load.directory}/normal-%a.out", f"{load.directory}/task.sh")
    load.quantum = sbatch("-p", "quantum", "--gres=qpu:1", f"--array=0-{QUANTUM_TASKS - 1}",
                          "-o", f"{load.directory}/quantum-%a.out", f"{load.directory}/task.sh")
    load.steps = sbatch("-p", "normal", "-N1", "-n1", "-o", f"{load.directory}/steps.out",
                        f"{load.directory}/steps.sh")
    load.mpi = sbatch("-p", "normal", "-N2", "-n2", "-o", f"{load.directory}/mpi.out",
                      "--wrap", "srun --mpi=pmix mpi_hello")
    load.submitted = ([f"{load.normal}_{t}" for t in range(NORMAL_TASKS)] +
                      [f"{load.quantum}_{t}" for t in range(QUANTUM_TASKS)] + [load.steps, load.mpi])
    return load


def queued(as_user, load, states=None):
    """The load's jobs (array tasks one by one) that squeue lists: in one of `states` (such as
    "R"), or in any state squeue shows by default (every one not yet ended)."""
    ids = ",".join([load.normal, load.quantum, load.steps, load.mpi])
    wanted = ["-t", states] if states else []
    listing = as_user("squeue", "-h", "-r", *wanted, "-j", ids, "-o", "%i", check=False)
    return listing.stdout.split()


def queue_empty(as_user, load):
    """True once none of the load's jobs is pending, running or completing."""
    return queued(as_user, load) == []


def accounted(as_user, load):
    """{job id: state} as sacct lists the load's jobs (array tasks one by one)."""
    ids = ",".join([load.normal, load.quantum, load.steps, load.mpi])
    rows = as_user("sacct", "-X", "-n", "-P", "-j", ids, "-o", "JobID,State").stdout.split()
    states = {}
    for row in rows:
        job, state = row.split("|")
        states[job] = state.split()[0]  # "CANCELLED by 1000" is CANCELLED
    return states


@dataclass
class Outcome:
    submitted: int
    accounted: int
    lost: list          # jobs sacct does not list with a final state
    not_completed: dict  # job: state, for the ones that ended otherwise
    files_checked: int
    files_lost: list    # outputs of completed jobs missing or wrong


def check(as_user, load):
    """What the load left, once its queue is empty and sacct has caught up."""
    states = accounted(as_user, load)
    lost = [job for job in load.submitted if states.get(job) not in FINAL]
    not_completed = {job: states[job] for job in load.submitted
                     if states.get(job) in FINAL and states[job] != "COMPLETED"}
    completed = {job for job in load.submitted if states.get(job) == "COMPLETED"}
    expected = load.expected_files()
    owners = {f"{load.directory}/normal-{t}.out": f"{load.normal}_{t}" for t in range(NORMAL_TASKS)}
    owners.update({f"{load.directory}/quantum-{t}.out": f"{load.quantum}_{t}"
                   for t in range(QUANTUM_TASKS)})
    owners[f"{load.directory}/steps.out"] = load.steps
    wanted = {path: text for path, text in expected.items() if owners[path] in completed}
    digests = on_disk_digests(as_user, load.directory)
    files_lost = [path for path, text in wanted.items()
                  if digests.get(path) != hashlib.sha256(text.encode()).hexdigest()]
    if load.mpi in completed:
        mpi = read(as_user, f"{load.directory}/mpi.out") or ""
        if "sum ok: 2 of 2" not in mpi or len(re.findall(r"rank \d of 2 on c\d", mpi)) != 2:
            files_lost.append(f"{load.directory}/mpi.out")
        wanted[f"{load.directory}/mpi.out"] = mpi
    return Outcome(len(load.submitted), sum(1 for j in load.submitted if states.get(j) in FINAL),
                   lost, not_completed, len(wanted), files_lost)


def on_disk_digests(as_user, directory):
    """{path: sha256} of every output in the directory, read through login's mount at once."""
    listing = as_user("sh", "-c", f"cd {directory} && sha256sum *.out", check=False).stdout
    return {f"{directory}/{name}": digest
            for digest, name in (line.split() for line in listing.splitlines())}


def read(as_user, path):
    result = as_user("cat", path, check=False)
    return result.stdout if result.returncode == 0 else None
