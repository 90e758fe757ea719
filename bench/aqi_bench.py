"""Benchmark: hourly (real-time) AQI of lantian.standards vs aqi-hub, and the `lantian aqi` CLI.

Run: .venv/bin/python bench/aqi_bench.py [--rows 10000000] [--sample 100000] [--days 30]

1. Kernel: the six 1-h concentrations of every station-hour of the shared CNEMC national files,
   replayed (tiled) to at least ``--rows`` station-hours, as fixed-point int64 arrays (how the
   reader hands them over). Timed: six IAQIs + AQI (+ over-range flags), then also primary
   pollutants and level, then the same from float input (GB/T 8170 quantisation included).
2. Baseline: aqi-hub (PyPI ``aqi_hub``, per-value Python) ``cal_aqi_cn(..., "hourly")`` on a
   sample of the same rows, in the same run; results are cross-checked on the sample.
3. CLI, file to file, end to end including process start: ``lantian aqi`` over a month of
   national files (CSV out with the default ``--jobs`` and with ``--jobs 1``, Parquet out,
   daily), then over a national year. Only 12 national days are on disk (11 complete), so
   month- and year-sized inputs are synthesised by replaying the real files in turn as
   consecutive dates (date column rewritten) in a temporary directory. Each run is a child
   process pinned to at most 2 cores; wall time and CPU time (user + sys of the child and all
   processes it waited for) come from ``os.wait4``, memory is the peak of the summed resident
   sets of the child and all its worker processes (sampled from /proc every 20 ms).
4. Baseline, same run: aqi-hub END TO END on the same month of files
   (``bench/aqi_hub_file_to_file.py``: the csv module to read, ``cal_aqi_cn`` per station-hour,
   the csv writer to write, in a child pinned the same way), which is what the month target is
   judged against; the ratio to aqi-hub's kernel alone (step 2's rate applied to the same
   station-hours, reading and writing nothing) is printed beside it. For the year, aqi-hub's
   end-to-end time is extrapolated from its month run. The machine may be shared, so the load
   average is printed with each run, and ratios are given on wall time and on CPU time.

Targets (issue 19): a month >= 20x aqi-hub end to end; a year (~14 M station-hours) < 10 s on
2 cores, peak memory printed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from lantian.ingest.cnemc import read_cnemc
from lantian.standards.aqi import HJ633_2012, HJ633_2026, realtime_aqi, realtime_aqi_fixed
from lantian.standards.options import AqiOptions
from lantian.standards.rounding import to_float

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LANTIAN_SHARED", REPO / ".." / "shared")).resolve()
NATIONAL = SHARED / "data" / "cnemc" / "national_daily"
TYPES = {"SO2": "SO2", "NO2": "NO2", "CO": "CO", "O3": "O3", "PM10": "PM10", "PM25": "PM2.5"}
OPTIONS = AqiOptions(realtime_so2_substitute="none")  # CNEMC practice, no 24-h input needed


def load_rows() -> dict[str, np.ndarray]:
    columns: dict[str, list[np.ndarray]] = {k: [] for k in TYPES}
    for path in sorted(NATIONAL.glob("china_sites_*.csv")):
        data = read_cnemc(path)
        fixed = {k: data.fixed(t).reshape(-1) for k, t in TYPES.items()}
        present = np.logical_or.reduce([v >= 0 for v in fixed.values()])
        for k, v in fixed.items():
            columns[k].append(v[present])
    return {k: np.concatenate(v) for k, v in columns.items()}


def best_of(repeats: int, fn: object) -> float:
    return best_of_with_cpu(repeats, fn)[0]


def best_of_with_cpu(repeats: int, fn: object) -> tuple[float, float]:
    """Best wall time and best CPU time (this process) of ``repeats`` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return min(walls), min(cpus)


