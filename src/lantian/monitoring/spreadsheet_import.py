"""Import of station hourly data from CSV and Excel files in the documented template.

The template (docs/import-template.md) has two accepted shapes, told apart by their header:

* **long form** — one value per row: ``station, time, pollutant, value[, flag][, unit]``;
* **wide form** — one station-hour per row: ``station, time`` and one column per pollutant
  (``SO2, NO2, PM10, PM2.5, CO, O3``, a unit may follow in brackets: ``CO(mg/m³)``).

A third shape, the **UCI layout** of the Beijing multi-site files (Zhang et al. 2017), is read
too: ``year, month, day, hour`` in four columns instead of ``time``, the station named by its
registered name (``Dongsi``) or code, and every pollutant column in µg/m³ — CO included, converted to
lantian's mg/m³. Its ``hour`` 0–23 begins the hour (the 24 rows of a day are hours 0 … 23 of that
day), so the hourly mean of hour ``h`` ends at ``h+1``:00. Weather columns are ignored here (the
weather importer reads them).

Headers may be Chinese or English (``站点编码 station`` works too), in any order; other columns
(station name, AQI, …) are ignored and reported as notes. ``time`` is the hour-ending China time
(UTC+8) of the hourly mean; ``24:00`` is 00:00 of the next day. Units are lantian's: µg/m³, CO in
mg/m³; a value in the other mass unit is converted exactly (×1000 or ÷1000, in decimal).

Files are opened, checked and their problems reported by :mod:`lantian.tabular`; this module
reads the header (long or wide form) and the cells. Validation is complete before anything is
written: every bad cell is reported as a :class:`~lantian.tabular.Problem` (file, sheet, row,
column, value, reason) and the file is refused as a whole with :class:`SpreadsheetRejected`. An
accepted file is kept in the file store, recorded as an
:class:`~lantian.monitoring.models.ImportBatch` and its values stored with ``source="upload"`` in one
transaction. As for CNEMC files, a value already stored is never overwritten: re-importing the same
file is a no-op and an overlapping file adds only what is new.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.db.bulk import insert_ignoring_conflicts
from lantian.db.engine import transaction
from lantian.monitoring.models import POLLUTANTS, Measurement, Station
from lantian.monitoring.uploads import (
    identify_upload,
    keep_upload,
    open_batch,
    record_rejection,
)
from lantian.tabular import (
    Column,
    Problem,
    Rejected,
    TableSpec,
    in_sheet_order,
    open_sheet,
)
from lantian.tabular import write_template as write_spec_template
from lantian.tabular.cells import Cell, decimal_of, is_blank, name_key, shown
from lantian.timeutil import CHINA_TZ

BATCH_KIND: Final = "spreadsheet"
SOURCE: Final = "upload"
NATURAL_KEY: Final = ("station_id", "pollutant", "averaging", "period_end", "source")
CHUNK_ROWS: Final = 20_000
MEASUREMENTS: Table = Measurement.__table__  # type: ignore[assignment]
#: Rows searched for the header, so that a title line above it (common in office files) is fine.
HEADER_SEARCH_ROWS: Final = 10
#: An hour ending later than now is refused; the office PC's clock may run a few minutes ahead.
CLOCK_TOLERANCE: Final = timedelta(minutes=10)

#: HJ 212-2017 Table 8 data flags.
DATA_FLAGS: Final = ("N", "F", "M", "S", "D", "C", "T", "B")

Role = Literal[
    "station", "time", "pollutant", "value", "flag", "unit", "year", "month", "day", "hour"
]
#: The four columns that together stand for ``time`` in the UCI layout.
SPLIT_TIME: Final[tuple[Role, ...]] = ("year", "month", "day", "hour")

#: Header names of each template column (compared after :func:`_name_key`).
COLUMN_ALIASES: Final[dict[Role, tuple[str, ...]]] = {
    "station": (
        "station",
        "stationcode",
        "stationid",
        "site",
        "sitecode",
        "code",
        "站点",
        "站点编码",
        "站点代码",
        "站号",
        "监测点",
        "监测点编码",
        "点位编码",
        "测点编码",
    ),
    "time": (
        "time",
        "datetime",
        "timepoint",
        "periodend",
        "时间",
        "监测时间",
        "数据时间",
        "时间点",
        "日期时间",
    ),
    "pollutant": ("pollutant", "parameter", "species", "污染物", "监测项目", "项目", "因子"),
    "value": ("value", "concentration", "值", "数值", "浓度", "浓度值", "监测值"),
    "flag": ("flag", "dataflag", "标识", "数据标识", "标记", "标志"),
    "unit": ("unit", "units", "单位"),
    "year": ("year", "年"),
    "month": ("month", "月"),
    "day": ("day", "日"),
    "hour": ("hour", "小时", "时"),
}

#: Pollutant names (compared after :func:`_name_key`: PM2.5, PM25, pm2_5 and PM₂.₅ are one).
POLLUTANT_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "so2": ("so2", "二氧化硫"),
    "no2": ("no2", "二氧化氮"),
    "pm10": ("pm10", "可吸入颗粒物"),
    "pm2_5": ("pm25", "细颗粒物"),
    "co": ("co", "一氧化碳"),
    "o3": ("o3", "臭氧"),
}
#: The published name of each pollutant, for messages and the template.
POLLUTANT_LABELS: Final = {
    "so2": "SO2",
    "no2": "NO2",
    "pm10": "PM10",
    "pm2_5": "PM2.5",
    "co": "CO",
    "o3": "O3",
}

MassUnit = Literal["ug/m3", "mg/m3"]
UNIT_ALIASES: Final[dict[str, MassUnit]] = {
    "ug/m3": "ug/m3",
    "微克/立方米": "ug/m3",
    "mg/m3": "mg/m3",
    "毫克/立方米": "mg/m3",
}
#: Units in which lantian stores each pollutant (GB 3095-2012 Table 1).
STORED_UNIT: Final[dict[str, MassUnit]] = {
    p: ("mg/m3" if p == "co" else "ug/m3") for p in POLLUTANTS
}
UNIT_LABELS: Final[dict[MassUnit, str]] = {"ug/m3": "µg/m³", "mg/m3": "mg/m³"}
#: Exact factors between the two mass units (stored = given × factor).
UNIT_FACTORS: Final[dict[tuple[MassUnit, MassUnit], Decimal]] = {
    ("ug/m3", "ug/m3"): Decimal(1),
    ("mg/m3", "mg/m3"): Decimal(1),
    ("ug/m3", "mg/m3"): Decimal("0.001"),
    ("mg/m3", "ug/m3"): Decimal(1000),
}

#: How people mark an absent value in a wide sheet (an empty cell works everywhere).
MISSING_MARKS: Final = frozenset({"", "-", "--", "—", "——", "/", "na", "n/a", "null", "none"})

_TIME_PATTERN: Final = re.compile(
    r"(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"(?:(?:\s+|T|(?<=日))\s*(?P<hour>\d{1,2})\s*"
    r"(?::\s*(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?|[时時点點])\s*)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?"
)


class SpreadsheetRejected(Rejected):
    """A file refused as a whole; ``problems`` lists every bad cell, nothing was written."""

    def __init__(self, path: Path, problems: Sequence[Problem]) -> None:
        self.path = path
        super().__init__(path.name, problems)


@dataclass(frozen=True, slots=True)
class HourlyValue:
    """One hourly mean read from a file, already in lantian's unit and as a UTC period end."""

    row: int
    column: str
    station: str
    period_end: datetime
    pollutant: str
    value: float
    flag: str


