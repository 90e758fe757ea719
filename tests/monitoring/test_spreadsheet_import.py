"""Station hourly data from CSV and Excel: real Zhengzhou values written in the template by hand.

The source values are CNEMC's (the Zhengzhou extract). They are written out the way offices do —
UTF-8, UTF-8 with BOM, GBK; long and wide form; Chinese and English headers; text and Excel
date-time cells — imported, and read back from the database to compare with the source.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from rich.console import Console
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lantian.cli import app
from lantian.config import get_settings
from lantian.db import migrate
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.errors import InputError
from lantian.files import FileStore
from lantian.ingest.cnemc import read_cnemc
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring import cli as monitoring_cli
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.monitoring.models import ImportBatch, Measurement, Station
from lantian.monitoring.service import upsert_stations
from lantian.monitoring.spreadsheet_import import (
    SpreadsheetRejected,
    import_hourly_file,
    parse_hour_ending,
    read_hourly_file,
    write_template,
)
from lantian.timeutil import CHINA_TZ

EXTRACT = "data/cnemc/zhengzhou_extract/zhengzhou_sites_2019-01-01_2019-08-31.csv"
CNEMC_TO_CODE = {
    "SO2": "so2",
    "NO2": "no2",
    "PM10": "pm10",
    "PM2.5": "pm2_5",
    "CO": "co",
    "O3": "o3",
}
WIDE_ORDER = ("SO2", "NO2", "PM10", "PM2.5", "CO", "O3")
#: 2019-01-03 01:00 … 2019-01-04 00:00 (i.e. "24:00"), China time: one whole natural day.
FIRST_HOUR = datetime(2019, 1, 3, 1, tzinfo=CHINA_TZ)
HOURS = 24


@dataclass(frozen=True)
class SourceValue:
    station: str
    hour: datetime  # hour-ending, China time
    cnemc_type: str
    value: float


@pytest.fixture(scope="module")
def source(shared_dir: Path) -> list[SourceValue]:
    """One day of the real Zhengzhou values, every station and pollutant, missing ones left out."""
    content = read_cnemc(shared_dir / EXTRACT)
    first = content.times.index(FIRST_HOUR)
    values: list[SourceValue] = []
    for t in range(first, first + HOURS):
        for type_name in WIDE_ORDER:
            series = content.series(type_name)
            for s, station in enumerate(content.stations):
                if not np.isnan(series[t, s]):
                    values.append(
                        SourceValue(station, content.times[t], type_name, float(series[t, s]))
                    )
    assert len(values) > 1000, "the extract should hold a full day for nine stations"
    return values


def expected(values: list[SourceValue]) -> dict[tuple[str, str, datetime], float]:
    return {
        (v.station, CNEMC_TO_CODE[v.cnemc_type], v.hour.astimezone(UTC)): v.value for v in values
    }


def register_zhengzhou(engine: Engine) -> None:
    zhengzhou = [r for r in read_station_list(BUNDLED_STATION_LIST) if r.city == "郑州"]
    with transaction(session_factory(engine)) as session:
        upsert_stations(session, zhengzhou, actor="test")


def stored(engine: Engine, source: str = "upload") -> dict[tuple[str, str, datetime], float]:
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Station.code, Measurement.pollutant, Measurement.period_end, Measurement.value)
            .join(Station, Station.id == Measurement.station_id)
            .where(Measurement.source == source)
        )
        return {(code, p, end): value for code, p, end, value in rows}


def count(engine: Engine, model: type) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --- writing files as offices do --------------------------------------------------------------


def text_time(hour: datetime, style: int) -> str:
    """The hour in one of the accepted spellings; midnight sometimes as 24:00 of the day before."""
    if hour.hour == 0 and style != 1:
        before = hour - timedelta(days=1)
        return f"{before.year}/{before.month}/{before.day} 24:00"
    return (
        f"{hour:%Y-%m-%d %H:%M}",
        hour.isoformat(timespec="minutes"),
        f"{hour.year}/{hour.month}/{hour.day} {hour.hour}:00",
    )[style % 3]


def times_thousand(value: float) -> Decimal:
    return Decimal(repr(value)) * 1000


def long_rows(values: list[SourceValue]) -> Iterator[list[str]]:
    """Long form; CO given in µg/m³ and the others in mg/m³ half the time (converted exactly)."""
    for index, v in enumerate(values):
        if v.cnemc_type == "CO":
            amount, unit = str(times_thousand(v.value)), "µg/m³"
        elif index % 2:
            amount, unit = str(Decimal(repr(v.value)) / 1000), "mg/m3"
        else:
            amount, unit = repr(v.value), ""
        yield [v.station, text_time(v.hour, index), v.cnemc_type, amount, unit, "N"]


def wide_grid(values: list[SourceValue]) -> dict[tuple[str, datetime], dict[str, float]]:
    grid: dict[tuple[str, datetime], dict[str, float]] = {}
    for v in values:
        grid.setdefault((v.station, v.hour), {})[v.cnemc_type] = v.value
    return grid


NAMES = {"1316A": "烟厂", "1317A": "北区建设指挥部", "1318A": "市监测站"}


def wide_text_rows(values: list[SourceValue]) -> Iterator[list[str]]:
    for index, ((station, hour), cells) in enumerate(wide_grid(values).items()):
        numbers = [repr(cells[t]) if t in cells else "" for t in WIDE_ORDER]
        yield [station, NAMES.get(station, "郑州站点"), text_time(hour, index), *numbers]


def write_csv(path: Path, header: list[str], rows: Iterator[list[str]], encoding: str) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx_long(path: Path, values: list[SourceValue]) -> Path:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "封面"
    first.append(["郑州市空气自动站小时数据"])
    sheet = workbook.create_sheet("小时数据")
    sheet.append(["郑州市空气自动站小时数据（2019年1月3日）"])  # a title above the header
    sheet.append(["污染物", "浓度", "时间", "站点编码", "标识"])  # any column order
    for v in values:
        cell_time = v.hour.replace(tzinfo=None)  # Excel date-times carry no zone: China time
        sheet.append([v.cnemc_type.lower(), v.value, cell_time, v.station, None])
    workbook.save(path)
    return path


def write_xlsx_wide(path: Path, values: list[SourceValue]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["station", "time", "SO2", "NO2", "PM10", "PM₂.₅ (μg/m³)", "CO(μg/m³)", "O3"])
    for (station, hour), cells in wide_grid(values).items():
        numbers: list[float | None] = [cells.get(t) for t in WIDE_ORDER]
        if numbers[4] is not None:
            numbers[4] = float(times_thousand(numbers[4]))
        sheet.append([station, hour.replace(tzinfo=None), *numbers])
    workbook.save(path)
    return path


LONG_HEADER = ["station", "time", "pollutant", "value", "unit", "flag"]
WIDE_HEADER_ZH = [
    "站点编码",
    "监测点名称",
    "时间",
    "二氧化硫",
    "二氧化氮",
    "可吸入颗粒物",
    "细颗粒物",
    "一氧化碳",
    "臭氧",
]


def make_file(kind: str, directory: Path, values: list[SourceValue]) -> Path:
    if kind == "csv-utf8-long":
        return write_csv(directory / "hourly.csv", LONG_HEADER, long_rows(values), "utf-8")
    if kind == "csv-bom-wide":
        header = ["站点 station", "name", "时间 time", *WIDE_ORDER]
        return write_csv(directory / "hourly.csv", header, wide_text_rows(values), "utf-8-sig")
    if kind == "csv-gbk-wide":
        return write_csv(directory / "小时数据.csv", WIDE_HEADER_ZH, wide_text_rows(values), "gbk")
    if kind == "xlsx-long":
        return write_xlsx_long(directory / "hourly.xlsx", values)
    assert kind == "xlsx-wide"
    return write_xlsx_wide(directory / "hourly.xlsx", values)


FILE_KINDS = ("csv-utf8-long", "csv-bom-wide", "csv-gbk-wide", "xlsx-long", "xlsx-wide")


# --- tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_real_values_round_trip(
    db_engine: Engine, tmp_path: Path, source: list[SourceValue], kind: str
) -> None:
    register_zhengzhou(db_engine)
    upload = make_file(kind, tmp_path, source)
    sheet = "小时数据" if kind == "xlsx-long" else None
    result = import_hourly_file(session_factory(db_engine), upload, tmp_path / "uploads", sheet)

    assert not result.already_imported
    assert result.values_in_file == result.values_added == len(source)
    assert stored(db_engine) == expected(source)
    with session_factory(db_engine)() as session:
        batch = session.get(ImportBatch, result.batch_id)
        flags = set(session.scalars(select(Measurement.flag).distinct()))
    assert batch is not None and batch.kind == "spreadsheet" and batch.rows_loaded == len(source)
    assert flags == {"N"}
    # Kept by content in the file store, the path relative to the data folder.
    assert batch.stored_path == f"files/{batch.sha256[:2]}/{batch.sha256}"
    assert (tmp_path / "uploads" / batch.stored_path).read_bytes() == upload.read_bytes()


def test_every_problem_is_reported_and_nothing_written(
    db_engine: Engine, tmp_path: Path, source: list[SourceValue]
) -> None:
    register_zhengzhou(db_engine)
    sessions = session_factory(db_engine)
    good = source[:30]
    first = import_hourly_file(
        sessions,
        write_csv(tmp_path / "first.csv", LONG_HEADER, long_rows(good), "utf-8"),
        tmp_path / "uploads",
    )
    measurements_before = count(db_engine, Measurement)
    assert measurements_before == first.values_added == 30

    v = source[40]
    when = text_time(v.hour, 0)
    bad_rows = [
        [v.station, when, v.cnemc_type, repr(v.value), "", "N"],  # row 2: fine
        ["9999Z", when, "SO2", "12", "", "N"],  # row 3: unknown station
        [v.station, "2019-01-03 16:30", "SO2", "12", "", "N"],  # row 4: not on the hour
        [v.station, "昨天下午", "NO2", "12", "", "N"],  # row 5: not a time
        [v.station, when, "PM1", "12", "", "N"],  # row 6: unknown pollutant
        [v.station, when, "O3", "-4", "", "N"],  # row 7: negative
        [v.station, when, "CO", "1.1", "ppm", "N"],  # row 8: unit that cannot convert exactly
        [v.station, when, v.cnemc_type, repr(v.value + 1), "", "N"],  # row 9: conflicts with 2
        [v.station, when, v.cnemc_type, repr(v.value), "", "N"],  # row 10: same as 2 - a note
        [v.station, when, "NO2", "abc", "", "X"],  # row 11: not a number, unknown flag
        ["", when, "SO2", "", "", "N"],  # row 12: no station, no value
    ]
    bad = write_csv(tmp_path / "bad.csv", LONG_HEADER, iter(bad_rows), "utf-8")
    with pytest.raises(SpreadsheetRejected) as caught:
        import_hourly_file(sessions, bad, tmp_path / "uploads")

    found = [(p.row, p.column, p.value, p.reason.split(" / ")[1]) for p in caught.value.problems]
    assert found == [
        (3, "station", "9999Z", "the station is not in the station registry"),
        (4, "time", "2019-01-03 16:30", "not on the hour (hourly data end on a whole hour)"),
        (5, "time", "昨天下午", "time not understood; write it as 2019-01-04 16:00"),
        (6, "pollutant", "PM1", "unknown pollutant; expected one of SO2 NO2 PM10 PM2.5 CO O3"),
        (7, "value", "-4", "the value is negative"),
        (8, "unit", "ppm", "unit does not fit CO: only µg/m³ or mg/m³ convert exactly"),
        (
            9,
            "value",
            f"{v.value + 1:.10g} N",
            f"same station, time and pollutant as row 2 with a different value ({v.value:.10g} N)",
        ),
        (11, "value", "abc", "the value is not a number"),
        (11, "flag", "X", "unknown data flag; expected one of N F M S D C T B (HJ 212)"),
        (12, "station", "", "no station code"),
        (12, "value", "", "the value is empty; leave the row out for a missing hour"),
    ]
    assert all(p.file == "bad.csv" and p.sheet is None for p in caught.value.problems)
    message = str(caught.value)
    assert message.startswith("bad.csv: 发现 11 个问题，未导入任何数据 / 11 problems found")
    assert "第3行 row 3 列 column station '9999Z': 站点不在站点表中" in message
    assert isinstance(caught.value, InputError)

    assert count(db_engine, Measurement) == measurements_before
    # Nothing of the refused file is loaded, but the original is kept and the refusal recorded.
    with sessions() as session:
        batches = {b.filename: b for b in session.scalars(select(ImportBatch))}
    kept = FileStore(tmp_path / "uploads")
    for name, batch in batches.items():
        assert kept.read(batch.stored_path or "", batch.sha256) == (tmp_path / name).read_bytes()
    assert batches["first.csv"].status == "loaded"
    assert batches["bad.csv"].status == "rejected" and batches["bad.csv"].rows_loaded == 0
    assert batches["bad.csv"].message == message


def test_a_refused_file_loads_once_its_problem_is_fixed(
    db_engine: Engine, tmp_path: Path, source: list[SourceValue]
) -> None:
    sessions = session_factory(db_engine)
    path = write_csv(tmp_path / "early.csv", LONG_HEADER, long_rows(source[:10]), "utf-8")
    with pytest.raises(SpreadsheetRejected):  # no station registered yet
        import_hourly_file(sessions, path, tmp_path / "uploads")
    register_zhengzhou(db_engine)
    loaded = import_hourly_file(sessions, path, tmp_path / "uploads")
    assert not loaded.already_imported and loaded.values_added == 10
    with sessions() as session:
        batches = list(session.scalars(select(ImportBatch)))
    assert [(b.filename, b.status, b.rows_loaded) for b in batches] == [("early.csv", "loaded", 10)]


def test_problems_in_excel_name_the_sheet_and_excel_row(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "一月"
    sheet.append(["站点编码", "时间", "PM2.5", "CO"])
    sheet.append(["1316A", datetime(2019, 1, 3, 16), 35, 1.1])
    sheet.append([])  # blank rows are skipped but still counted, as Excel counts them
    sheet.append(["1316A", datetime(2019, 1, 3, 17, 30), 36, 1.2])
    sheet.append(["1316A", "2019-01-03", "n/a", 1.3])
    sheet.append(["1316A", datetime(2019, 1, 3, 18), True, None])
    workbook.save(tmp_path / "jan.xlsx")
    content = read_hourly_file(tmp_path / "jan.xlsx")
    found = [(p.sheet, p.row, p.column, p.value) for p in content.problems]
    assert found == [
        ("一月", 4, "时间", "2019-01-03 17:30"),
        ("一月", 5, "时间", "2019-01-03"),
        ("一月", 6, "PM2.5", "True"),
    ]


def test_reimport_is_a_noop_and_another_file_adds_only_new_values(
    db_engine: Engine, tmp_path: Path, source: list[SourceValue]
) -> None:
    register_zhengzhou(db_engine)
    sessions = session_factory(db_engine)
    uploads = tmp_path / "uploads"
    half = len(source) // 2
    upload = write_csv(tmp_path / "a.csv", LONG_HEADER, long_rows(source[:half]), "utf-8")
    first = import_hourly_file(sessions, upload, uploads)
    again = import_hourly_file(sessions, upload, uploads)
    assert again.already_imported and again.batch_id == first.batch_id
    assert (again.values_added, again.values_already_stored) == (0, half)
    assert count(db_engine, Measurement) == half and count(db_engine, ImportBatch) == 1

    # The whole day in the wide form: the first half is already stored and kept as received.
    whole = import_hourly_file(sessions, make_file("xlsx-wide", tmp_path, source), uploads)
    assert not whole.already_imported
    assert whole.values_added == len(source) - half
    assert whole.values_already_stored == half
    assert stored(db_engine) == expected(source)
    with session_factory(db_engine)() as session:
        batches = session.scalars(
            select(Measurement.batch_id).where(Measurement.batch_id == first.batch_id)
        ).all()
    assert len(batches) == half


def test_overlap_with_cnemc_keeps_the_first_received_value(
    db_engine: Engine, tmp_path: Path, shared_dir: Path, source: list[SourceValue]
) -> None:
    register_zhengzhou(db_engine)
    sessions = session_factory(db_engine)
    # CNEMC's own file of 2019-01-03 (hours 0-23, i.e. 2019-01-02 24:00 … 2019-01-03 23:00).
    lines = (shared_dir / EXTRACT).read_text(encoding="utf-8").splitlines()
    day_file = tmp_path / "china_sites_20190103.csv"
    day_file.write_text(
        "\n".join([lines[0], *(line for line in lines if line.startswith("20190103,"))]) + "\n",
        encoding="utf-8",
    )
    cnemc = import_cnemc_file(sessions, day_file, tmp_path / "uploads")
    cnemc_before = stored(db_engine, "cnemc")
    assert len(cnemc_before) == cnemc.values_added > 0

    # An office sends the same day (01:00 … 24:00) with every value revised upwards by 1.
    revised = [SourceValue(v.station, v.hour, v.cnemc_type, v.value + 1) for v in source]
    upload = write_csv(tmp_path / "revised.csv", LONG_HEADER, long_rows(revised), "utf-8")
    result = import_hourly_file(sessions, upload, tmp_path / "uploads")

    overlap = [v for v in source if v.hour.day == 3]  # the 24:00 hour is not in CNEMC's day
    assert result.values_overlapping_other_sources == len(overlap)
    assert stored(db_engine, "cnemc") == cnemc_before  # first received: never overwritten
    with session_factory(db_engine)() as session:
        first_received = dict(
            session.execute(
                select(Measurement.source, func.min(Measurement.id)).group_by(Measurement.source)
            ).all()
        )
    assert first_received["cnemc"] < first_received["upload"]
    key = next(iter(expected(overlap)))
    assert cnemc_before[key] == expected(overlap)[key]
    assert stored(db_engine)[key] == expected(overlap)[key] + 1


def test_refused_before_reading_the_rows(tmp_path: Path) -> None:
    def problems_of(name: str, text: str) -> list[str]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SpreadsheetRejected) as caught:
            read_hourly_file(path)
        return [p.reason.split(" / ")[1] for p in caught.value.problems]

    assert problems_of("none.csv", "a,b\n1,2\n")[0].startswith("no header row found")
    assert problems_of("mixed.csv", "station,time,pollutant,value,SO2\n") == [
        "long form (pollutant and value columns) and wide form (one column per pollutant) "
        "cannot be mixed"
    ]
    assert problems_of("ppb.csv", "station,time,O3(ppb)\n") == [
        "unit ppb cannot be converted exactly; use µg/m³ or mg/m³"
    ]
    assert problems_of("twice.csv", "站点,station,时间\n")[0] == "the column appears twice"
    (tmp_path / "empty.csv").write_text("station,time,SO2\n\n", encoding="utf-8")
    (empty,) = read_hourly_file(tmp_path / "empty.csv").problems
    assert (empty.row, empty.reason) == (2, "表头下没有浓度值 / no values below the header")
    for name, complaint in (("old.xls", "save the file as .xlsx"), ("x.ods", "only .csv")):
        (tmp_path / name).write_bytes(b"\xd0\xcf\x11\xe0")
        with pytest.raises(InputError, match=complaint):
            read_hourly_file(tmp_path / name)
    with pytest.raises(InputError, match="no sheet named '二月'; sheets: 一月"):
        workbook = openpyxl.Workbook()
        assert workbook.active is not None
        workbook.active.title = "一月"
        workbook.save(tmp_path / "book.xlsx")
        read_hourly_file(tmp_path / "book.xlsx", sheet="二月")


@pytest.mark.parametrize(
    ("text", "china_time"),
    [
        ("2019-01-04 16:00", datetime(2019, 1, 4, 16)),
        ("2019-01-04T16:00+08:00", datetime(2019, 1, 4, 16)),
        ("2019-01-04T08:00:00Z", datetime(2019, 1, 4, 16)),
        ("2019/1/4 16:00", datetime(2019, 1, 4, 16)),
        ("2019/1/4 24:00", datetime(2019, 1, 5, 0)),
        ("2019-12-31 24:00", datetime(2020, 1, 1, 0)),
        ("2019年1月4日16时", datetime(2019, 1, 4, 16)),
        (datetime(2019, 1, 4, 15, 59, 59, 999_999), datetime(2019, 1, 4, 16)),
        ("2019-01-04 16:30", None),
        ("2019-01-04T16:00+05:30", None),
        ("2019-02-29 01:00", None),
        ("2019-01-04 25:00", None),
        ("2019-01-04", None),
        (43469.5, None),
    ],
)
def test_hour_ending_times(text: object, china_time: datetime | None) -> None:
    moment, reason = parse_hour_ending(text)
    if china_time is None:
        assert moment is None and " / " in reason
    else:
        assert moment == china_time.replace(tzinfo=CHINA_TZ) and moment.tzinfo == UTC


def test_future_hours_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("station,time,PM10\n1316A,2030-01-01 01:00,20\n", encoding="utf-8")
    now = datetime(2029, 12, 31, 16, 49, tzinfo=UTC)  # 2030-01-01 00:49 China time
    assert read_hourly_file(path, now=now + timedelta(minutes=1)).problems == ()
    (problem,) = read_hourly_file(path, now=now).problems
    assert (problem.row, problem.column, problem.reason) == (
        2,
        "time",
        "时间在未来 / the time is in the future",
    )


def test_undecodable_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"station,time\xff\xfe\xfd\x80\n")
    with pytest.raises(InputError, match="cannot decode the file as UTF-8 or GBK/GB18030"):
        read_hourly_file(path)


def test_template_command_and_import_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: list[SourceValue]
) -> None:
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("LANTIAN_DATABASE_URL", raising=False)
    monkeypatch.setattr(monitoring_cli, "console", Console(width=300))
    get_settings.cache_clear()
    try:
        engine = create_db_engine(get_settings().effective_database_url)
        migrate.upgrade(engine)
        register_zhengzhou(engine)
        runner = CliRunner()
        template = tmp_path / "模板.xlsx"
        made = runner.invoke(app, ["import", "template", "--out", str(template)])
        assert made.exit_code == 0, made.output
        assert runner.invoke(app, ["import", "template", "--out", str(template)]).exit_code != 0
        csv_template = tmp_path / "模板.csv"
        assert runner.invoke(app, ["import", "template", "--out", str(csv_template)]).exit_code == 0
        assert csv_template.read_bytes().startswith(b"\xef\xbb\xbf\xe7\xab\x99\xe7\x82\xb9")

        # Fill the template as a person would: the header stays, rows go below it.
        workbook = openpyxl.load_workbook(template)
        assert workbook.sheetnames == ["数据 data", "说明 notes", "示例 example", "选项 lists"]
        sheet = workbook["数据 data"]
        for v in source[:50]:
            unit = "mg/m³" if v.cnemc_type == "CO" else "µg/m³"
            sheet.append([v.station, v.hour.replace(tzinfo=None), v.cnemc_type, v.value, unit])
        filled = tmp_path / "filled.xlsx"
        workbook.save(filled)
        bad = write_csv(
            tmp_path / "bad.csv",
            LONG_HEADER,
            iter([["1316A", "2019-01-03 01:00", "SO2", "-1", "", ""]]),
            "utf-8",
        )
        result = runner.invoke(app, ["import", "hourly", str(filled), str(bad)])
        assert result.exit_code == 1, result.output
        assert "filled.xlsx: +50 条新值 new values, 0 已存在 already stored" in result.output
        assert "bad.csv: 拒绝导入，1 个问题" in result.output
        assert "浓度为负数 / the value is negative" in result.output
        assert stored(engine) == expected(source[:50])

        again = runner.invoke(app, ["import", "hourly", str(filled)])
        assert again.exit_code == 0 and "already imported" in again.output
        engine.dispose()
    finally:
        get_settings.cache_clear()


def test_template_refuses_other_formats(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"the template is \.xlsx or \.csv"):
        write_template(tmp_path / "t.ods")


def test_the_templates_example_and_drop_downs_fit_the_reader(tmp_path: Path) -> None:
    template = tmp_path / "t.xlsx"
    write_template(template)
    (example,) = read_hourly_file(template, sheet="示例 example").values
    assert (example.station, example.pollutant, example.value, example.flag) == (
        "1316A",
        "pm2_5",
        35.0,
        "N",
    )
    assert example.period_end == datetime(2019, 1, 4, 8, tzinfo=UTC)  # 16:00 China time
    # Every item of every drop-down list is a value the reader understands.
    workbook = openpyxl.load_workbook(template)
    lists = workbook["选项 lists"]
    data = workbook["数据 data"]
    offered = {
        lists.cell(1, column).value: [
            lists.cell(row, column).value
            for row in range(2, lists.max_row + 1)
            if lists.cell(row, column).value is not None
        ]
        for column in range(1, lists.max_column + 1)
    }
    assert offered["污染物 pollutant"] == ["SO2", "NO2", "PM10", "PM2.5", "CO", "O3"]
    assert len(data.data_validations.dataValidation) == 3
    pollutants, units, flags = (offered[h] for h in ("污染物 pollutant", "单位 unit", "标识 flag"))
    rows = [
        ["1316A", f"2019-01-04 {hour:02d}:00", pollutant, "1", unit, flag]
        for hour, (pollutant, unit, flag) in enumerate(
            (p, u, f) for p in pollutants for u in units for f in flags
        )
        if hour < 24
    ]
    path = write_csv(tmp_path / "all.csv", LONG_HEADER, iter(rows), "utf-8")
    content = read_hourly_file(path)
    assert content.problems == () and len(content.values) == 24
    assert {v.flag for v in read_hourly_file(path).values} <= set(flags)
