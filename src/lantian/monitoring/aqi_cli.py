"""``lantian aqi``: compute HJ 633 AQI for CNEMC station files, one CSV row per station-hour/day.

Streaming: files are spread over ``--jobs`` processes (default: the cores; this one and
``jobs - 1`` workers), at most two per process in flight, and written in input order, so the output is the same for any number of
jobs. Hourly, a worker reads, computes and encodes a whole file; the daily mode keeps only the
unfinished day (plus the hour-0 row it still needs from the next file) between files. Memory
stays flat in the number of files. The arithmetic lives in :mod:`lantian.standards`; this module
only moves arrays around.
"""

from __future__ import annotations

import io
import itertools
import multiprocessing
import multiprocessing.forkserver
import os
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl
import typer
from polars.io.plugins import register_io_source

from lantian.ingest.cnemc import CST, CnemcFile, SkipNote, merge_hourly, read_cnemc
from lantian.standards.aqi import (
    HJ633_2012,
    HJ633_2026,
    HJ633_2026_EFFECTIVE,
    AqiResult,
    AqiStandard,
    daily_aqi_fixed,
    realtime_aqi_fixed,
    select_standard,
)
from lantian.standards.options import AqiOptions
from lantian.standards.validity import daily_average, daily_max, o3_daily_max_8h

HOURLY_INPUTS = {
    "SO2": "SO2",
    "NO2": "NO2",
    "CO": "CO",
    "O3": "O3",
    "PM10": "PM10",
    "PM25": "PM2.5",
}
MOVING_INPUTS = {"SO2_24H": "SO2_24h", "PM10_24H": "PM10_24h", "PM25_24H": "PM2.5_24h"}
"""24-h moving means published in the file, used for the SO2 > 800 substitute and the optional
24-h PM basis of the real-time AQI (HJ 633-2012 §5.1.3)."""
HOURLY_TYPES_READ = frozenset([*HOURLY_INPUTS.values(), *MOVING_INPUTS.values()])
"""Row types the hourly rows use; in hourly mode the "station-hours read" of the summary are
those with a value of one of these types."""
MIN_DAY_COVERAGE = 20
"""A natural day is reported when the input files cover at least this many of its 24 hours."""
CONCENTRATION_COLUMNS = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")
O3_1H_MAX_MIN_HOURS = 20
"""Valid hours needed for the daily O3 1-h maximum: treated like the other daily statistics
(GB 3095-2012 Table 4 gives no figure for it; UNCONFIRMED)."""


@dataclass
class RunSummary:
    files: int = 0
    rows: int = 0
    station_hours: int = 0
    notes: int = 0
    unreadable: list[Path] = field(default_factory=list)


def _date_key(path: Path) -> tuple[str, str]:
    match = re.search(r"(\d{8})", path.name)
    return (match.group(1) if match else "", path.name)


def _standard_for(choice: str, day: date) -> AqiStandard:
    if choice == "auto":
        return HJ633_2026 if day >= HJ633_2026_EFFECTIVE else HJ633_2012
    return select_standard("hj633-2026" if choice == "hj633-2026" else "hj633-2012")


def _valid(name: str, decimals: int = 0) -> pl.Expr:
    """A fixed-point column at its reporting resolution: integers (Int32), CO with one decimal
    (Float64); negative (MISSING) becomes null."""
    column = pl.col(name)
    valid = pl.when(column >= 0).then(column)
    if decimals == 0:
        return valid.cast(pl.Int32).alias(name)
    return (valid.cast(pl.Float64) / float(10**decimals)).round(decimals).alias(name)


def _mask_labels(
    name: str, masks: npt.NDArray[np.uint16], names: Callable[[int], list[str]]
) -> pl.Expr:
    """Label text of each distinct mask value ('PM2.5' spelling; null where none)."""
    distinct = np.flatnonzero(np.bincount(masks.reshape(-1))).tolist()  # masks are small ints
    texts = [",".join(names(int(mask))).replace("PM25", "PM2.5") or None for mask in distinct]
    return (
        pl.col(name)
        .replace_strict(distinct, texts, default=None, return_dtype=pl.String)
        .alias(name)
    )


