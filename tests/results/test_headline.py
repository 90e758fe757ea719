"""The plan's two headline targets computed from real measurements (issue 18, "headline").

The shared UCI Beijing multi-site files (four stations, hourly, 2013-03…2017-02) are cut to the
two campaign periods Oct 2014–Mar 2015 and Oct 2015–Mar 2016, imported through the hourly
spreadsheet importer (its UCI layout), and a plan derived from the default one runs its campaign
2015-10-01…2016-03-31 in Beijing with those four stations. The PM2.5 change and the heavy-day
counts lantian computes must equal an independent computation made here straight from the CSV
files (polars for reading, exact fractions and GB/T 8170 half-to-even rounding, and the HJ 633
breakpoints at IAQI 200 for "heavy": AQI > 200 exactly when some indicator is above them).
"""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lantian import clock
from lantian.auth.service import add_user
from lantian.campaign import service as campaign
from lantian.config import Settings, get_settings
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.demo import plan_station_entries
from lantian.monitoring.models import Measurement, Station
from lantian.monitoring.registry import RegistryEntry, load_station_registry
from lantian.monitoring.spreadsheet_import import (
    SpreadsheetRejected,
    import_hourly_file,
    read_hourly_file,
)
from lantian.plan import DEFAULT_PLAN_DIR, read_plan
from lantian.results.headline import HEAVY_TARGET, PM25_TARGET, headline
from lantian.timeutil import CHINA_TZ
from lantian.web.app import create_app
from tests.support.shared_data import shared_file

PASSWORD = "灰霾退散-2017-blue"
STATIONS = {"BJ-DL": "Dingling", "BJ-DS": "Dongsi", "BJ-TT": "Tiantan", "BJ-WSXG": "Wanshouxigong"}
PERIOD = (date(2015, 10, 1), date(2016, 3, 31))
BASELINE = (date(2014, 10, 1), date(2015, 3, 31))
AFTER_THE_PERIOD = datetime(2016, 4, 1, 10, 0, tzinfo=CHINA_TZ)
#: Daily concentrations at which each daily indicator's IAQI is 200 (HJ 633-2012 Table 1); the
#: IAQI is rounded up, so a (rounded) concentration above it gives IAQI > 200. CO in 0.1 mg/m³.
HEAVY_ABOVE = {"PM2.5": 150, "PM10": 350, "SO2": 800, "NO2": 280, "CO": 240, "O3_1H": 400}
O3_8H_HEAVY_ABOVE = 265
POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")


def beijing_file(station: str) -> Path:
    return shared_file(f"data/beijing/PRSA_Data_{station}_20130301-20170228.csv")


def in_periods(day: date) -> bool:
    return any(first <= day <= last for first, last in (BASELINE, PERIOD))


def write_beijing_plan(folder: Path) -> Path:
    """The default plan with its campaign moved to 2015-10…2016-03, in Beijing, four stations."""
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    text = (folder / "plan.yaml").read_text("utf-8")
    for old, new in (
        ("code: xinmi-2017-2018\n", "code: beijing-2015-2016\n"),
        ("city: 新密市\n", "city: 北京市\n"),
        ("    start: 2017-10-01\n    end: 2018-03-31\n", "    start: 2015-10-01\n    end: 2016-03-31\n"),
    ):  # fmt: skip
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (folder / "plan.yaml").write_text(text, "utf-8")
    header = (folder / "stations.csv").read_text("utf-8").splitlines()[0]
    rows = [
        f"{code},{name},北京,national,,,,operating,so2 no2 pm10 pm2_5 co o3,3600"
        for code, name in STATIONS.items()
    ]
    (folder / "stations.csv").write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return folder


def write_periods_only(station: str, target: Path) -> Path:
    """The station's UCI file cut to the rows of the two campaign periods (same layout)."""
    lines = beijing_file(station).read_text("utf-8").splitlines()
    kept = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if in_periods(date(int(cells[1]), int(cells[2]), int(cells[3]))):
            kept.append(line)
    target.write_text("\n".join(kept) + "\n", "utf-8")
    return target


