"""Reader for CNEMC national station files ``china_sites_YYYYMMDD.csv`` (quotsoft layout).

Format (data/PROVENANCE.md §1.5): header ``date,hour,type,<station codes...>``, then up to
24 x 15 rows per day, one per (hour, type). ``hour`` h of date D is the CNEMC time point
D h:00 (China Standard Time, UTC+8), labelled by the *end* of its hour: the value is the mean of
(h-1):00-h:00, so hour 0 of D is 24:00 of D-1. Empty cells are missing. Columns are mapped by
header name because the station set changes over time. Also accepted:

* multi-day files with one header (the Zhengzhou extract), rows keyed by (date, hour, type);
* the *transposed* layout (rows ``date,...`` / ``hour,...`` / ``type,...`` then one row per
  station), as in ``other_layouts/china_sites_20180101_transposed.csv``;
* truncated files: a short last row keeps its cells and the rest are missing; everything the
  reader drops or pads is reported in :attr:`CnemcFile.skipped`.

The reader only parses; the kernels in :mod:`lantian.standards` do the arithmetic.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from lantian.standards.rounding import quantize

CST: Final = timezone(timedelta(hours=8), "CST")
"""China Standard Time, the time base of all CNEMC data."""

CNEMC_TYPES: Final = (
    "AQI",
    "PM2.5",
    "PM2.5_24h",
    "PM10",
    "PM10_24h",
    "SO2",
    "SO2_24h",
    "NO2",
    "NO2_24h",
    "O3",
    "O3_24h",
    "O3_8h",
    "O3_8h_24h",
    "CO",
    "CO_24h",
)
"""The 15 row types of a china_sites file, in file order."""

TYPE_DECIMALS: Final = {t: (1 if t.startswith("CO") else 0) for t in CNEMC_TYPES}
"""Published resolution: CO and CO_24h in 0.1 mg/m³, everything else integers."""

SkipKind = Literal[
    "truncated_row",
    "long_row",
    "bad_row",
    "unknown_type",
    "bad_value",
    "duplicate_row",
    "missing_hour",
]


@dataclass(frozen=True, slots=True)
class SkipNote:
    """Something the reader skipped, padded or found absent, with the line it concerns."""

    kind: SkipKind
    line: int
    detail: str


@dataclass(frozen=True, eq=False)
class CnemcFile:
    """The contents of one CNEMC file as dense arrays.

    ``values[t, k, s]`` is the value of type ``types[k]`` at time point ``times[t]`` for station
    ``stations[s]`` (float64, NaN = missing). ``times`` are hour-ending local datetimes (CST).
    """

    path: Path
    layout: Literal["wide", "transposed"]
    stations: tuple[str, ...]
    times: tuple[datetime, ...]
    types: tuple[str, ...] = CNEMC_TYPES
    values: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty((0, 15, 0)))
    skipped: tuple[SkipNote, ...] = ()
    rows_read: int = 0
    in_file: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros((0, 15, 0), bool))
    """Same shape as ``values``: True where the cell exists in the file (possibly empty).

    False where the (hour, type) row is absent or was cut off by truncation, so "missing because
    not published" can be told from "missing because the file is damaged".
    """

    def cells_read(self, type_name: str) -> npt.NDArray[np.bool_]:
        """(time, station) mask of cells present in the file (rows absent/truncated -> False)."""
        return self.in_file[:, self.types.index(type_name), :]

    def series(self, type_name: str) -> npt.NDArray[np.float64]:
        """Values of one type as a (time, station) array, NaN = missing."""
        return self.values[:, self.types.index(type_name), :]

    def fixed(self, type_name: str) -> npt.NDArray[np.int64]:
        """Values of one type as fixed-point integers (CO x 10), -1 = missing (GB/T 8170)."""
        return quantize(self.series(type_name), TYPE_DECIMALS[type_name])

    def time_strings(self) -> list[str]:
        """ISO 8601 time points with the +08:00 offset, one per row of ``times``."""
        return [t.isoformat(timespec="minutes") for t in self.times]

    def station_hours(self) -> pl.DataFrame:
        """One row per station-hour with any value: ``station, time`` and one column per type."""
        n_t, n_k, n_s = self.values.shape
        flat = self.values.transpose(0, 2, 1).reshape(n_t * n_s, n_k)
        present = ~np.isnan(flat).all(axis=1)
        station_idx = np.tile(np.arange(n_s), n_t)[present]
        time_idx = np.repeat(np.arange(n_t), n_s)[present]
        frame = pl.DataFrame(
            {
                "station": pl.Series(self.stations, dtype=pl.String)[station_idx],
                "time": pl.Series(self.time_strings(), dtype=pl.String)[time_idx],
            }
        )
        columns = {
            name: pl.Series(name, flat[present, k]).fill_nan(None)
            for k, name in enumerate(self.types)
        }
        return frame.with_columns(**columns)

    def long(self) -> pl.DataFrame:
        """Long format for importers: ``station, time, type, value`` (non-missing values only)."""
        return (
            self.station_hours()
            .unpivot(index=["station", "time"], variable_name="type", value_name="value")
            .drop_nulls("value")
        )


def _parse_time(date_text: str, hour_text: str) -> datetime | None:
    try:
        day = date(int(date_text[0:4]), int(date_text[4:6]), int(date_text[6:8]))
        hour = int(hour_text)
    except ValueError:
        return None
    if len(date_text) != 8 or not 0 <= hour <= 23:
        return None
    return datetime(day.year, day.month, day.day, hour, tzinfo=CST)


def _parse_wide_fast(
    text: str, lines: list[str], header: list[str], types: frozenset[str] | None = None
) -> (
    tuple[
        list[tuple[str, str, str, int]],
        list[int],
        npt.NDArray[np.float64],
        npt.NDArray[np.int64],
        list[SkipNote],
    ]
    | None
):
    """Parse a clean wide file with Polars' native CSV reader; None means "use the careful path".

    Only short (truncated) rows are tolerated here, since Polars pads them with nulls exactly as
    the careful path does; blank lines, long rows, duplicate headers or non-numeric cells fall
    back to the line-by-line parser, which reports them individually. With ``types``, every row
    is still checked and reported (time points, truncation), but only the cells of rows of those
    types are parsed.

    Returns the rows' (date, hour, type, line number), their widths, the parsed values (one row
    per parsed row) and, per row, the index of its values (-1: not parsed), and the notes.
    """
    numbered = list(enumerate(lines[1:], 2))
    while numbered and not numbered[-1][1].strip():
        numbered.pop()
    body = [line for _, line in numbered]
    n_stations = len(header) - 3
    if len(set(header)) != len(header) or any(not line.strip() for line in body):
        return None
    commas = [line.count(",") for line in body]
    if any(c < 2 or c > n_stations + 2 for c in commas):
        return None
    schema = {name: (pl.String if i < 3 else pl.Float64) for i, name in enumerate(header)}
    rows_meta: list[tuple[str, str, str]]
    if '"' in text:  # quoted cells: Polars reads every row and unquotes the labels too
        chosen = list(range(len(body)))
        try:
            frame = pl.read_csv(io.BytesIO(text.encode("utf-8")), schema=schema, has_header=True)
        except pl.exceptions.PolarsError:
            return None
        if frame.height != len(body):
            return None
        columns = [frame.get_column(header[i]).fill_null("").to_list() for i in range(3)]
        rows_meta = list(zip(*columns, strict=True))
        parsed = frame[:, 3:].to_numpy().astype(np.float64, copy=False)
    else:
        # Why not frame[:, 3:]: slicing 1,600 columns costs more in Python than the parse;
        # the labels are split here and Polars parses only the station columns.
        rows_meta = [(d, h, t) for d, h, t, *_ in (line.split(",", 3) for line in body)]
        chosen = [i for i, (_, _, t) in enumerate(rows_meta) if types is None or t.strip() in types]
        if types is not None:
            text = "\n".join([lines[0], *(body[i] for i in chosen)])
        try:
            frame = pl.read_csv(
                io.BytesIO(text.encode("utf-8")),
                schema=schema,
                has_header=True,
                columns=list(range(3, len(header))),
            )
        except pl.exceptions.PolarsError:
            return None
        if frame.height != len(chosen):
            return None
        parsed = frame.to_numpy().astype(np.float64, copy=False)
    row_of_values = np.full(len(body), -1, dtype=np.int64)
    row_of_values[chosen] = np.arange(len(chosen))
    meta = [(d, h, t, number) for (number, _), (d, h, t) in zip(numbered, rows_meta, strict=True)]
    widths = [c - 2 for c in commas]
    notes = [
        SkipNote(
            "truncated_row",
            m[3],
            f"{m[0]} hour {m[1]} {m[2]}: {w} of {n_stations} station cells, "
            "the rest treated as missing",
        )
        for m, w in zip(meta, widths, strict=True)
        if w < n_stations
    ]
    return meta, widths, parsed, row_of_values, notes


def read_cnemc(path: str | Path, types: Collection[str] | None = None) -> CnemcFile:
    """Read one CNEMC china_sites file (wide, multi-day or transposed layout).

    Never raises on damaged content: bad rows are skipped and listed in ``skipped``; hours absent
    from a day are listed as ``missing_hour``. Raises ``ValueError`` only if the file is not a
    CNEMC file at all (no ``date,hour,type`` header in either orientation).

    ``types`` (a subset of :data:`CNEMC_TYPES`) is a hint for callers that need a few of the 15
    (``lantian aqi`` needs 9): on the fast path the cells of the other types are not parsed and
    come back missing (NaN; ``in_file`` still tells which cells the file has). Every row is still
    checked, so the notes and time points are those of a full read.
    """
    wanted = None if types is None else frozenset(types)
    file_path = Path(path)
    raw = file_path.read_bytes()
    if file_path.suffix == ".gz":  # the demo ships its CNEMC data gzip-compressed
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8-sig", errors="replace")
    lines = text.splitlines()
    if not lines:
        raise ValueError(f"{file_path}: empty file")
    header = lines[0].split(",")
    skipped: list[SkipNote] = []
    row_values: npt.NDArray[np.float64] | None = None
    values_of_row = np.zeros(0, dtype=np.int64)
    if header[:3] == ["date", "hour", "type"]:
        layout: Literal["wide", "transposed"] = "wide"
        stations = [s.strip() for s in header[3:]]
        meta: list[tuple[str, str, str, int]] = []
        widths: list[int] = []
        cells: list[list[str]] = []
        fast = _parse_wide_fast(text, lines, header, wanted)
        if fast is not None:
            meta, widths, row_values, values_of_row, notes = fast
            skipped.extend(notes)
        for number, line in enumerate(lines[1:] if fast is None else [], start=2):
            if not line.strip():
                continue
            row = line.split(",")
            if len(row) < 3:
                skipped.append(SkipNote("bad_row", number, f"only {len(row)} cells"))
                continue
            width = len(row) - 3
            if width < len(stations):
                skipped.append(
                    SkipNote(
                        "truncated_row",
                        number,
                        f"{row[0]} hour {row[1]} {row[2]}: {width} of {len(stations)} "
                        "station cells, the rest treated as missing",
                    )
                )
                row = row + [""] * (len(stations) - width)
            elif width > len(stations):
                skipped.append(SkipNote("long_row", number, f"{width - len(stations)} extra cells"))
                row = row[: len(stations) + 3]
            meta.append((row[0], row[1], row[2], number))
            widths.append(min(width, len(stations)))
            cells.append(row[3:])
    elif len(lines) >= 3 and header[0] == "date" and lines[1].startswith("hour,"):
        layout = "transposed"
        hours = lines[1].split(",")
        types = lines[2].split(",")
        if not types or types[0] != "type":
            raise ValueError(f"{file_path}: transposed layout without a type row")
        n_cols = min(len(header), len(hours), len(types)) - 1
        stations = []
        station_rows: list[list[str]] = []
        for number, line in enumerate(lines[3:], start=4):
            if not line.strip():
                continue
            row = line.split(",")
            if len(row) - 1 < n_cols:
                skipped.append(
                    SkipNote("truncated_row", number, f"station {row[0]}: {len(row) - 1} cells")
                )
                row = row + [""] * (n_cols + 1 - len(row))
            stations.append(row[0].strip())
            station_rows.append(row[1 : n_cols + 1])
        meta = [(header[j], hours[j], types[j], j + 1) for j in range(1, n_cols + 1)]
        widths = [len(station_rows)] * len(meta)
        cells = [list(col) for col in zip(*station_rows, strict=True)] if station_rows else []
        if not station_rows:
            cells = [[] for _ in meta]
    else:
        raise ValueError(f"{file_path}: not a CNEMC china_sites file (header {header[:3]})")

    time_index: dict[datetime, int] = {}
    row_time: list[int] = []
    row_type: list[int] = []
    row_width: list[int] = []
    keep: list[int] = []
    seen: set[tuple[int, int]] = set()
    for i, (date_text, hour_text, type_text, number) in enumerate(meta):
        when = _parse_time(date_text.strip(), hour_text.strip())
        if when is None:
            skipped.append(
                SkipNote("bad_row", number, f"bad date/hour {date_text!r} {hour_text!r}")
            )
            continue
        type_name = type_text.strip()
        if type_name not in CNEMC_TYPES:
            skipped.append(SkipNote("unknown_type", number, f"type {type_name!r}"))
            continue
        t = time_index.setdefault(when, len(time_index))
        k = CNEMC_TYPES.index(type_name)
        if (t, k) in seen:
            skipped.append(SkipNote("duplicate_row", number, f"{when:%Y-%m-%d %H} {type_name}"))
        seen.add((t, k))
        row_time.append(t)
        row_type.append(k)
        row_width.append(widths[i])
        keep.append(i)

    n_s = len(stations)
    keep_rows = np.asarray(keep, dtype=np.int64)
    if row_values is not None:
        source, source_row = row_values, values_of_row[keep_rows]  # -1: type not parsed
    else:
        flat_text = [cell for i in keep for cell in cells[i]]
        parsed = pl.Series(flat_text, dtype=pl.String).str.strip_chars()
        numbers = parsed.cast(pl.Float64, strict=False)
        bad = int((numbers.is_null() & (parsed.str.len_chars() > 0)).sum())
        if bad:
            skipped.append(SkipNote("bad_value", 0, f"{bad} non-numeric cells treated as missing"))
        source = numbers.fill_null(np.nan).to_numpy().reshape(len(keep), n_s)
        source_row = np.arange(len(keep))

    # Time points sorted chronologically; a later duplicate row overrides an earlier one.
    ordered = sorted(time_index, key=lambda when: when)
    position = {when: p for p, when in enumerate(ordered)}
    remap = np.array([position[when] for when in time_index], dtype=np.int64)
    shape = (len(ordered), len(CNEMC_TYPES), n_s)
    in_file = np.zeros(shape, dtype=np.bool_)
    values: npt.NDArray[np.float64]
    if not keep:
        values = np.full(shape, np.nan)
    else:
        time_rows = remap[np.asarray(row_time)]
        type_rows = np.asarray(row_type)
        parsed_rows = source_row >= 0
        kinds = np.unique(type_rows[parsed_rows])
        n_t, n_k = len(ordered), len(kinds)
        if (
            len(source) == n_t * n_k
            and np.array_equal(source_row[parsed_rows], np.arange(len(source)))
            and np.array_equal(time_rows[parsed_rows], np.repeat(np.arange(n_t), n_k))
            and np.array_equal(type_rows[parsed_rows], np.tile(kinds, n_t))
        ):
            # The usual file: each time point has one row of each type, in order. Copy it in
            # slabs instead of scattering rows into a NaN-filled array.
            values = np.empty(shape)
            values[:, kinds, :] = source.reshape(n_t, n_k, n_s)
            others = np.setdiff1d(np.arange(len(CNEMC_TYPES)), kinds)
            values[:, others, :] = np.nan
        else:
            values = np.full(shape, np.nan)
            values[time_rows[parsed_rows], type_rows[parsed_rows], :] = source[
                source_row[parsed_rows]
            ]
        if min(row_width, default=n_s) >= n_s:
            in_file[time_rows, type_rows, :] = True
        else:
            read = np.arange(n_s)[None, :] < np.asarray(row_width)[:, None]
            in_file[time_rows, type_rows, :] = read

    days = sorted({when.date() for when in ordered})
    present = {(when.date(), when.hour) for when in ordered}
    for day in days:
        absent = [h for h in range(24) if (day, h) not in present]
        if absent:
            skipped.append(
                SkipNote("missing_hour", 0, f"{day.isoformat()}: hours {_ranges(absent)} absent")
            )
    return CnemcFile(
        path=file_path,
        layout=layout,
        stations=tuple(stations),
        times=tuple(ordered),
        values=values,
        skipped=tuple(skipped),
        rows_read=len(meta),
        in_file=in_file,
    )


def _ranges(hours: list[int]) -> str:
    parts: list[str] = []
    start = prev = hours[0]
    for h in [*hours[1:], None]:
        if h is not None and h == prev + 1:
            prev = h
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if h is not None:
            start = prev = h
    return ",".join(parts)


def merge_hourly(files: Iterable[CnemcFile]) -> CnemcFile:
    """Join files onto one regular hourly grid (union of stations, NaN for absent hours).

    Used to compute statistics that cross file boundaries (rolling 24-h means, natural days that
    end with hour 0 of the next file). Later files override earlier ones at the same time point.
    """
    parts = list(files)
    if not parts:
        raise ValueError("nothing to merge")
    stations: dict[str, int] = {}
    for part in parts:
        for code in part.stations:
            stations.setdefault(code, len(stations))
    first = min(p.times[0] for p in parts if p.times)
    last = max(p.times[-1] for p in parts if p.times)
    n_t = int((last - first) / timedelta(hours=1)) + 1
    values = np.full((n_t, len(CNEMC_TYPES), len(stations)), np.nan)
    in_file = np.zeros(values.shape, dtype=np.bool_)
    skipped: list[SkipNote] = []
    for part in parts:
        if not part.times:
            continue
        t_idx = np.array([int((t - first) / timedelta(hours=1)) for t in part.times])
        s_idx = np.array([stations[c] for c in part.stations], dtype=np.int64)
        where = np.ix_(t_idx, np.arange(len(CNEMC_TYPES)), s_idx)
        values[where] = np.where(part.in_file, part.values, values[where])
        in_file[where] |= part.in_file
        skipped.extend(part.skipped)
    times = tuple(first + timedelta(hours=i) for i in range(n_t))
    return CnemcFile(
        path=parts[0].path,
        layout=parts[0].layout,
        stations=tuple(stations),
        times=times,
        values=values,
        skipped=tuple(skipped),
        rows_read=sum(p.rows_read for p in parts),
        in_file=in_file,
    )


def iter_cnemc(paths: Iterable[str | Path]) -> Iterator[CnemcFile]:
    """Read files one at a time (memory stays flat in the number of files)."""
    for path in paths:
        yield read_cnemc(path)


__all__ = [
    "CNEMC_TYPES",
    "CST",
    "TYPE_DECIMALS",
    "CnemcFile",
    "SkipNote",
    "iter_cnemc",
    "merge_hourly",
    "read_cnemc",
]