def _result_columns(
    result: AqiResult, keep: npt.NDArray[np.bool_]
) -> tuple[dict[str, npt.NDArray[Any]], list[pl.Expr]]:
    """Raw arrays of the kept rows and the expressions turning them into the output columns.

    Everything per row happens in one Polars ``select`` (no Python objects per row): the label
    columns map each distinct mask value once.
    """
    raw: dict[str, npt.NDArray[Any]] = {}
    exprs: list[pl.Expr] = []
    for indicator in result.indicators:
        label = f"iaqi_{'PM2.5' if indicator == 'PM25' else indicator}"
        raw[label] = result.iaqi[indicator][keep]
        exprs.append(_valid(label))
    raw["aqi"] = result.aqi[keep]
    exprs.append(_valid("aqi"))
    for column, mask, names in (
        ("primary", result.primary_mask, result.pollutants_in),
        ("exceedance", result.exceedance_mask, result.pollutants_in),
        ("over_range", result.over_range_mask, result.indicators_in),
    ):
        raw[column] = mask[keep]
        exprs.append(_mask_labels(column, raw[column], names))
    level = result.level[keep]
    raw["level"] = np.where(level > 0, level, -1).astype(np.int8)
    exprs.append(_valid("level"))
    levels = list(range(1, len(result.standard.levels) + 1))
    categories = [info.category_zh for info in result.standard.levels]
    exprs.append(
        pl.col("level")
        .replace_strict(levels, categories, default=None, return_dtype=pl.String)
        .alias("category")
    )
    return raw, exprs


def _labels_by_index(name: str, labels: Sequence[str]) -> pl.Expr:
    """Row labels (station codes, times) from an index column, as plain strings."""
    return pl.lit(pl.Series(labels, dtype=pl.String)).gather(pl.col(name)).alias(name)


def _hourly_frames(data: CnemcFile, choice: str, options: AqiOptions) -> Iterator[pl.DataFrame]:
    standard_of_row = [_standard_for(choice, when.date()).name for when in data.times]
    all_times = data.time_strings()
    for standard_name in sorted(set(standard_of_row)):
        rows = np.array([name == standard_name for name in standard_of_row])
        standard = select_standard("hj633-2026" if standard_name == "hj633-2026" else "hj633-2012")
        conc = {k: data.fixed(t)[rows] for k, t in HOURLY_INPUTS.items()}
        moving = {k: data.fixed(t)[rows] for k, t in MOVING_INPUTS.items()}
        result = realtime_aqi_fixed(conc | moving, standard, options)
        present = np.logical_or.reduce([conc[k] >= 0 for k in HOURLY_INPUTS])
        time_idx, station_idx = np.nonzero(present)  # row-major: by time, then station
        times = [t for t, keep in zip(all_times, rows, strict=True) if keep]
        raw: dict[str, npt.NDArray[Any]] = {
            "station": station_idx.astype(np.uint32),
            "time": time_idx.astype(np.uint32),
        }
        exprs = [_labels_by_index("station", data.stations), _labels_by_index("time", times)]
        for name in CONCENTRATION_COLUMNS:
            raw[name] = conc["PM25" if name == "PM2.5" else name][present]
            exprs.append(_valid(name, 1 if name == "CO" else 0))
        result_raw, result_exprs = _result_columns(result, present)
        yield pl.DataFrame(raw | result_raw).select(*exprs, *result_exprs)


