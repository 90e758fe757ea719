"""``lantian aqi``: compute HJ 633 AQI for CNEMC station files, one CSV row per station-hour/day.

Streaming: files are read one at a time; the daily mode keeps only the unfinished day (plus the
hour-0 row it still needs from the next file) between files, so memory stays flat in the number
of files. The arithmetic lives in :mod:`lantian.standards`; this module only moves arrays around.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl
import typer

from lantian.ingest.cnemc import CST, CnemcFile, merge_hourly, read_cnemc
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
from lantian.standards.rounding import to_float
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


def _fixed_column(values: npt.NDArray[np.int64], decimals: int) -> pl.Series:
    """Concentrations at their reporting resolution: integers, CO with one decimal; null = missing."""
    if decimals == 0:
        return _iaqi_column(values)
    return pl.Series(to_float(values, decimals)).fill_nan(None).round(decimals)


def _iaqi_column(values: npt.NDArray[np.integer[Any]]) -> pl.Series:
    as_float = np.where(values >= 0, values.astype(np.float64), np.nan)
    return pl.Series(as_float).fill_nan(None).cast(pl.Int32)


def _result_columns(result: AqiResult, keep: npt.NDArray[np.bool_]) -> dict[str, Any]:
    names = {"PM25": "PM2.5"}
    columns: dict[str, Any] = {}
    for indicator in result.indicators:
        label = names.get(indicator, indicator)
        columns[f"iaqi_{label}"] = _iaqi_column(result.iaqi[indicator][keep])
    aqi = result.aqi[keep]
    columns["aqi"] = _iaqi_column(aqi)
    flat_keep = keep.reshape(-1)
    for column, labels in (
        ("primary", result.primary_labels()),
        ("exceedance", result.exceedance_labels()),
        ("over_range", result.over_range_labels()),
    ):
        picked = pl.Series(np.array(labels, dtype=object)[flat_keep].tolist(), dtype=pl.String)
        picked = picked.str.replace_all("PM25", "PM2.5", literal=True)  # CNEMC spelling
        columns[column] = pl.select(pl.when(picked != "").then(picked)).to_series()
    level = result.level[keep].astype(np.int32)
    columns["level"] = _iaqi_column(np.where(level > 0, level, -1))
    categories = np.array(
        [""] + [info.category_zh for info in result.standard.levels], dtype=object
    )
    columns["category"] = pl.Series(categories[level].tolist(), dtype=pl.String).replace("", None)
    return columns


def _hourly_frames(data: CnemcFile, choice: str, options: AqiOptions) -> Iterator[pl.DataFrame]:
    days = np.array([t.date() for t in data.times])
    for standard_day in sorted({_standard_for(choice, d).name for d in days}):
        rows = np.array([_standard_for(choice, d).name == standard_day for d in days])
        standard = select_standard("hj633-2026" if standard_day == "hj633-2026" else "hj633-2012")
        conc = {k: data.fixed(t)[rows] for k, t in HOURLY_INPUTS.items()}
        moving = {k: data.fixed(t)[rows] for k, t in MOVING_INPUTS.items()}
        result = realtime_aqi_fixed(conc | moving, standard, options)
        present = np.logical_or.reduce([conc[k] >= 0 for k in HOURLY_INPUTS])
        n_t, n_s = present.shape
        station_idx = np.tile(np.arange(n_s), n_t).reshape(n_t, n_s)[present]
        time_idx = np.repeat(np.arange(n_t), n_s).reshape(n_t, n_s)[present]
        times = np.array(data.time_strings(), dtype=object)[rows]
        frame = pl.DataFrame(
            {
                "station": pl.Series(data.stations, dtype=pl.String)[station_idx],
                "time": pl.Series(times.tolist(), dtype=pl.String)[time_idx],
            }
        )
        columns: dict[str, Any] = {}
        for name in CONCENTRATION_COLUMNS:
            key = "PM25" if name == "PM2.5" else name
            columns[name] = _fixed_column(conc[key][present], 1 if name == "CO" else 0)
        columns.update(_result_columns(result, present))
        yield frame.with_columns(**columns)


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
        frame = pl.DataFrame(
            {
                "station": pl.Series(grid.stations, dtype=pl.String).filter(pl.Series(has_any)),
                "date": [day.isoformat()] * int(has_any.sum()),
                "time": [end.isoformat(timespec="minutes")] * int(has_any.sum()),
            }
        )
        columns: dict[str, Any] = {}
        for key in ("SO2", "NO2", "CO", "O3_1H", "O3_8H", "PM10", "PM25"):
            label = "PM2.5" if key == "PM25" else key
            columns[label] = _fixed_column(conc[key][has_any], 1 if key == "CO" else 0)
            columns[f"n_{label}"] = pl.Series(counts[key][d][has_any])
        columns.update(_result_columns(result, has_any))
        frames.append(frame.with_columns(**columns))
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


def _read_reporting(paths: list[Path], summary: RunSummary, err: IO[str]) -> Iterator[CnemcFile]:
    for path in paths:
        try:
            data = read_cnemc(path)
        except (OSError, ValueError) as error:
            err.write(f"跳过无法读取的文件 / skipped unreadable file {path}: {error}\n")
            summary.notes += 1
            summary.unreadable.append(path)
            continue
        summary.files += 1
        summary.station_hours += int((~np.isnan(data.values).all(axis=1)).sum())
        for note in data.skipped:
            err.write(f"{path.name}: {note.kind} (line {note.line}): {note.detail}\n")
            summary.notes += 1
        yield data


def run_aqi(
    paths: list[Path],
    out: Path,
    standard: str = "hj633-2012",
    daily: bool = False,
    options: AqiOptions | None = None,
    err: IO[str] | None = None,
) -> RunSummary:
    """Compute AQI rows for CNEMC files and write them to ``out`` (CSV, empty cell = missing)."""
    opts = options or AqiOptions()
    stream = err or sys.stderr
    summary = RunSummary()
    ordered = sorted(paths, key=_date_key)
    files = _read_reporting(ordered, summary, stream)
    header_written = False
    with out.open("w", encoding="utf-8", newline="") as handle:
        frames: Iterable[pl.DataFrame]
        if daily:
            frames = _daily_frames(files, standard, opts, stream)
        else:
            frames = (f for data in files for f in _hourly_frames(data, standard, opts))
        for frame in frames:
            frame.write_csv(handle, include_header=not header_written)
            header_written = True
            summary.rows += frame.height
    return summary


def aqi_command(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="CNEMC csv files"),
    out: Path = typer.Option(..., "--out", "-o", help="output CSV"),
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
    options = AqiOptions(realtime_pm_basis=basis, realtime_so2_substitute=substitute)
    summary = run_aqi(list(files), out, standard, daily, options)
    unit = "station-days" if daily else "station-hours"
    typer.echo(
        f"{summary.files} files, {summary.station_hours} station-hours read, "
        f"{summary.rows} {unit} written to {out}; {summary.notes} reader notes (see stderr)",
        err=True,
    )
    if summary.unreadable:
        # The readable files are written; the exit code tells scripts that some input was not.
        raise typer.Exit(1)