@dataclass(frozen=True)
class HourlyFile:
    """What a file holds once read and checked on its own (the station registry comes later)."""

    path: Path
    sheet: str | None
    layout: Literal["long", "wide", "uci"]
    header: tuple[str, ...]
    station_column: str
    values: tuple[HourlyValue, ...]
    station_rows: tuple[tuple[int, str], ...]
    """(row, station code) of every data row that names a station, even one with other problems."""
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class HourlyImportResult:
    """What one file's import did."""

    path: Path
    batch_id: int
    already_imported: bool
    values_in_file: int
    values_added: int
    values_already_stored: int
    values_overlapping_other_sources: int
    """Values of this file for an hour another source (CNEMC, HJ 212) had already delivered; both
    are kept raw, and the first received stays the one in force."""
    notes: tuple[str, ...] = ()


# --- reading ------------------------------------------------------------------------------------


def read_hourly_file(
    path: Path, sheet: str | None = None, now: datetime | None = None
) -> HourlyFile:
    """Read and check one CSV or .xlsx file in the template; every bad cell becomes a problem.

    Raises :class:`SpreadsheetRejected` at once only when the header cannot be understood (then no
    row can be read); otherwise problems are returned for the caller to add the registry's to.
    """
    with open_sheet(path, sheet=sheet) as opened:
        return _SheetReader(path, opened.sheet, now or clock.now()).read(opened.rows)