def _daily_frame(
    grid: CnemcFile, first_day: date, n_days: int, choice: str, options: AqiOptions, err: IO[str]
) -> pl.DataFrame | None:
    """Daily statistics and AQI of the natural days starting at ``first_day`` (labels 01..24)."""
    start = datetime(first_day.year, first_day.month, first_day.day, 1, tzinfo=CST)
    offset = int((start - grid.times[0]) / timedelta(hours=1))
    hours = n_days * 24

    def window(type_name: str) -> npt.NDArray[np.int64]:
        fixed = grid.fixed(type_name)
        out = np.full((hours, fixed.shape[1]), -1, dtype=np.int64)
        lo, hi = max(offset, 0), min(offset + hours, fixed.shape[0])
        if hi > lo:
            out[lo - offset : hi - offset] = fixed[lo:hi]
        return out

    stats: dict[str, npt.NDArray[np.int64]] = {}
    counts: dict[str, npt.NDArray[np.int64]] = {}
    for key, type_name in (
        ("SO2", "SO2"),
        ("NO2", "NO2"),
        ("CO", "CO"),
        ("PM10", "PM10"),
        ("PM25", "PM2.5"),
    ):
        average = daily_average(window(type_name))
        stats[key], counts[key] = average.value, average.count
    o3 = window("O3")
    stats["O3_1H"], counts["O3_1H"] = daily_max(o3, O3_1H_MAX_MIN_HOURS)
    mda8 = o3_daily_max_8h(o3)
    stats["O3_8H"], counts["O3_8H"] = mda8.value, mda8.valid_windows

    hour_has_data = np.asarray(~np.isnan(grid.values).all(axis=(1, 2)), dtype=np.bool_)
    covered = np.zeros(hours, dtype=np.bool_)
    lo, hi = max(offset, 0), min(offset + hours, len(grid.times))
    if hi > lo:
        covered[lo - offset : hi - offset] = hour_has_data[lo:hi]
    coverage = covered.reshape(n_days, 24).sum(axis=1)
    frames = []
    for d in range(n_days):
        day = first_day + timedelta(days=d)
        if coverage[d] < MIN_DAY_COVERAGE:
            if coverage[d]:
                err.write(
                    f"day {day}: only {coverage[d]} of its 24 hours in the input, not reported\n"
                )
            continue
        standard = _standard_for(choice, day)
        conc = {k: v[d] for k, v in stats.items()}
        has_any = np.logical_or.reduce([counts[k][d] > 0 for k in counts])
        if not has_any.any():
            continue
        result = daily_aqi_fixed(conc, standard, options)
        end = datetime(day.year, day.month, day.day, tzinfo=CST) + timedelta(days=1)
        n_rows = int(has_any.sum())
        raw: dict[str, Any] = {
            "station": pl.Series(grid.stations, dtype=pl.String).filter(pl.Series(has_any)),
            "date": [day.isoformat()] * n_rows,
            "time": [end.isoformat(timespec="minutes")] * n_rows,
        }
        exprs = [pl.col("station"), pl.col("date"), pl.col("time")]
        for key in ("SO2", "NO2", "CO", "O3_1H", "O3_8H", "PM10", "PM25"):
            label = "PM2.5" if key == "PM25" else key
            raw[label] = conc[key][has_any]
            exprs.append(_valid(label, 1 if key == "CO" else 0))
            raw[f"n_{label}"] = counts[key][d][has_any]
            exprs.append(pl.col(f"n_{label}"))
        result_raw, result_exprs = _result_columns(result, has_any)
        frames.append(pl.DataFrame(raw | result_raw).select(*exprs, *result_exprs))
    return pl.concat(frames, how="diagonal") if frames else None


def _daily_frames(
    files: Iterable[CnemcFile], choice: str, options: AqiOptions, err: IO[str]
) -> Iterator[pl.DataFrame]:
    """Stream natural days across files, carrying the unfinished day to the next file.

    Day D is labelled 01:00..24:00 and ends with hour 0 of the file of D+1 (PROVENANCE §1.5), so
    it is computed once that hour has arrived or when the input ends / jumps ahead in time.
    """
    buffer: CnemcFile | None = None
    for data in files:
        if not data.times:
            continue
        if buffer is not None and data.times[0] > buffer.times[-1] + timedelta(hours=25):
            yield from _flush(buffer, choice, options, err)
            buffer = None
        grid = merge_hourly([buffer, data]) if buffer is not None else merge_hourly([data])
        first_day = (grid.times[0] - timedelta(hours=1)).date()
        last_complete = grid.times[-1].date() - timedelta(days=1)
        n_days = (last_complete - first_day).days + 1
        keep_from = grid.times[0]
        if n_days > 0:
            frame = _daily_frame(grid, first_day, n_days, choice, options, err)
            if frame is not None:
                yield frame
            keep_from = datetime(
                last_complete.year, last_complete.month, last_complete.day, 1, tzinfo=CST
            ) + timedelta(days=1)
        buffer = _slice_from(grid, keep_from)
    if buffer is not None:
        yield from _flush(buffer, choice, options, err)


