"""Benchmark: a national multi-year HJ 663 assessment over the Parquet archive, in one process and
on a Dask LocalCluster, measured in the same run.

Run: .venv/bin/python bench/archive_bench.py [--years 10] [--workers 2] [--dir /tmp/lantian-archive-bench]
                                             [--keep]

1. Data: SYNTHETIC, built from the real CNEMC national files in shared/data/cnemc/national_daily
   (2019 days, ~1,600 stations). Every synthetic station-day is a real station-day: day d of the
   synthetic calendar takes real file d mod F, and synthetic station s takes the real station
   (s + d div F) mod N of that file, so days and stations repeat, shifted, with their real
   gaps; the real hour h becomes the hour labelled h+1 of the synthetic day. Written onto /tmp
   (never into the repository) in the archive's layout (``measurements/year=…/month=…/group=…``,
   one file per month and pollutant group, with its manifest), exactly as ``lantian archive
   export`` writes it.
2. Baseline: :func:`lantian.archive.assess.assess` in this process (no Dask) over every year.
3. The same call on a LocalCluster (``--workers`` processes, one thread each): month tasks
   (daily statistics and daily AQI) then year tasks (annual statistics); the result must equal
   the baseline exactly, and the scaling (baseline time / cluster time) is printed. The cluster's
   start-up is timed apart. On a real cluster: ``lantian archive assess --scheduler tcp://…``.
Memory: peak RSS of this process and of each worker is printed. Other work on the machine (the
load average is printed) lowers the figures, and the cluster shares the machine's cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from lantian.archive.assess import assess  # noqa: E402
from lantian.archive.parquet import GROUPS, month_folder, record_month  # noqa: E402
from lantian.archive.partitions import add_months  # noqa: E402

SHARED = Path(os.environ.get("LANTIAN_SHARED", REPO.parent / "shared"))
NATIONAL = SHARED / "data" / "cnemc" / "national_daily"
TYPES = {"SO2": "so2", "NO2": "no2", "CO": "co", "O3": "o3", "PM10": "pm10", "PM2.5": "pm2_5"}
GROUP_OF = {p: g for g, members in GROUPS.items() for p in members}
FIRST_YEAR = 2010


def real_days() -> tuple[list[str], list[pl.DataFrame]]:
    """The real 2019 national day files as long frames (station index, pollutant, hour, value)."""
    files = sorted(NATIONAL.glob("china_sites_2019*.csv"))
    wides = [
        pl.read_csv(path, infer_schema_length=0).filter(pl.col("type").is_in(list(TYPES)))
        for path in files
    ]
    codes: list[str] = sorted({c for wide in wides for c in wide.columns[3:]})
    index = {c: i for i, c in enumerate(codes)}
    frames = []
    for wide in wides:
        long = (
            wide.unpivot(index=["date", "hour", "type"], variable_name="station", value_name="v")
            .drop_nulls("v")
            .filter(pl.col("v") != "")
            .select(
                pl.col("station").replace_strict(index, return_dtype=pl.Int32).alias("station"),
                pl.col("type").replace_strict(TYPES).alias("pollutant"),
                pl.col("hour").cast(pl.Int32).alias("hour"),
                pl.col("v").cast(pl.Float64).alias("value"),
            )
        )
        frames.append(long)
    return codes, frames


def generate(root: Path, years: int) -> tuple[int, int, int]:
    """Write the synthetic archive; returns (rows, files, bytes)."""
    codes, frames = real_days()
    n_stations, n_files = len(codes), len(frames)
    rows = files = 0
    month = date(FIRST_YEAR, 1, 1)
    end = date(FIRST_YEAR + years, 1, 1)
    first_day = date(FIRST_YEAR, 1, 1)
    while month < end:
        following = add_months(month, 1)
        parts = []
        day = month
        while day < following:
            ordinal = (day - first_day).days
            real = frames[ordinal % n_files]
            shift = ordinal // n_files
            # UTC instant of the hour labelled h+1 on `day` (China time = UTC+8).
            start = pl.lit(day).cast(pl.Datetime("us", "UTC")) - pl.duration(hours=8)
            parts.append(
                real.with_columns(
                    ((pl.col("station") - shift) % n_stations).alias("station"),
                    (start + pl.duration(hours=pl.col("hour") + 1)).alias("period_end"),
                )
            )
            day += timedelta(days=1)
        data = pl.concat(parts).with_columns(
            pl.col("pollutant").replace_strict(GROUP_OF).alias("group"),
            pl.concat_str(pl.lit("S"), pl.col("station").cast(pl.String).str.zfill(4)).alias(
                "station_code"
            ),
        )
        data = data.with_row_index("id", offset=rows).select(
            pl.col("id").cast(pl.Int64),
            pl.col("station_code").alias("station"),
            pl.col("station").cast(pl.Int64).alias("station_id"),
            "pollutant",
            pl.lit("1h").alias("averaging"),
            "period_end",
            "value",
            pl.lit("N").alias("flag"),
            pl.lit("synthetic").alias("source"),
            pl.lit(None, pl.Int64).alias("batch_id"),
            pl.col("period_end").alias("received_at"),
            "group",
        )
        written = 0
        for (group,), part in data.group_by("group"):
            folder = month_folder(root, month, str(group))
            folder.mkdir(parents=True, exist_ok=True)
            part.drop("group").write_parquet(
                folder / "part-0.parquet", compression="zstd", compression_level=1
            )
            written += 1
        record_month(root, month, data.height, written)
        rows += data.height
        files += written
        month = following
    size = sum(p.stat().st_size for p in root.rglob("*.parquet"))
    return rows, files, size


def peak_rss_mb() -> float:
    """This process's own high-water mark of resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/lantian-archive-bench"))
    parser.add_argument("--keep", action="store_true", help="keep the generated archive")
    args = parser.parse_args()
    root: Path = args.dir
    print("lantian archive benchmark — national multi-year HJ 663 assessment")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        "DATA ARE SYNTHETIC: real CNEMC 2019 station-days (shared/data/cnemc/national_daily), "
        "repeated over the years and shifted between stations; not real measurements."
    )
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    rows, files, size = generate(root, args.years)
    generated = time.perf_counter() - started
    stations = (
        pl.scan_parquet(str(root / "measurements/**/*.parquet"))
        .select(pl.col("station").n_unique())
        .collect()
        .item()
    )
    station_hours = rows / 6
    print(
        f"archive {root}: {args.years} years × {stations} stations, {rows:,} values "
        f"(≈ {station_hours / 1e6:.0f} M station-hours), {files} files, {size / 1e9:.2f} GB, "
        f"generated in {generated:.0f} s"
    )
    target_ok = args.years >= 10 and stations >= 1600
    print(f"  target ≥ 10 years × 1,600 stations: {'met' if target_ok else 'NOT met'}")

    started = time.perf_counter()
    single = assess(root)
    single_s = time.perf_counter() - started
    print(
        f"single process (baseline): {single.height:,} station-years in {single_s:.1f} s = "
        f"{station_hours / single_s / 1e6:.2f} M station-hours/s; peak RSS {peak_rss_mb():.0f} MB"
    )

    from distributed import Client, LocalCluster

    started = time.perf_counter()
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit="4GiB",
        ) as cluster,
        Client(cluster) as client,
    ):
        startup = time.perf_counter() - started
        started = time.perf_counter()
        distributed = assess(root, scheduler=client)
        cluster_s = time.perf_counter() - started
        worker_rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    same = distributed.equals(single)
    print(
        f"LocalCluster {args.workers} workers × 1 thread: {cluster_s:.1f} s = "
        f"{station_hours / cluster_s / 1e6:.2f} M station-hours/s (start-up {startup:.1f} s apart); "
        f"worker peak RSS {', '.join(f'{v:.0f}' for v in worker_rss.values())} MB"
    )
    print(
        f"  scaling: {single_s / cluster_s:.2f}× the single process on {args.workers} workers "
        f"(ideal {args.workers}×; the machine's {os.cpu_count()} cores are shared)"
    )
    print(f"  result equals the single-process result exactly: {'yes' if same else 'NO'}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