def fill(url: str, data_dir: Path) -> None:
    engine = create_db_engine(url)
    try:
        sessions = session_factory(engine)
        plan = read_plan(write_beijing_plan(data_dir / "plan"))
        assert plan.problems == []
        with transaction(sessions) as session:
            campaign.load_plan(session, plan)
            load_station_registry(session, plan_station_entries(plan), actor="test")
            add_user(
                session,
                username="office",
                role="campaign_office",
                scope=None,
                password=PASSWORD,
                actor="test",
            )
        for station in STATIONS.values():
            cut = write_periods_only(station, data_dir / f"{station}.csv")
            result = import_hourly_file(sessions, cut, data_dir / "uploads")
            assert result.values_added == result.values_in_file > 40_000
    finally:
        engine.dispose()


@pytest.fixture
def beijing(
    prepared_database: Callable[[str, Callable[[str, Path], None]], str],
) -> Iterator[Engine]:
    """The test's own copy of a database the two periods were imported into once per backend."""
    engine = create_db_engine(prepared_database("beijing_two_campaigns", fill))
    yield engine
    engine.dispose()


# --- the independent computation ----------------------------------------------------------------


def half_even(value: Fraction) -> int:
    """GB/T 8170 rounding to an integer (Python rounds a Fraction half to even)."""
    return round(value)


def hourly_fixed(text: str, pollutant: str) -> int:
    """An hourly value as lantian stores it: µg/m³ integers, CO in 0.1 mg/m³ (from µg/m³)."""
    amount = Decimal(text) / 100 if pollutant == "CO" else Decimal(text)
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@functools.cache
def station_days(station: str) -> dict[date, dict[str, int | None]]:
    """One station's daily values of the periods: 24-h means valid with ≥ 20 hours (GB 3095),
    O3 daily max 1-h with ≥ 20 hours; also the highest 8-hour O3 mean touching the day."""
    frame = pl.read_csv(beijing_file(station), infer_schema=False, null_values="NA")
    frame = frame.with_columns(
        pl.date(pl.col("year").cast(pl.Int32), pl.col("month").cast(pl.Int8),
                pl.col("day").cast(pl.Int8)).alias("date")
    ).filter(pl.any_horizontal(pl.col("date").is_between(first, last)
                               for first, last in (BASELINE, PERIOD)))  # fmt: skip
    days: dict[date, dict[str, list[int]]] = {}
    o3_hours: list[int | None] = []
    for row in frame.iter_rows(named=True):
        day = row["date"]
        assert in_periods(day)
        hours = days.setdefault(day, {p: [] for p in POLLUTANTS})
        for pollutant in POLLUTANTS:
            if row[pollutant] is not None:
                hours[pollutant].append(hourly_fixed(row[pollutant], pollutant))
        o3_hours.append(hourly_fixed(row["O3"], "O3") if row["O3"] is not None else None)
    # Every 8-hour window with ≥ 6 values stays below the O3 8-h breakpoint of IAQI 200, so the
    # O3 8-h indicator cannot make a heavy day in these winters (checked, not assumed).
    for end in range(8, len(o3_hours) + 1):
        window = [v for v in o3_hours[end - 8 : end] if v is not None]
        if len(window) >= 6:
            assert Fraction(sum(window), len(window)) <= O3_8H_HEAVY_ABOVE
    result: dict[date, dict[str, int | None]] = {}
    for day, hours in days.items():
        values: dict[str, int | None] = {}
        for pollutant in POLLUTANTS:
            got = hours[pollutant]
            if pollutant != "O3":
                values[pollutant] = (
                    half_even(Fraction(sum(got), len(got))) if len(got) >= 20 else None
                )
        values["O3_1H"] = max(hours["O3"]) if len(hours["O3"]) >= 20 else None
        result[day] = values
    return result