def _flush(
    buffer: CnemcFile, choice: str, options: AqiOptions, err: IO[str]
) -> Iterator[pl.DataFrame]:
    if not buffer.times:
        return
    first_day = (buffer.times[0] - timedelta(hours=1)).date()
    last_day = (buffer.times[-1] - timedelta(hours=1)).date()
    n_days = (last_day - first_day).days + 1
    frame = _daily_frame(buffer, first_day, n_days, choice, options, err)
    if frame is not None:
        yield frame


def _slice_from(grid: CnemcFile, start: datetime) -> CnemcFile | None:
    offset = int((start - grid.times[0]) / timedelta(hours=1))
    if offset >= len(grid.times):
        return None
    offset = max(offset, 0)
    return CnemcFile(
        path=grid.path,
        layout=grid.layout,
        stations=grid.stations,
        times=grid.times[offset:],
        values=grid.values[offset:],
        skipped=(),
        rows_read=0,
        in_file=grid.in_file[offset:],
    )


@dataclass
class _Loaded:
    """One input file as read (and, in hourly mode, computed and encoded) by a worker.

    Picklable, since workers are processes: in hourly mode only the encoded output comes back
    (CSV bytes, or the frames for the Parquet writer), not the file's arrays.
    """

    path: Path
    error: Exception | None = None
    station_hours: int = 0
    notes: tuple[SkipNote, ...] = ()
    data: CnemcFile | None = None
    """The file's arrays, daily mode only (the days cross files, so they are joined here)."""
    frames: list[pl.DataFrame] = field(default_factory=list)
    csv: list[tuple[bytes, bytes, int]] = field(default_factory=list)
    """Per frame: its CSV header line, its rows and their number; only the first header is
    written."""


@dataclass(frozen=True)
class _Job:
    """What a worker does with each file: the same for every file of a run."""

    mode: Literal["daily", "csv", "parquet"]
    choice: str
    options: AqiOptions


def _csv_parts(frame: pl.DataFrame) -> tuple[bytes, bytes, int]:
    text = io.BytesIO()
    frame.write_csv(text, include_header=True)
    header, _, rows = text.getvalue().partition(b"\n")
    return header + b"\n", rows, frame.height


def _load(path: Path, job: _Job) -> _Loaded:
    """Read one file and, in hourly mode, compute and encode its rows (runs in a worker)."""
    try:
        # Hourly rows need 9 of the 15 row types: the others are not even parsed. The daily
        # report reads all of them (its hour coverage counts any value of the hour).
        data = read_cnemc(path, None if job.mode == "daily" else HOURLY_TYPES_READ)
    except (OSError, ValueError) as error:
        return _Loaded(path, error=error)
    loaded = _Loaded(
        path,
        station_hours=int((~np.isnan(data.values).all(axis=1)).sum()),
        notes=data.skipped,
    )
    if job.mode == "daily":
        loaded.data = data
        return loaded
    frames = list(_hourly_frames(data, job.choice, job.options))
    if job.mode == "csv":
        loaded.csv = [_csv_parts(frame) for frame in frames]
    else:
        loaded.frames = frames
    return loaded


def _worker_start(command_pid: int) -> None:
    """One Polars thread per worker (the workers already use every core between them), and no
    worker outliving the command if it is killed (workers are children of the fork server)."""
    os.environ["POLARS_MAX_THREADS"] = "1"

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(command_pid, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="lantian-aqi-watch", daemon=True).start()