def bench_kernels(rows: int, sample: int) -> tuple[float, float]:
    """Returns aqi-hub's rate in station-hours per second of wall time and of CPU time."""
    base = load_rows()
    n_real = len(base["SO2"])
    reps = -(-rows // n_real)
    conc = {k: np.tile(v, reps) for k, v in base.items()}
    n = len(conc["SO2"])
    print(
        f"input: {n_real:,} real station-hours from {NATIONAL.name}, replayed x{reps} "
        f"= {n:,} station-hours (fixed-point int64)"
    )

    t_kernel = best_of(3, lambda: realtime_aqi_fixed(conc, HJ633_2012, OPTIONS))

    def full() -> None:
        result = realtime_aqi_fixed(conc, HJ633_2012, OPTIONS)
        _ = result.primary_mask, result.level

    t_full = best_of(3, full)
    floats = {k: to_float(v, 1 if k == "CO" else 0) for k, v in conc.items()}
    t_float = best_of(2, lambda: realtime_aqi(floats, HJ633_2012, OPTIONS))
    ours = n / t_kernel
    print(
        f"lantian  IAQI x6 + AQI             : {ours / 1e6:8.1f} M station-hours/s "
        f"({t_kernel:.3f} s)"
    )
    print(
        f"lantian  + primary + level         : {n / t_full / 1e6:8.1f} M station-hours/s "
        f"({t_full:.3f} s)"
    )
    print(
        f"lantian  from floats (+ GB/T 8170) : {n / t_float / 1e6:8.1f} M station-hours/s "
        f"({t_float:.3f} s)"
    )

    from aqi_hub.aqi_cn import cal_aqi_cn

    rng = np.random.default_rng(20171001)
    idx = rng.choice(n_real, size=min(sample, n_real), replace=False)
    sample_rows = []
    for i in idx:
        vals = [floats[k][i] for k in ("PM25", "PM10", "SO2", "NO2", "CO", "O3")]
        sample_rows.append([None if np.isnan(v) else float(v) for v in vals])

    def run_hub() -> list[int | None]:
        return [cal_aqi_cn(*r, data_type="hourly")[0] for r in sample_rows]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aqi-hub warns once per missing value
        hub_values = run_hub()  # warm-up, and the values for the cross-check
        t_hub, cpu_hub = best_of_with_cpu(3, run_hub)
    hub = len(sample_rows) / t_hub
    picked = {k: v[idx] for k, v in base.items()}
    print(
        f"aqi-hub  cal_aqi_cn hourly (sample): {hub / 1e6:8.4f} M station-hours/s "
        f"({len(sample_rows):,} rows, best of 3: {t_hub:.2f} s)"
    )
    print(f"ratio lantian / aqi-hub            : {ours / hub:8.0f} x  (IAQI x6 + AQI, fixed-point)")
    print(f"                                     {n / t_full / hub:8.0f} x  (+ primary + level)")
    print(f"                                     {n / t_float / hub:8.0f} x  (from floats)")
    for standard in (HJ633_2012, HJ633_2026):
        mine = realtime_aqi_fixed(picked, standard, OPTIONS).aqi
        agree = sum(
            (h if h is not None else -1) == int(o) for h, o in zip(hub_values, mine, strict=True)
        )
        print(
            f"  sample AQI agreement aqi-hub vs lantian {standard.name}: {agree}/{len(sample_rows)}"
        )
    print("  (aqi-hub 0.3 implements the HJ 633-2026 breakpoints: PM2.5/PM10 IAQI-100 at 60/120)")
    print(
        f"targets: >= 10 M/s -> {'met' if ours >= 10e6 else 'NOT met'}; "
        f">= 100 x aqi-hub -> {'met' if ours / hub >= 100 else 'NOT met'}"
    )
    return hub, len(sample_rows) / cpu_hub


def complete_national_days() -> list[Path]:
    return sorted(p for p in NATIONAL.glob("china_sites_*.csv") if p.stat().st_size > 1_000_000)


def build_days(target: Path, days: int) -> list[Path]:
    """``days`` consecutive national files from 2019-01-01, replaying the real days in turn."""
    real = complete_national_days()
    texts = [source.read_text("utf-8") for source in real]
    start = date(2019, 1, 1)
    paths = []
    for i in range(days):
        text = texts[i % len(real)]
        day = start + timedelta(days=i)
        old = re.search(r"\n(\d{8}),", text)
        assert old
        text = text.replace(f"\n{old.group(1)},", f"\n{day:%Y%m%d},")
        path = target / f"china_sites_{day:%Y%m%d}.csv"
        path.write_text(text, "utf-8")
        paths.append(path)
    return paths


@dataclass(frozen=True)
class ChildRun:
    wall: float
    cpu: float
    """user + sys of the child and every process it waited for (its workers, its fork server)."""
    peak_mib: float
    """Largest resident set of any one process of the run (ru_maxrss)."""
    peak_tree_mib: float
    """Largest sum of the resident sets of all processes of the run at one time (sampled)."""
    load: float
    """1-minute load average when the run ended."""


def _tree_rss_kib(root: int) -> int:
    """Resident memory of ``root`` and all its descendants now, from /proc (0 if gone)."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
            )
            for task in Path(f"/proc/{pid}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run_child(cmd: list[str], cores: int) -> ChildRun:
    """Run ``cmd`` pinned to ``cores`` CPUs: wall time, CPU time and memory of the whole run.

    CPU time comes from ``os.wait4`` (the child plus every descendant it waited for); memory is
    sampled every 20 ms over the child and all its descendants, so worker processes count.
    """
    allowed = sorted(os.sched_getaffinity(0))[:cores]
    start = time.perf_counter()
    child = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, allowed),
    )
    peak_tree = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not done.wait(0.02):
            peak_tree = max(peak_tree, _tree_rss_kib(child.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, cmd)
    return ChildRun(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        max(peak_tree, usage.ru_maxrss) / 1024,
        os.getloadavg()[0],
    )


def replayed_station_hours(days: int) -> int:
    """Station-hours of ``days`` files built by :func:`build_days` (the real days in turn)."""
    per_day = []
    for path in complete_national_days():
        data = read_cnemc(path)
        per_day.append(int((~np.isnan(data.values).all(axis=1)).sum()))
    return sum(per_day[i % len(per_day)] for i in range(days))


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def bench_cli(days: int, year_days: int, hub_wall: float, hub_cpu: float, cores: int) -> None:
    lantian = Path(sys.executable).with_name("lantian")
    n_real = len(complete_national_days())
    print(
        f"\nfile to file (each run a child process pinned to {cores} of {os.cpu_count()} cores; "
        f"load average now {os.getloadavg()[0]:.1f}; CPU = user + sys of all its processes; "
        "memory = peak of the sum over all its processes)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        month_dir, year_dir = Path(tmp) / "month", Path(tmp) / "year"
        month_dir.mkdir()
        files = build_days(month_dir, days)
        station_hours = replayed_station_hours(days)
        print(
            f"month input: {days} files = the {n_real} complete real national days replayed in "
            f"turn as 2019-01-01.. (date column rewritten), {station_hours:,} station-hours"
        )
        hub_cmd = [sys.executable, str(Path(__file__).with_name("aqi_hub_file_to_file.py"))]
        hub = run_child([*hub_cmd, str(Path(tmp) / "hub.csv"), *map(str, files)], cores)
        (Path(tmp) / "hub.csv").unlink()
        print(
            f"{'aqi-hub end to end (CSV)':34}: {hub.wall:6.2f} s wall, {hub.cpu:6.2f} s CPU, "
            f"peak {hub.peak_tree_mib:5.0f} MiB, load {hub.load:4.1f}  (csv module read, "
            "cal_aqi_cn per station-hour, csv writer; bench/aqi_hub_file_to_file.py)"
        )
        kernel_wall, kernel_cpu = station_hours / hub_wall, station_hours / hub_cpu
        print(
            f"{'aqi-hub kernel only (step 2 rate)':34}: {kernel_wall:6.2f} s wall, "
            f"{kernel_cpu:6.2f} s CPU  (reads and writes nothing: a lower bound)"
        )
        print(
            "target (issue 19: a month >= 20x aqi-hub end to end, process start included) is "
            "judged against aqi-hub END TO END; the ratio to its kernel alone is shown beside it"
        )
        for label, out_name, extra in (
            ("lantian aqi (hourly, CSV)", "out.csv", []),
            ("lantian aqi (hourly, CSV) --jobs 1", "out1.csv", ["--jobs", "1"]),
            ("lantian aqi (hourly, Parquet)", "out.parquet", []),
            ("lantian aqi --daily (CSV)", "daily.csv", ["--daily"]),
        ):
            out = Path(tmp) / out_name
            cmd = [str(lantian), "aqi", *map(str, files), "--out", str(out), *extra]
            run = run_child(cmd, cores)
            e2e_wall, e2e_cpu = hub.wall / run.wall, hub.cpu / run.cpu
            print(
                f"{label:34}: {run.wall:6.2f} s wall, {run.cpu:6.2f} s CPU, "
                f"{station_hours / run.wall / 1e6:5.2f} M station-hours/s, peak "
                f"{run.peak_tree_mib:5.0f} MiB, load {run.load:4.1f}; x aqi-hub end to end: "
                f"{e2e_wall:5.1f} (wall) {e2e_cpu:5.1f} (CPU), target >= 20x: "
                f"{verdict(e2e_wall >= 20)} (wall) {verdict(e2e_cpu >= 20)} (CPU); "
                f"x aqi-hub kernel: {kernel_wall / run.wall:5.1f} (wall) "
                f"{kernel_cpu / run.cpu:5.1f} (CPU)"
            )
        if year_days <= 0:
            return
        for path in files:
            path.unlink()
        year_dir.mkdir()
        year_files = build_days(year_dir, year_days)
        year_hours = replayed_station_hours(year_days)
        print(
            f"year input: {year_days} files synthesised the same way (the shared data hold "
            f"{n_real} complete national days, not a year), {year_hours:,} station-hours; "
            "aqi-hub end to end estimated from its month run (same station-hours per file)"
        )
        hub_year_wall = hub.wall * year_hours / station_hours
        hub_year_cpu = hub.cpu * year_hours / station_hours
        for label, out_name in (("CSV", "year.csv"), ("Parquet", "year.parquet")):
            out = Path(tmp) / out_name
            run = run_child([str(lantian), "aqi", *map(str, year_files), "--out", str(out)], cores)
            print(
                f"lantian aqi year ({label:7}): {run.wall:6.2f} s wall (target < 10 s on {cores} "
                f"cores: {verdict(run.wall < 10)}), {run.cpu:6.2f} s CPU (/{cores} = "
                f"{run.cpu / cores:5.2f} s: {verdict(run.cpu / cores < 10)} on {cores} idle "
                f"cores), {year_hours / run.wall / 1e6:5.2f} M station-hours/s, peak memory "
                f"{run.peak_tree_mib:5.0f} MiB (all processes; largest one {run.peak_mib:4.0f} "
                f"MiB), load {run.load:4.1f}; x aqi-hub end to end (est.): "
                f"{hub_year_wall / run.wall:5.1f} (wall) {hub_year_cpu / run.cpu:5.1f} (CPU)"
            )
            out.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30, help="files of the month run")
    parser.add_argument(
        "--year-days", type=int, default=365, help="files of the year run (0: skip)"
    )
    parser.add_argument("--cores", type=int, default=2, help="cores the lantian child may use")
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args()
    hub_wall, hub_cpu = bench_kernels(args.rows, args.sample)
    if not args.skip_cli:
        bench_cli(args.days, args.year_days, hub_wall, hub_cpu, args.cores)


if __name__ == "__main__":
    main()