def independent_city_days(first: date, last: date) -> dict[date, tuple[int | None, bool]]:
    """Day → (city PM2.5 = half-even mean of the valid stations' values, heavy-pollution day)."""
    stations = [station_days(name) for name in STATIONS.values()]
    city: dict[date, tuple[int | None, bool]] = {}
    day = first
    while day <= last:
        means: dict[str, int | None] = {}
        for indicator in HEAVY_ABOVE:
            valid = [
                s[day][indicator] for s in stations if day in s and s[day][indicator] is not None
            ]
            means[indicator] = half_even(Fraction(sum(valid), len(valid))) if valid else None  # type: ignore[arg-type]
        heavy = any(
            value is not None and value > HEAVY_ABOVE[indicator]
            for indicator, value in means.items()
        )
        city[day] = (means["PM2.5"], heavy)
        day += timedelta(days=1)
    return city


@pytest.fixture(scope="module")
def expected() -> dict[str, dict[date, tuple[int | None, bool]]]:
    return {
        "period": independent_city_days(*PERIOD),
        "baseline": independent_city_days(*BASELINE),
    }


def mean_pm25(days: dict[date, tuple[int | None, bool]], first: date, last: date) -> Fraction:
    values = [pm for day, (pm, _) in days.items() if first <= day <= last and pm is not None]
    return Fraction(sum(values), len(values))


def tenths(value: Fraction) -> float:
    """A percentage as shown: one decimal, half to even."""
    return float(Fraction(round(value * 10), 10))


def heavy_days(days: dict[date, tuple[int | None, bool]], first: date, last: date) -> int:
    return sum(heavy for day, (_, heavy) in days.items() if first <= day <= last)


# --- the tests ----------------------------------------------------------------------------------


def test_the_uci_layout_is_read_with_co_converted_and_hours_beginning(tmp_path: Path) -> None:
    lines = beijing_file("Dongsi").read_text("utf-8").splitlines()
    path = tmp_path / "dongsi.csv"
    path.write_text("\n".join(lines[:25]) + "\n", "utf-8")
    content = read_hourly_file(path)
    assert content.layout == "uci" and content.problems == ()
    first = [v for v in content.values if v.row == 2]
    # 2013-03-01 hour 0 (China time) ends at 01:00 China = 2013-02-28 17:00 UTC; CO 300 µg/m³.
    assert {v.period_end.isoformat() for v in first} == {"2013-02-28T17:00:00+00:00"}
    assert {v.pollutant: v.value for v in first}["co"] == 0.3
    assert {v.pollutant: v.value for v in first}["pm2_5"] == 9.0
    # The day's 24 rows are its natural day: hour 23 ends at 24:00 of 2013-03-01.
    assert max(v.period_end for v in content.values).isoformat() == "2013-03-01T16:00:00+00:00"
    # A bad hour is reported with its row, and the file refused as a whole.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join([lines[0], lines[1].replace(",3,1,0,", ",3,1,24,", 1)]) + "\n", "utf-8"
    )
    refused = read_hourly_file(bad)
    assert [(p.row, "0–23" in p.reason) for p in refused.problems] == [(2, True)]


def test_a_uci_file_naming_an_unknown_station_is_refused_whole(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as session:
        load_station_registry(
            session,
            [RegistryEntry(code="BJ-DS", name="Dongsi", city="北京", tier="national")],
            actor="test",
        )
    dongsi = beijing_file("Dongsi").read_text("utf-8").splitlines()
    tiantan = beijing_file("Tiantan").read_text("utf-8").splitlines()
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("\n".join([dongsi[0], *dongsi[1:25], tiantan[1]]) + "\n", "utf-8")
    with pytest.raises(SpreadsheetRejected) as refused:
        import_hourly_file(sessions, mixed, tmp_path / "uploads")
    assert [(p.row, p.value) for p in refused.value.problems] == [(26, "Tiantan")]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Measurement)) == 0
    # The station's own rows go in under its code, CO in mg/m³.
    alone = tmp_path / "dongsi.csv"
    alone.write_text("\n".join(dongsi[:25]) + "\n", "utf-8")
    result = import_hourly_file(sessions, alone, tmp_path / "uploads")
    assert result.values_added == result.values_in_file > 0
    with sessions() as session:
        first_co = session.scalar(
            select(Measurement.value)
            .join(Station)
            .where(Station.code == "BJ-DS", Measurement.pollutant == "co")
            .order_by(Measurement.period_end)
            .limit(1)
        )
    assert first_co == 0.3