def default_jobs() -> int:
    """Worker processes by default: the cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _loaded_in_order(paths: list[Path], job: _Job, jobs: int) -> Iterator[_Loaded]:
    """Read (and compute) files on ``jobs`` processes, handed back in input order.

    Each file is independent in hourly mode, so the files are spread over processes (the
    reader and the kernels hold the GIL for part of their time, so threads did not scale): this
    process takes every ``jobs``-th file itself and ``jobs - 1`` workers take the rest, so no
    core waits on a process that only writes. At most ``2 * jobs`` files are in flight, which
    keeps memory flat in the number of files; the output is written in input order, so it is
    the same for any number of jobs.
    """
    if jobs <= 1 or len(paths) <= 1:
        for path in paths:
            yield _load(path, job)
        return
    jobs = min(jobs, len(paths))
    # forkserver: workers fork from a clean server that has imported this module once (plain
    # fork is unsafe once Polars' thread pool exists in the parent; spawn imports per worker).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    try:
        with ProcessPoolExecutor(
            jobs - 1,
            mp_context=context,
            initializer=_worker_start,
            initargs=(os.getpid(),),
        ) as pool:
            pending: deque[Future[_Loaded] | Path] = deque()

            def next_done() -> _Loaded:
                item = pending.popleft()
                return _load(item, job) if isinstance(item, Path) else item.result()

            for index, path in enumerate(paths):
                own = index % jobs == jobs - 1
                pending.append(path if own else pool.submit(_load, path, job))
                if len(pending) >= 2 * jobs:
                    yield next_done()
            while pending:
                yield next_done()
    finally:
        _stop_forkserver()


def _stop_forkserver() -> None:
    """Stop and wait for the fork server, so its workers' CPU time is accounted to this process
    (and no server outlives the command)."""
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if callable(stop):
        stop()


def _reporting(loaded: Iterable[_Loaded], summary: RunSummary, err: IO[str]) -> Iterator[_Loaded]:
    """Reader notes and counts, written in input order as each file comes up."""
    for item in loaded:
        if item.error is not None:
            err.write(f"跳过无法读取的文件 / skipped unreadable file {item.path}: {item.error}\n")
            summary.notes += 1
            summary.unreadable.append(item.path)
            continue
        summary.files += 1
        summary.station_hours += item.station_hours
        for note in item.notes:
            err.write(f"{item.path.name}: {note.kind} (line {note.line}): {note.detail}\n")
            summary.notes += 1
        yield item


OutputFormat = Literal["csv", "parquet"]
PARQUET_SUFFIXES = (".parquet", ".pq")


def output_format_for(out: Path, choice: str | None = None) -> OutputFormat:
    """``--out-format`` if given, else by the output's extension (.parquet/.pq, else CSV)."""
    if choice is not None:
        if choice not in ("csv", "parquet"):
            raise ValueError(f"output format {choice!r}: csv or parquet")
        return "parquet" if choice == "parquet" else "csv"
    return "parquet" if out.suffix.lower() in PARQUET_SUFFIXES else "csv"


def _write_csv(frames: Iterable[pl.DataFrame], out: Path) -> int:
    rows = 0
    with out.open("wb") as handle:
        for frame in frames:
            frame.write_csv(handle, include_header=handle.tell() == 0)
            rows += frame.height
    return rows


def _write_csv_parts(files: Iterable[_Loaded], out: Path) -> int:
    """Write the CSV the workers encoded: the first header, then every frame's rows."""
    rows = 0
    with out.open("wb") as handle:
        for item in files:
            for header, body, count in item.csv:
                if handle.tell() == 0:
                    handle.write(header)
                handle.write(body)
                rows += count
    return rows


def _write_parquet(frames: Iterable[pl.DataFrame], out: Path) -> int:
    """One Parquet file written as the frames arrive (Polars' streaming sink, one file pass).

    The columns and types are those of the first frame; the CSV writer has the same contract.
    """
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        pl.DataFrame().write_parquet(out)
        return 0
    schema = first.schema
    rows = 0

    def source(
        with_columns: list[str] | None,
        predicate: pl.Expr | None,
        n_rows: int | None,
        batch_size: int | None,
    ) -> Iterator[pl.DataFrame]:
        nonlocal rows
        for frame in itertools.chain([first], iterator):
            rows += frame.height
            conformed = frame.select(
                pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype)
                for name, dtype in schema.items()
            )
            if with_columns is not None:
                conformed = conformed.select(with_columns)
            if predicate is not None:
                conformed = conformed.filter(predicate)
            yield conformed

    register_io_source(source, schema=schema).sink_parquet(out)
    return rows