@dataclass
class _Columns:
    """Where each template column sits in the header row."""

    header_row: int
    names: list[str]
    roles: dict[Role, int] = field(default_factory=dict)
    pollutants: dict[int, tuple[str, MassUnit]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


class _SheetReader:
    def __init__(self, path: Path, sheet: str | None, now: datetime) -> None:
        self.path = path
        self.sheet = sheet
        self.latest_allowed = now + CLOCK_TOLERANCE
        self.problems: list[Problem] = []
        self.notes: list[str] = []

    def problem(self, row: int, column: str, cell: Cell, reason: str) -> None:
        self.problems.append(Problem(self.path.name, self.sheet, row, column, shown(cell), reason))

    def read(self, rows: Iterable[tuple[int, tuple[Cell, ...]]]) -> HourlyFile:
        iterator = iter(rows)
        columns = self._find_header(iterator)
        layout: Literal["long", "wide", "uci"] = (
            "long" if "pollutant" in columns.roles else "wide" if "time" in columns.roles else "uci"
        )
        values: list[HourlyValue] = []
        station_rows: list[tuple[int, str]] = []
        for number, cells in iterator:
            if all(is_blank(cell) for cell in cells):
                continue
            padded = cells + (None,) * (len(columns.names) - len(cells))
            if layout == "long":
                found = self._long_row(number, padded, columns)
            else:
                found = self._wide_row(number, padded, columns)
            values.extend(found[0])
            if found[1]:
                station_rows.append((number, found[1]))
        unique = self._without_duplicates(values)
        if not unique and not self.problems:
            self.problem(
                columns.header_row + 1,
                "",
                None,
                "表头下没有浓度值 / no values below the header",
            )
        if columns.ignored:
            self.notes.append(f"忽略的列 / columns ignored: {', '.join(columns.ignored)}")
        header = tuple(columns.names)
        return HourlyFile(
            self.path,
            self.sheet,
            layout,
            header,
            columns.names[columns.roles["station"]],
            tuple(unique),
            tuple(station_rows),
            in_sheet_order(self.problems, header),
            tuple(self.notes),
        )

    # header --------------------------------------------------------------------------------------

    def _find_header(self, rows: Iterator[tuple[int, tuple[Cell, ...]]]) -> _Columns:
        seen = 0
        first_number = 1
        for number, cells in rows:
            if all(is_blank(cell) for cell in cells):
                continue
            seen += 1
            if seen == 1:
                first_number = number
            names = [shown(cell).strip() for cell in cells]
            meanings = [_header_meaning(name) for name in names]
            roles = {meaning for meaning, _ in meanings if isinstance(meaning, str)}
            if "station" in roles and ("time" in roles or roles >= set(SPLIT_TIME)):
                if number > first_number:
                    self.notes.append(
                        f"表头在第 {number} 行，其上各行已忽略 / header on row {number}; "
                        "the rows above it were ignored"
                    )
                return self._columns(number, names, meanings)
            if seen >= HEADER_SEARCH_ROWS:
                break
        self.problem(
            first_number,
            "",
            None,
            "找不到表头：需要站点编码 station 与时间 time 两列 / no header row found: "
            "a station column and a time column are required (see docs/import-template.md)",
        )
        raise SpreadsheetRejected(self.path, self.problems)

    def _columns(
        self, number: int, names: list[str], meanings: list[tuple[HeaderMeaning, str | None]]
    ) -> _Columns:
        columns = _Columns(number, names)
        roles = {m for m, _ in meanings if isinstance(m, str)}
        uci = "time" not in roles and roles >= set(SPLIT_TIME)

        def default_unit(pollutant: str) -> MassUnit:
            # The UCI files give every pollutant in µg/m³, CO too (lantian keeps CO in mg/m³).
            return "ug/m3" if uci else STORED_UNIT[pollutant]

        for index, (name, (meaning, unit_text)) in enumerate(zip(names, meanings, strict=True)):
            if isinstance(meaning, str) and meaning != "ambiguous" and unit_text:
                # A unit on the value column would silently misread CO (mg/m³) or the others.
                self.problem(
                    number,
                    name,
                    None,
                    "长表的单位写在 unit 列中 / in the long form units go in the unit column",
                )
            if meaning is None:
                if name:
                    columns.ignored.append(name)
            elif meaning == "ambiguous":
                self.problem(
                    number, name, None, "列名含义不明确 / the column name means two things"
                )
            elif isinstance(meaning, tuple):
                pollutant = meaning[0]
                unit = _parse_unit(unit_text) if unit_text else default_unit(pollutant)
                if unit is None:
                    self.problem(
                        number,
                        name,
                        None,
                        f"单位 {unit_text} 无法精确换算 / unit {unit_text} cannot be converted "
                        "exactly; use µg/m³ or mg/m³",
                    )
                elif pollutant in [p for p, _ in columns.pollutants.values()]:
                    self.problem(number, name, None, "污染物列重复 / the pollutant has two columns")
                else:
                    columns.pollutants[index] = (pollutant, unit)
            elif meaning in SPLIT_TIME and not uci:
                columns.ignored.append(name)  # a time column says it all; these are extra
            elif meaning in columns.roles:
                self.problem(number, name, None, "列重复 / the column appears twice")
            else:
                columns.roles[meaning] = index
        long_form = "pollutant" in columns.roles or "value" in columns.roles
        # Pollutant columns refused above (bad unit, repeated) still make the file a wide one.
        pollutant_columns = [i for i, (m, _) in enumerate(meanings) if isinstance(m, tuple)]
        if long_form and pollutant_columns:
            self.problem(
                number,
                ", ".join(names[i] for i in pollutant_columns),
                None,
                "长表（污染物、浓度列）与宽表（各污染物列）不能混用 / long form (pollutant and "
                "value columns) and wide form (one column per pollutant) cannot be mixed",
            )
        elif long_form:
            for needed in ("pollutant", "value"):
                if needed not in columns.roles:
                    self.problem(
                        number,
                        "",
                        None,
                        f"长表缺少 {needed} 列 / the long form needs a {needed} column",
                    )
        elif not pollutant_columns:
            self.problem(
                number,
                "",
                None,
                "没有污染物列：需要 pollutant+value 两列，或 SO2、NO2、PM10、PM2.5、CO、O3 列 / "
                "no pollutant columns: give pollutant and value columns, or columns named "
                "SO2, NO2, PM10, PM2.5, CO, O3",
            )
        elif "unit" in columns.roles:
            self.problem(
                number,
                names[columns.roles["unit"]],
                None,
                "宽表的单位写在列名中，如 CO(mg/m³) / in the wide form the unit goes in the "
                "column name, e.g. CO(mg/m³)",
            )
        if self.problems:
            raise SpreadsheetRejected(self.path, self.problems)
        if uci:
            self.notes.append(
                "UCI 格式：年、月、日、时四列，hour 0–23 为小时起点；各污染物单位为 µg/m³，CO 已换算为 "
                "mg/m³ / UCI layout: year, month, day, hour columns, hour 0–23 begins the hour; "
                "every pollutant in µg/m³, CO converted to mg/m³"
            )
        return columns

    # rows ----------------------------------------------------------------------------------------

    def _common(
        self, number: int, cells: tuple[Cell, ...], columns: _Columns
    ) -> tuple[str | None, datetime | None, str | None]:
        """Station, hour-ending UTC time and flag of a row; None where a problem was recorded."""
        station_name = columns.names[columns.roles["station"]]
        station_cell = cells[columns.roles["station"]]
        station = _station_code(station_cell)
        if not station:
            self.problem(number, station_name, station_cell, "缺少站点编码 / no station code")
        time_cell: Cell
        if "time" in columns.roles:
            time_name = columns.names[columns.roles["time"]]
            time_cell = cells[columns.roles["time"]]
            period_end, why = parse_hour_ending(time_cell)
        else:
            time_name = columns.names[columns.roles["hour"]]
            parts = tuple(cells[columns.roles[role]] for role in SPLIT_TIME)
            time_cell = "-".join(shown(part) for part in parts)
            period_end, why = parse_hour_beginning_parts(parts)
        if period_end is not None and period_end > self.latest_allowed:
            period_end, why = None, "时间在未来 / the time is in the future"
        if period_end is None:
            self.problem(number, time_name, time_cell, why)
        flag: str | None = "N"
        if "flag" in columns.roles:
            flag_cell = cells[columns.roles["flag"]]
            flag = _parse_flag(flag_cell)
            if flag is None:
                self.problem(
                    number,
                    columns.names[columns.roles["flag"]],
                    flag_cell,
                    "未知数据标识，应为 N F M S D C T B 之一（HJ 212） / unknown data flag; "
                    "expected one of N F M S D C T B (HJ 212)",
                )
        return station or None, period_end, flag

    def _long_row(
        self, number: int, cells: tuple[Cell, ...], columns: _Columns
    ) -> tuple[list[HourlyValue], str | None]:
        station, period_end, flag = self._common(number, cells, columns)
        pollutant_name = columns.names[columns.roles["pollutant"]]
        pollutant_cell = cells[columns.roles["pollutant"]]
        pollutant = _lookup_pollutant(shown(pollutant_cell))
        if pollutant is None:
            self.problem(
                number,
                pollutant_name,
                pollutant_cell,
                "未知污染物，应为 SO2 NO2 PM10 PM2.5 CO O3 之一 / unknown pollutant; expected "
                "one of SO2 NO2 PM10 PM2.5 CO O3",
            )
        unit: MassUnit | None = None
        if pollutant is not None:
            unit = STORED_UNIT[pollutant]
            if "unit" in columns.roles:
                unit_cell = cells[columns.roles["unit"]]
                if not is_blank(unit_cell):
                    unit = _parse_unit(shown(unit_cell))
                    if unit is None:
                        self.problem(
                            number,
                            columns.names[columns.roles["unit"]],
                            unit_cell,
                            f"单位不适用于 {POLLUTANT_LABELS[pollutant]}，只接受 µg/m³ 或 mg/m³ "
                            f"（体积浓度换算需要温度和气压） / unit does not fit "
                            f"{POLLUTANT_LABELS[pollutant]}: only µg/m³ or mg/m³ convert exactly",
                        )
        value_name = columns.names[columns.roles["value"]]
        value_cell = cells[columns.roles["value"]]
        value: float | None = None
        if _is_missing(value_cell):
            self.problem(
                number,
                value_name,
                value_cell,
                "浓度为空；缺测的小时请删去整行 / the value is empty; leave the row out for a "
                "missing hour",
            )
        else:
            value = self._value(number, value_name, value_cell, pollutant, unit)
        found: list[HourlyValue] = []
        if station and period_end and flag and pollutant and value is not None:
            found.append(
                HourlyValue(number, value_name, station, period_end, pollutant, value, flag)
            )
        return found, station

    def _wide_row(
        self, number: int, cells: tuple[Cell, ...], columns: _Columns
    ) -> tuple[list[HourlyValue], str | None]:
        station, period_end, flag = self._common(number, cells, columns)
        found: list[HourlyValue] = []
        for index, (pollutant, unit) in columns.pollutants.items():
            cell = cells[index]
            if _is_missing(cell):
                continue  # an empty cell is a missing hour of that pollutant
            value = self._value(number, columns.names[index], cell, pollutant, unit)
            if station and period_end and flag and value is not None:
                found.append(
                    HourlyValue(
                        number, columns.names[index], station, period_end, pollutant, value, flag
                    )
                )
        return found, station

    def _value(
        self, number: int, name: str, cell: Cell, pollutant: str | None, unit: MassUnit | None
    ) -> float | None:
        amount = decimal_of(cell)
        if amount is None:
            self.problem(number, name, cell, "浓度不是数字 / the value is not a number")
            return None
        if amount < 0:
            self.problem(number, name, cell, "浓度为负数 / the value is negative")
            return None
        if pollutant is None or unit is None:
            return None
        return float(amount * UNIT_FACTORS[(unit, STORED_UNIT[pollutant])])

    def _without_duplicates(self, values: list[HourlyValue]) -> list[HourlyValue]:
        """Drop repeated values; a repeat with another value or flag is a problem."""
        first_of: dict[tuple[str, datetime, str], HourlyValue] = {}
        repeated_rows: list[int] = []
        for item in values:
            key = (item.station, item.period_end, item.pollutant)
            earlier = first_of.get(key)
            if earlier is None:
                first_of[key] = item
                continue
            if (earlier.value, earlier.flag) == (item.value, item.flag):
                repeated_rows.append(item.row)
                continue
            before = f"{_number(earlier.value)} {earlier.flag}"
            self.problem(
                item.row,
                item.column,
                f"{_number(item.value)} {item.flag}",
                f"与第 {earlier.row} 行同一站点、时间、污染物但数值不同（{before}） / same "
                f"station, time and pollutant as row {earlier.row} with a different value "
                f"({before})",
            )
        if repeated_rows:
            rows = sorted(set(repeated_rows))
            listed = ", ".join(str(row) for row in rows[:10]) + (" …" if len(rows) > 10 else "")
            self.notes.append(
                f"{len(repeated_rows)} 个值与前面的行完全相同，只存一次（第 {listed} 行） / "
                f"{len(repeated_rows)} values repeat an earlier row exactly and are stored once "
                f"(rows {listed})"
            )
        return list(first_of.values())


# --- cells --------------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:.10g}"


def _is_missing(cell: Cell) -> bool:
    return cell is None or (
        isinstance(cell, str)
        and unicodedata.normalize("NFKC", cell).strip().lower() in MISSING_MARKS
    )


_ROLE_OF: Final = {alias: role for role, names in COLUMN_ALIASES.items() for alias in names}
_POLLUTANT_OF: Final = {
    alias: pollutant for pollutant, names in POLLUTANT_ALIASES.items() for alias in names
}


def _lookup_pollutant(text: str) -> str | None:
    return _POLLUTANT_OF.get(name_key(text))


HeaderMeaning = Role | tuple[str, str | None] | Literal["ambiguous"] | None


def _header_meaning(text: str) -> tuple[HeaderMeaning, str | None]:
    """What a header cell names: a template column, a pollutant (with its unit text) or nothing.

    ``站点编码 station``, ``站点编码(station)``, ``PM2.5(μg/m³)`` and ``一氧化碳 CO`` are understood:
    each word and the bracketed part are tried; a bracket that is a unit belongs to a pollutant.
    """
    normal = unicodedata.normalize("NFKC", text).strip()
    match = re.fullmatch(r"(.*?)\s*[(\[](.*?)[)\]]", normal)
    name, bracket = (match.group(1), match.group(2).strip()) if match else (normal, "")
    candidates = [name, *name.split()]
    unit_text: str | None = None
    if bracket:
        if _parse_unit(bracket) is not None or _looks_like_unit(bracket):
            unit_text = bracket
        else:
            candidates.append(bracket)
    meanings: set[Role | tuple[str, str | None]] = set()
    for candidate in candidates:
        key = name_key(candidate)
        if key in _ROLE_OF:
            meanings.add(_ROLE_OF[key])
        elif key in _POLLUTANT_OF:
            meanings.add((_POLLUTANT_OF[key], unit_text))
    if len(meanings) > 1:
        return "ambiguous", unit_text
    return next(iter(meanings), None), unit_text


def _looks_like_unit(text: str) -> bool:
    key = name_key(text)
    return "/" in text or key in {"ppm", "ppb", "ppbv", "ppmv"}


def _parse_unit(text: str) -> MassUnit | None:
    normal = unicodedata.normalize("NFKC", text).casefold()
    normal = re.sub(r"[\s^]+", "", normal).replace("μ", "u")
    return UNIT_ALIASES.get(normal)


def _station_code(cell: Cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # a numeric code typed into Excel comes back as 1001.0
    return unicodedata.normalize("NFKC", shown(cell)).strip()


def _parse_flag(cell: Cell) -> str | None:
    if is_blank(cell):
        return "N"
    flag = unicodedata.normalize("NFKC", shown(cell)).strip().upper()
    return flag if flag in DATA_FLAGS else None


def parse_hour_ending(cell: Cell) -> tuple[datetime | None, str]:
    """The UTC period end of an hour-ending China-time label, or None and the reason why not.

    Accepts Excel date-time cells and texts such as ``2019-01-04 16:00``, ``2019/1/4 16:00``,
    ``2019-01-04T16:00+08:00``, ``2019年1月4日16时``; ``24:00`` is 00:00 of the next day.
    """
    if isinstance(cell, datetime):
        # Excel keeps times as fractions of a day; a whole hour may come back a microsecond off.
        moment = cell + timedelta(microseconds=500_000)
        moment = moment.replace(microsecond=0)
        local = moment.replace(tzinfo=CHINA_TZ) if moment.tzinfo is None else moment
        return _on_the_hour(local.astimezone(CHINA_TZ))
    if isinstance(cell, date):
        return None, "只有日期没有小时 / a date without the hour"
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return None, (
            "时间单元格是数字，请设置为日期时间格式 / the time cell holds a plain number; "
            "format it as a date-time"
        )
    return _parse_time_text(shown(cell))


def parse_hour_beginning_parts(parts: tuple[Cell, ...]) -> tuple[datetime | None, str]:
    """The UTC period end of the hour given as year, month, day and hour 0–23 (UCI layout).

    The hour begins at ``hour``:00 China time (UTC+8): the 24 rows of a day are its hours 0 … 23,
    so the natural day of GB 3095 is exactly the day's rows and hour 23 ends at 24:00.
    """
    numbers: list[int] = []
    for part in parts:
        amount = decimal_of(part)
        if amount is None or amount != amount.to_integral_value():
            return None, "年、月、日、时应为整数 / year, month, day and hour must be whole numbers"
        numbers.append(int(amount))
    year, month, day_of_month, hour = numbers
    if not 0 <= hour <= 23:
        return None, "小时应为 0–23 / the hour must be 0–23"
    try:
        day = date(year, month, day_of_month)
    except ValueError:
        return None, "日期不存在 / no such date"
    start = datetime.combine(day, time(hour), CHINA_TZ)
    return (start + timedelta(hours=1)).astimezone(UTC), ""


# A file repeats each time once per station and pollutant: parse each spelling once.
@lru_cache(maxsize=1 << 16)
def _parse_time_text(cell_text: str) -> tuple[datetime | None, str]:
    text = unicodedata.normalize("NFKC", cell_text).strip()
    if not text:
        return None, "缺少时间 / no time"
    match = _TIME_PATTERN.fullmatch(text)
    if match is None:
        return None, (
            "时间无法识别，应如 2019-01-04 16:00 / time not understood; write it as "
            "2019-01-04 16:00"
        )
    if match["hour"] is None:
        return None, "只有日期没有小时 / a date without the hour"
    hour, minute, second = int(match["hour"]), int(match["minute"] or 0), int(match["second"] or 0)
    zone = CHINA_TZ
    if match["zone"]:
        zone = UTC if match["zone"] == "Z" else _offset(match["zone"])
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None, "日期不存在 / no such date"
    if hour == 24 and minute == second == 0 and not match["fraction"]:
        day, hour = day + timedelta(days=1), 0  # 24:00 ends the day: 00:00 of the next
    if hour > 23 or minute > 59 or second > 59:
        return None, "时间超出范围 / hour, minute or second out of range"
    if match["fraction"] and int(match["fraction"]):
        return None, "不是整点 / not on the hour (hourly data end on a whole hour)"
    local = datetime.combine(day, time(hour, minute, second), zone).astimezone(CHINA_TZ)
    return _on_the_hour(local)


def _offset(text: str) -> timezone:
    digits = text.replace(":", "")
    sign = -1 if digits[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5])))