def test_headline_equals_an_independent_computation(
    beijing: Engine, expected: dict[str, dict[date, tuple[int | None, bool]]]
) -> None:
    period, baseline = expected["period"], expected["baseline"]
    with clock.use(clock.FrozenClock(AFTER_THE_PERIOD)), session_factory(beijing)() as session:
        result = headline(session, *PERIOD)
        context = campaign.current_plan(session)
        assert context is not None and context.plan.code == "beijing-2015-2016"
        progress = {
            p.target.key: p for p in campaign.target_progress(session, context, clock.today())
        }
    assert result.complete and result.through == PERIOD[1]
    # Every day of both periods, city PM2.5 and heavy or not, as computed independently.
    assert {c.day: (c.pm2_5, c.heavy) for c, _ in result.series if c is not None} == period
    # The year before, day by day beside them (2016-02-29 lines up with 2015-02-28 again).
    assert {b.day: (b.pm2_5, b.heavy) for _, b in result.series} == baseline
    assert result.current.pm25_mean == mean_pm25(period, *PERIOD)
    assert result.baseline.pm25_mean == mean_pm25(baseline, *BASELINE)
    assert result.current.heavy_days == heavy_days(period, *PERIOD)
    assert result.baseline.heavy_days == heavy_days(baseline, *BASELINE)
    change = (
        (mean_pm25(baseline, *BASELINE) - mean_pm25(period, *PERIOD))
        * 100
        / mean_pm25(baseline, *BASELINE)
    )
    assert result.pm25_reduction == change
    missing = sum(pm is None for pm, _ in period.values())
    assert result.current.missing_pm25_days == missing
    # The figures are the plan targets' computed values: no typed report is involved.
    pm25, heavy = progress[PM25_TARGET], progress[HEAVY_TARGET]
    assert pm25.computed is not None and pm25.rollup.actual == tenths(change)
    assert pm25.rollup.met is (pm25.rollup.actual >= 20)
    before, after = heavy_days(baseline, *BASELINE), heavy_days(period, *PERIOD)
    assert heavy.rollup.actual == tenths(Fraction((before - after) * 100, before))
    # What these two winters show (stated in the report): PM2.5 and heavy days.
    print(
        f"PM2.5 {float(mean_pm25(baseline, *BASELINE)):.1f} → {float(mean_pm25(period, *PERIOD)):.1f} "
        f"µg/m³ ({float(change):+.1f} % decrease); heavy days {before} → {after}"
    )