def run_aqi(
    paths: list[Path],
    out: Path,
    standard: str = "hj633-2012",
    daily: bool = False,
    options: AqiOptions | None = None,
    err: IO[str] | None = None,
    out_format: OutputFormat | None = None,
    jobs: int | None = None,
) -> RunSummary:
    """Compute AQI rows for CNEMC files and write them to ``out`` (empty cell / null = missing).

    CSV unless ``out_format`` or the extension says Parquet; the two hold the same cells. Files
    are read (and, hourly, computed and encoded) on ``jobs`` processes (default: the cores this
    process may use); the output is the same for any number of jobs.
    """
    opts = options or AqiOptions()
    stream = err or sys.stderr
    summary = RunSummary()
    ordered = sorted(paths, key=_date_key)
    workers = jobs if jobs is not None else default_jobs()
    written = output_format_for(out, out_format)
    job = _Job("daily" if daily else written, standard, opts)
    files = _reporting(_loaded_in_order(ordered, job, workers), summary, stream)
    if not daily and written == "csv":
        summary.rows = _write_csv_parts(files, out)
        return summary
    frames: Iterable[pl.DataFrame]
    if daily:
        frames = _daily_frames(
            (item.data for item in files if item.data is not None), standard, opts, stream
        )
    else:
        frames = (frame for item in files for frame in item.frames)
    if written == "parquet":
        summary.rows = _write_parquet(frames, out)
    else:
        summary.rows = _write_csv(frames, out)
    return summary


def aqi_command(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="CNEMC csv files"),
    out: Path = typer.Option(
        ..., "--out", "-o", help="output file: CSV, or Parquet when it ends in .parquet / .pq"
    ),
    out_format: str | None = typer.Option(
        None, "--out-format", help="csv | parquet (default: by the extension of --out)"
    ),
    file_format: str = typer.Option("cnemc", "--format", help="input format (only 'cnemc')"),
    standard: str = typer.Option(
        "hj633-2012",
        "--standard",
        help="hj633-2012 | hj633-2026 | auto (by date; 2026 from 2026-03-01)",
    ),
    daily: bool = typer.Option(False, "--daily", help="one row per station-day (daily report)"),
    pm_basis: str = typer.Option("1h", "--pm-basis", help="real-time PM basis: 1h | 24h_moving"),
    so2_substitute: str = typer.Option(
        "24h_moving", "--so2-substitute", help="SO2 1-h > 800 under 2012: 24h_moving | none"
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", min=1, help="worker processes (default: the number of cores)"
    ),
) -> None:
    """计算 AQI / Compute HJ 633 AQI for CNEMC station files (one row per station-hour or -day)."""
    if file_format != "cnemc":
        raise typer.BadParameter("only --format cnemc is supported", param_hint="--format")
    if standard not in {"hj633-2012", "hj633-2026", "auto"}:
        raise typer.BadParameter("hj633-2012, hj633-2026 or auto", param_hint="--standard")
    basis: Literal["1h", "24h_moving"] = "24h_moving" if pm_basis == "24h_moving" else "1h"
    if pm_basis not in {"1h", "24h_moving"}:
        raise typer.BadParameter("1h or 24h_moving", param_hint="--pm-basis")
    if so2_substitute not in {"24h_moving", "none"}:
        raise typer.BadParameter("24h_moving or none", param_hint="--so2-substitute")
    substitute: Literal["24h_moving", "none"] = "none" if so2_substitute == "none" else "24h_moving"
    if out_format not in {None, "csv", "parquet"}:
        raise typer.BadParameter("csv or parquet", param_hint="--out-format")
    written: OutputFormat = output_format_for(out, out_format)
    options = AqiOptions(realtime_pm_basis=basis, realtime_so2_substitute=substitute)
    summary = run_aqi(list(files), out, standard, daily, options, out_format=written, jobs=jobs)
    unit = "station-days" if daily else "station-hours"
    typer.echo(
        f"{summary.files} files, {summary.station_hours} station-hours read, "
        f"{summary.rows} {unit} written to {out}; {summary.notes} reader notes (see stderr)",
        err=True,
    )
    if summary.unreadable:
        # The readable files are written; the exit code tells scripts that some input was not.
        raise typer.Exit(1)