def _on_the_hour(local: datetime) -> tuple[datetime | None, str]:
    if local.minute or local.second or local.microsecond:
        return None, "不是整点 / not on the hour (hourly data end on a whole hour)"
    return local.astimezone(UTC), ""


# --- importing ----------------------------------------------------------------------------------


def import_hourly_file(
    sessions: sessionmaker[Session],
    path: Path,
    data_dir: Path,
    sheet: str | None = None,
    now: datetime | None = None,
) -> HourlyImportResult:
    """Import one file in the template: all of it or, if any cell is bad, nothing.

    Raises :class:`SpreadsheetRejected` listing every problem, including station codes missing
    from the registry; :class:`InputError` for a file that cannot be read at all.
    """
    checksum, previous = identify_upload(sessions, path, BATCH_KIND)
    if previous is not None:
        total = previous.rows_loaded + previous.rows_skipped
        return HourlyImportResult(path, previous.id, True, total, 0, total, 0)
    content = read_hourly_file(path, sheet, now)
    with sessions() as session:
        named = sorted({code for _, code in content.station_rows})
        station_ids = _station_ids(session, named)
        if content.layout == "uci":
            # The UCI files name their stations (Dongsi): a registered name stands for its code.
            unknown = [name for name in named if name not in station_ids]
            station_ids |= _station_ids_by_name(session, unknown)
    problems = list(content.problems)
    for number, code in content.station_rows:
        if code not in station_ids:
            problems.append(
                Problem(
                    path.name,
                    content.sheet,
                    number,
                    content.station_column,
                    code,
                    "站点不在站点表中 / the station is not in the station registry",
                )
            )
    if problems:
        rejected = SpreadsheetRejected(path, in_sheet_order(problems, content.header))
        record_rejection(sessions, BATCH_KIND, path, checksum, data_dir, str(rejected))
        raise rejected

    kept = keep_upload(path, data_dir, checksum)

    received_at = clock.real_now()  # a fact about the world (lantian.clock.real_now)
    with transaction(sessions) as session:
        batch = open_batch(session, BATCH_KIND, path, checksum, kept)
        connection = session.connection()
        overlapping = _count_other_sources(session, content.values, station_ids)
        rows = [
            {
                "station_id": station_ids[item.station],
                "pollutant": item.pollutant,
                "averaging": "1h",
                "period_end": item.period_end,
                "value": item.value,
                "flag": item.flag,
                "source": SOURCE,
                "batch_id": batch.id,
                "received_at": received_at,
            }
            for item in content.values
        ]
        added = 0
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            added += insert_ignoring_conflicts(connection, MEASUREMENTS, chunk, NATURAL_KEY)
        batch.status = "loaded"
        batch.rows_loaded = added
        batch.rows_skipped = len(rows) - added
        batch.finished_at = clock.now()
        batch.message = "\n".join(content.notes) or None
    return HourlyImportResult(
        path,
        batch.id,
        False,
        len(rows),
        added,
        len(rows) - added,
        overlapping,
        content.notes,
    )