def test_to_date_projection_and_heavy_days_still_allowed(
    beijing: Engine,
    expected: dict[str, dict[date, tuple[int | None, bool]]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    period, baseline = expected["period"], expected["baseline"]
    as_of = date(2016, 1, 1)
    with clock.use(clock.FrozenClock(AFTER_THE_PERIOD)), session_factory(beijing)() as session:
        result = headline(session, *PERIOD, as_of=as_of)
    through = date(2015, 12, 31)
    assert result.through == through and not result.complete
    # To date: October–December against October–December a year before.
    assert result.current.pm25_mean == mean_pm25(period, PERIOD[0], through)
    assert result.baseline_same_days.pm25_mean == mean_pm25(
        baseline, BASELINE[0], date(2014, 12, 31)
    )
    assert result.current.heavy_days == heavy_days(period, PERIOD[0], through)
    assert result.baseline_same_days.heavy_days == heavy_days(
        baseline, BASELINE[0], date(2014, 12, 31)
    )
    # Projected: the days to come as the same days a year before.
    so_far = [pm for d, (pm, _) in period.items() if d <= through and pm is not None]
    rest = [pm for d, (pm, _) in baseline.items() if d >= date(2015, 1, 1) and pm is not None]
    assert result.projected_pm25_mean == Fraction(sum(so_far) + sum(rest), len(so_far) + len(rest))
    projected_heavy = heavy_days(period, PERIOD[0], through) + heavy_days(
        baseline, date(2015, 1, 1), BASELINE[1]
    )
    assert result.projected_heavy_days == projected_heavy
    # −15 %: the period may have at most ⌊0.85 × last year's heavy days⌋.
    ceiling = heavy_days(baseline, *BASELINE) * 85 // 100
    assert result.heavy_days_allowed(15) == ceiling - heavy_days(period, PERIOD[0], through)
    # Nothing after the as-of day is counted: those days are still to come in the series.
    assert [c for c, _ in result.series if c is not None][-1].day == through
    # `lantian results targets --as-of` prints the same figures.
    monkeypatch.setenv("LANTIAN_DATABASE_URL", beijing.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    from lantian.cli import app

    try:
        printed = CliRunner().invoke(app, ["results", "targets", "--as-of", "2016-01-01"])
    finally:
        get_settings.cache_clear()
    assert printed.exit_code == 0, printed.output
    assert "counted through 2015-12-31" in printed.output
    pm25_row = next(line for line in printed.output.splitlines() if "PM2.5 µg/m³" in line)
    so_far_mean = mean_pm25(period, PERIOD[0], through)
    before_mean = mean_pm25(baseline, BASELINE[0], date(2014, 12, 31))
    assert [cell.strip() for cell in re.split("[│|]", pm25_row)][2:5] == [
        f"{tenths(so_far_mean):.1f}",
        f"{tenths(before_mean):.1f}",
        f"{tenths((before_mean - so_far_mean) * 100 / before_mean):.1f}",
    ]
    assert (
        f"still allowed {max(ceiling - heavy_days(period, PERIOD[0], through), 0)}"
        in printed.output
    )


def test_the_targets_page_shows_the_computed_figures(
    beijing: Engine, tmp_path: Path, expected: dict[str, dict[date, tuple[int | None, bool]]]
) -> None:
    period, baseline = expected["period"], expected["baseline"]
    client = TestClient(create_app(Settings(data_dir=tmp_path, as_of="2016-04-01T10:00"), beijing))  # type: ignore[arg-type]
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert token
    signed = client.post(
        "/login",
        data={"username": "office", "password": PASSWORD, "csrf": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    text = client.get("/campaign/targets").text
    change = (
        (mean_pm25(baseline, *BASELINE) - mean_pm25(period, *PERIOD))
        * 100
        / mean_pm25(baseline, *BASELINE)
    )
    section = text[text.index('id="headline"') :]
    assert f'data-figure="pm25-reduction">{tenths(change):.1f}<' in section
    assert f'data-figure="heavy-days">{heavy_days(period, *PERIOD)}<' in section
    assert f'data-figure="heavy-days-before">{heavy_days(baseline, *BASELINE)}<' in section
    # The daily series behind them: one row per day of the period.
    assert section.count('class="headline-day"') == (PERIOD[1] - PERIOD[0]).days + 1
    # The office dashboard's tile carries the same figure and links to the section.
    office = client.get("/office").text
    tile = office[office.index('id="headline-targets"') :]
    tile = tile[: tile.index("</div>\n  </div>") if "</div>\n  </div>" in tile else 600]
    assert f">{tenths(change):.1f}%<" in tile and "/campaign/targets#headline" in tile
    assert f"重污染 {heavy_days(period, *PERIOD)} 天" in tile
