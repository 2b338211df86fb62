#!/usr/bin/python3
"""make faults-report: the fault tests run RUNS times (3 by default) on fresh clusters; prints
each fault's median recovery time and the work lost in all runs.

    python3 tests/faults/report.py [--runs N]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as rows_file:
        failed = 0
        for run in range(args.runs):
            print(f"faults-report: run {run + 1} of {args.runs}", flush=True)
            env = dict(os.environ, RQFAULTS_ROWS=rows_file.name, RQFAULTS_ALL="1",
                       PYTHONDONTWRITEBYTECODE="1")
            failed += subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                      os.path.join(HERE, "test_faults.py")], env=env).returncode != 0
        rows = [json.loads(line) for line in rows_file]
    by_fault = {}
    for row in rows:
        by_fault.setdefault(row["fault"], []).append(row)
    header = ("fault", "runs", "recovery s (median)", "submitted", "accounted", "lost",
              "not completed", "files checked", "files lost")
    lines = [header]
    for fault, runs in by_fault.items():
        total = lambda key: str(sum(len(r[key]) if isinstance(r[key], (list, dict)) else r[key]
                                    for r in runs))
        lines.append((fault, str(len(runs)), f"{statistics.median(r['recovery'] for r in runs):.1f}",
                      total("submitted"), total("accounted"), total("lost"), total("not_completed"),
                      total("files_checked"), total("files_lost")))
    widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)))
    print(f"faults-report: {failed} of {args.runs} runs had a failing test")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