def _station_ids(session: Session, codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = session.execute(select(Station.code, Station.id).where(Station.code.in_(codes)))
    return {code: station_id for code, station_id in rows}


def _station_ids_by_name(session: Session, names: list[str]) -> dict[str, int]:
    """Stations by their registered name, for the names that belong to exactly one station."""
    if not names:
        return {}
    found: dict[str, list[int]] = {}
    for name, station_id in session.execute(
        select(Station.name, Station.id).where(Station.name.in_(names))
    ):
        found.setdefault(name, []).append(station_id)
    return {name: ids[0] for name, ids in found.items() if len(ids) == 1}


def _count_other_sources(
    session: Session, values: Sequence[HourlyValue], station_ids: dict[str, int]
) -> int:
    """How many of ``values`` fall on an hour another source already holds (it stays in force)."""
    if not values:
        return 0
    first = min(item.period_end for item in values)
    last = max(item.period_end for item in values)
    held = {
        tuple(row)
        for row in session.execute(
            select(Measurement.station_id, Measurement.pollutant, Measurement.period_end).where(
                Measurement.station_id.in_(sorted({station_ids[v.station] for v in values})),
                Measurement.averaging == "1h",
                Measurement.period_end >= first,
                Measurement.period_end <= last,
                Measurement.source != SOURCE,
            )
        )
    }
    return sum(
        (station_ids[item.station], item.pollutant, item.period_end) in held for item in values
    )


# --- the template -------------------------------------------------------------------------------


class TemplateRow(BaseModel):
    """A row of the template's long form, as the template offers it (the reader above is wider:
    it also reads the wide form, any alias and units in the header)."""

    station: str
    time: datetime
    pollutant: Literal["SO2", "NO2", "PM10", "PM2.5", "CO", "O3"]
    value: float = Field(ge=0)
    unit: Literal["µg/m³", "mg/m³"] | None = None
    flag: Literal[DATA_FLAGS] = "N"  # type: ignore[valid-type]


#: The template's long form (Chinese first; either word alone is understood too).
TEMPLATE_SPEC: Final = TableSpec(
    TemplateRow,
    (
        Column(
            "station",
            "station",
            "站点编码",
            example="1316A",
            width=18,
            note_zh="站点表中的监测点编码，如 1316A",
            note_en="station code as in the station registry, e.g. 1316A",
        ),
        Column(
            "time",
            "time",
            "时间",
            example="2019-01-04 16:00",
            width=20,
            number_format="yyyy-mm-dd hh:mm",
            note_zh="小时均值结束时刻（北京时间），如 2019-01-04 16:00 表示 15:00–16:00；24:00 即次日 "
            "00:00；也可写 2019/1/4 16:00 或 2019-01-04T16:00+08:00",
            note_en="end of the hour, China time (UTC+8): 2019-01-04 16:00 is the mean of "
            "15:00–16:00; 24:00 is 00:00 of the next day; 2019/1/4 16:00 and "
            "2019-01-04T16:00+08:00 work too",
        ),
        Column(
            "pollutant",
            "pollutant",
            "污染物",
            choices={label: label for label in POLLUTANT_LABELS.values()},
            example="PM2.5",
            width=18,
            note_zh="或 二氧化硫 等中文名，大小写不限",
            note_en="or the Chinese names; any case",
        ),
        Column(
            "value",
            "value",
            "浓度",
            example="35",
            width=14,
            note_zh="非负数；缺测的小时不写该行",
            note_en="non-negative number; leave a missing hour out",
        ),
        Column(
            "unit",
            "unit",
            "单位",
            choices={"µg/m³": "µg/m³", "mg/m³": "mg/m³"},
            example="µg/m³",
            width=12,
            note_zh="默认 µg/m³，CO 为 mg/m³；写 µg/m³（ug/m3）或 mg/m³ 时按 1000 倍精确换算",
            note_en="default µg/m³, CO mg/m³; µg/m³ (ug/m3) or mg/m³ given are converted "
            "exactly (×/÷1000)",
        ),
        Column(
            "flag",
            "flag",
            "标识",
            choices={flag: flag for flag in DATA_FLAGS},
            example="N",
            width=10,
            note_zh="HJ 212 数据标识，默认 N（正常）",
            note_en="HJ 212 data flag, default N (normal)",
        ),
    ),
    notes=(
        (
            "宽表 wide form：也可每行一个站点小时：站点编码、时间、SO2、NO2、PM10、PM2.5、CO、O3 "
            "各一列，单位写在列名中如 CO(mg/m³)",
            "one station-hour per row also works: station, time and one column per pollutant, "
            "units in the column name as in CO(mg/m³)",
        ),
        (
            "导入 import：lantian import hourly 文件名；任何一处错误都会整文件拒绝并列出全部问题",
            "lantian import hourly FILE; any bad cell refuses the whole file and lists every "
            "problem",
        ),
    ),
)


def write_template(path: Path) -> None:
    """Write the empty template: .xlsx (drop-down lists, notes, an example) or a .csv header."""
    write_spec_template(path, TEMPLATE_SPEC)
