"""The login node as a user works on it: build an MPI program and run it on the classical nodes,
make a Python virtual environment. Everything runs as the ordinary user rasqberry (uid 1000).

The user's home is /home over NFS from the nfs service (or the `home` volume with
RQINIT_STORAGE=volumes), so a program compiled there on login is the same file that srun starts
on c1 and c2.
"""
import re

from conftest import as_user
from user_checks import ALLREDUCE_C, write_as_user

def test_the_user_has_slurm_24_11_with_pmix_and_open_mpi_5(phase1):
    assert as_user("sinfo", "--version").stdout.split() == ["slurm-wlm", "24.11.5"]
    mpi_types = as_user("srun", "--mpi=list").stdout + as_user("srun", "--mpi=list").stderr
    assert re.search(r"^\s*pmix\b", mpi_types, re.M), mpi_types
    assert re.match(r"mpirun \(Open MPI\) 5\.", as_user("mpirun", "--version").stdout)


def test_a_user_compiles_an_mpi_program_with_mpicc_and_runs_it_on_c1_and_c2(phase1):
    work = "/home/rasqberry/login-test"
    write_as_user(as_user, f"{work}/allreduce.c", ALLREDUCE_C)
    as_user("mpicc", "-O2", "-o", f"{work}/allreduce", f"{work}/allreduce.c")
    out = as_user("srun", "-N", "2", "--ntasks-per-node=1", "-p", "normal", "--mpi=pmix",
                  "-D", work, f"{work}/allreduce", timeout=120).stdout
    ranks = re.findall(r"rank (\d) of 2 on (c\d): sum (\d+)", out)
    assert sorted(host for _, host, _ in ranks) == ["c1", "c2"], out
    assert [sum_ for _, _, sum_ in ranks] == ["3", "3"], out


def test_a_user_makes_a_python_venv_on_login_and_its_python_runs(phase1):
    venv = "/home/rasqberry/login-test/venv"
    as_user("rm", "-rf", venv)
    as_user("python3", "-m", "venv", venv)
    out = as_user(f"{venv}/bin/python", "-c", "import sys; print(sys.prefix)").stdout
    assert out.strip() == venv
    # pip comes with the venv (python3-venv ships its wheel): the venv is one a user can fill.
    assert as_user(f"{venv}/bin/python", "-m", "pip", "--version").stdout.startswith("pip ")


def test_the_users_first_job_is_accounted_to_its_account_demo(phase1):
    """login makes the association of rasqberry with the account demo before it is healthy, so
    the first job a user submits is accounted to it (and an account's limits apply)."""
    job = as_user("sbatch", "--parsable", "--wait", "-p", "normal", "-t", "1", "--wrap", "true",
                  timeout=120).stdout.strip().split(";")[0]
    assert as_user("sacctmgr", "-n", "-P", "show", "assoc", "user=rasqberry",
                   "format=account").stdout.split() == ["demo"]
    account = as_user("sacct", "-n", "-X", "-P", "-j", job, "-o", "account").stdout.strip()
    assert account == "demo", f"job {job} accounted to '{account}'"
