"""The fault tests run on the cluster of tests/cluster (the same Compose project, fixtures and
helpers): its conftest is loaded here under a name of its own, since pytest would take two
files both named conftest for one."""
import importlib.util
import json
import os
import sys
from pathlib import Path

_path = Path(__file__).resolve().parents[1] / "cluster" / "conftest.py"
_spec = importlib.util.spec_from_file_location("cluster_conftest", _path)
cluster_conftest = importlib.util.module_from_spec(_spec)
sys.modules["cluster_conftest"] = cluster_conftest
_spec.loader.exec_module(cluster_conftest)

phase1 = cluster_conftest.phase1  # the fixture, for pytest to find here


def pytest_terminal_summary(terminalreporter):
    """The table of the faults that ran: what a person reading the run wants first."""
    rows = getattr(sys.modules.get("test_faults"), "ROWS", [])
    if not rows:
        return
    header = ("fault", "recovery s", "submitted", "accounted", "lost", "not completed",
              "files checked", "files lost")
    lines = [header] + [(fault, f"{recovery:.1f}", str(o.submitted), str(o.accounted),
                         str(len(o.lost)), str(len(o.not_completed)), str(o.files_checked),
                         str(len(o.files_lost))) for fault, recovery, o in rows]
    widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
    if os.environ.get("RQFAULTS_ROWS"):  # report.py's runs: one JSON line a fault
        with open(os.environ["RQFAULTS_ROWS"], "a") as out:
            for fault, recovery, o in rows:
                out.write(json.dumps({"fault": fault, "recovery": recovery, **vars(o)}) + "\n")
    terminalreporter.section("faults under load")
    for line in lines:
        terminalreporter.write_line("  ".join(cell.ljust(w) for cell, w in zip(line, widths)))
