"""Benchmark: hourly (real-time) AQI of lantian.standards vs aqi-hub, and the `lantian aqi` CLI.

Run: .venv/bin/python bench/aqi_bench.py [--rows 10000000] [--sample 100000] [--days 30]

1. Kernel: the six 1-h concentrations of every station-hour of the shared CNEMC national files,
   replayed (tiled) to at least ``--rows`` station-hours, as fixed-point int64 arrays (how the
   reader hands them over). Timed: six IAQIs + AQI (+ over-range flags), then also primary
   pollutants and level, then the same from float input (GB/T 8170 quantisation included).
2. Baseline: aqi-hub (PyPI ``aqi_hub``, per-value Python) ``cal_aqi_cn(..., "hourly")`` on a
   sample of the same rows, in the same run; results are cross-checked on the sample.
3. CLI: ``lantian aqi`` over a month of national files. Only 12 national days are on disk, so a
   month-sized input is built by replaying the real files as consecutive dates (date column
   rewritten) in a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
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
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def bench_kernels(rows: int, sample: int) -> None:
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
        t_hub = best_of(3, run_hub)
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


def build_month(target: Path, days: int) -> list[Path]:
    real = sorted(p for p in NATIONAL.glob("china_sites_*.csv") if p.stat().st_size > 1_000_000)
    start = date(2019, 1, 1)
    paths = []
    for i in range(days):
        source = real[i % len(real)]
        day = start + timedelta(days=i)
        text = source.read_text("utf-8")
        old = re.search(r"\n(\d{8}),", text)
        assert old
        text = text.replace(f"\n{old.group(1)},", f"\n{day:%Y%m%d},")
        path = target / f"china_sites_{day:%Y%m%d}.csv"
        path.write_text(text, "utf-8")
        paths.append(path)
    return paths


def bench_cli(days: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = build_month(Path(tmp), days)
        station_hours = 0
        for path in files:
            data = read_cnemc(path)
            station_hours += int((~np.isnan(data.values).all(axis=1)).sum())
        n_real = len(
            sorted(p for p in NATIONAL.glob("china_sites_*.csv") if p.stat().st_size > 1_000_000)
        )
        print(
            f"CLI input: {days} files = the {n_real} complete real national days replayed in "
            f"turn as 2019-01-01..{days} (date column rewritten), {station_hours:,} "
            f"station-hours"
        )
        lantian = Path(sys.executable).with_name("lantian")
        for mode in ([], ["--daily"]):
            out = Path(tmp) / "out.csv"
            cmd = [
                str(lantian),
                "aqi",
                *map(str, files),
                "--format",
                "cnemc",
                "--out",
                str(out),
                *mode,
            ]
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            elapsed = time.perf_counter() - start
            rows = sum(1 for _ in out.open("rb")) - 1
            label = "lantian aqi --daily" if mode else "lantian aqi (hourly)"
            print(
                f"{label:22}: {elapsed:6.2f} s wall, {station_hours / elapsed / 1e6:.3f} M "
                f"station-hours/s, {rows:,} rows written"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args()
    bench_kernels(args.rows, args.sample)
    if not args.skip_cli:
        bench_cli(args.days)


if __name__ == "__main__":
    main()
