"""Benchmark: how long the command line takes to answer, beside the eager import it replaced.

Run: .venv/bin/python bench/cli_bench.py [--runs 7]

Each command runs ``--runs`` times as a fresh process; the median wall time and the median CPU
time (user + sys, from ``os.wait4`` of the child) are printed. Baselines measured in the same run:
the bare interpreter (``python -c pass``, the floor), importing every command module as
``lantian.cli`` did before its groups became lazy, and ``import lantian.web.app`` (the web
stack). The machine may be shared, so the load average is printed and CPU time is given beside
wall time: CPU time is what the command costs, wall time what a person waits under that load.

Target (issue 19): ``lantian --help`` and ``lantian version`` answer in under 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lantian.cli import LAZY_COMMANDS

TARGET_SECONDS = 0.3


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``cmd`` as a child process."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), cmd)
    return wall, usage.ru_utime + usage.ru_stime


def median_of(cmd: list[str], runs: int) -> tuple[float, float]:
    timed(cmd)  # warm the file cache and the bytecode
    samples = [timed(cmd) for _ in range(runs)]
    return (
        statistics.median(wall for wall, _ in samples),
        statistics.median(cpu for _, cpu in samples),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    lantian = str(Path(python).with_name("lantian"))
    modules = sorted({entry.target.split(":")[0] for entry in LAZY_COMMANDS})
    eager = "import lantian.cli; " + "; ".join(f"import {module}" for module in modules)
    print(
        f"{args.runs} runs each, median; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    baselines = {
        "python -c pass (interpreter floor)": [python, "-c", "pass"],
        "eager import of every command module": [python, "-c", eager],
        "python -c 'import lantian.web.app'": [python, "-c", "import lantian.web.app"],
    }
    measured: dict[str, tuple[float, float]] = {}
    for label, cmd in baselines.items():
        measured[label] = median_of(cmd, args.runs)
        wall, cpu = measured[label]
        print(f"baseline {label:40}: {wall:6.3f} s wall, {cpu:6.3f} s CPU")
    eager_wall, eager_cpu = measured["eager import of every command module"]
    for label, cmd in (
        ("lantian --help", [lantian, "--help"]),
        ("lantian version", [lantian, "version"]),
    ):
        wall, cpu = median_of(cmd, args.runs)
        print(
            f"{label:49}: {wall:6.3f} s wall, {cpu:6.3f} s CPU; target < {TARGET_SECONDS} s: "
            f"{'met' if wall < TARGET_SECONDS else 'NOT met'} (wall), "
            f"{'met' if cpu < TARGET_SECONDS else 'NOT met'} (CPU); "
            f"{eager_wall / wall:4.1f}x faster than the eager import (wall), "
            f"{eager_cpu / cpu:4.1f}x (CPU)"
        )


if __name__ == "__main__":
    main()
