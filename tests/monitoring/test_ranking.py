"""Township (area) ranking on real CNEMC data, checked against a plain recomputation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path

import numpy
import pytest
from sqlalchemy import Engine, select

from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.areas import assign_station_areas, read_boundaries
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.monitoring.models import Measurement, Station
from lantian.monitoring.ranking import area_ranking
from lantian.timeutil import CHINA_TZ

DAYS = ["20190102", "20190103", "20190104", "20190105"]


def half_even(value: Fraction) -> int:
    return int((Decimal(value.numerator) / Decimal(value.denominator)).quantize(0, ROUND_HALF_EVEN))


def load(db_engine: Engine, shared_dir: Path, tmp_path: Path) -> None:
    sessions = session_factory(db_engine)
    stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
    for day in DAYS:
        path = shared_dir / f"data/cnemc/national_daily/china_sites_{day}.csv"
        import_cnemc_file(sessions, path, tmp_path, stations)
    with transaction(sessions) as session:
        assign_station_areas(session, read_boundaries(), actor="test")


@pytest.fixture
def db_engine(
    prepared_database: Callable[[str, Callable[[str, Path], None]], str], shared_dir: Path
) -> Iterator[Engine]:
    """The test's own copy of a database the four days were loaded into once per backend (both
    tests read the same data; loading it took half a minute per test and backend)."""

    def fill(url: str, data_dir: Path) -> None:
        engine = create_db_engine(url)
        try:
            load(engine, shared_dir, data_dir)
        finally:
            engine.dispose()

    engine = create_db_engine(prepared_database("ranking_days", fill))
    yield engine
    engine.dispose()


def test_districts_from_boundaries_and_area_pm25_from_station_daily_means(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    first, last = date(2019, 1, 2), date(2019, 1, 5)
    with session_factory(db_engine)() as session:
        areas = {
            code: area for code, area in session.execute(select(Station.code, Station.area_code))
        }
        assert areas["1324A"] == "410108"  # 岗李水库 lies in 惠济区
        assert areas["1323A"] == "410103"  # 河医大 in 二七区
        assert areas["1320A"] == areas["1321A"] == "410104"  # 经开区管委, 四十七中: 管城回族区
        ranking = area_ranking(session, first, last)
        members = {
            code: area
            for code, area, background in session.execute(
                select(Station.code, Station.area_code, Station.is_background)
            )
            if area and not background
        }
        # Plain recomputation: hour-ending labels, a natural day needs >= 20 hours (GB 3095).
        hourly: dict[tuple[str, date], list[float]] = defaultdict(list)
        for code, period_end, value in session.execute(
            select(Station.code, Measurement.period_end, Measurement.value)
            .join(Station)
            .where(Measurement.pollutant == "pm2_5", Measurement.averaging == "1h")
        ):
            day = (period_end.astimezone(CHINA_TZ) - timedelta(hours=1)).date()
            if code in members and first <= day <= last:
                hourly[(code, day)].append(value)
    station_daily = {
        key: half_even(Fraction(sum(Fraction(str(v)) for v in values), len(values)))
        for key, values in hourly.items()
        if len(values) >= 20
    }
    by_area: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(list))
    for (code, day), value in station_daily.items():
        by_area[members[code]][day].append(value)
    expected = {
        area: half_even(
            Fraction(sum(half_even(Fraction(sum(v), len(v))) for v in days.values()), len(days))
        )
        for area, days in by_area.items()
    }
    got = {row.area_code: row.pm2_5 for row in ranking}
    assert set(got) == set(expected) == {"410103", "410104", "410105", "410102"}
    for area, value in expected.items():
        assert got[area] == value, area
    # Ranked cleanest first by the composite index; the background station's area is not ranked.
    ranks = [row.rank for row in ranking]
    assert ranks == sorted(ranks)
    assert all(row.composite is not None and row.composite > 0 for row in ranking)
    assert "410108" not in got


def test_shared_grids_answer_as_fresh_reads_and_read_the_measurements_once(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    """The office dashboard and an area's page read one month's grid once (``shared_grids``):
    the rates of an area, the network's rates, the ranking and the last hours cut from it are
    the figures that separate reads give."""
    from sqlalchemy import event

    from lantian.monitoring import publication
    from lantian.monitoring.quality import load_span, shared_grids, transmission_rates

    first, last = date(2019, 1, 2), date(2019, 1, 5)
    area_codes = ["1323A", "1320A"]

    def figures(session: object) -> tuple[object, ...]:
        return (
            area_ranking(session, first, last),  # type: ignore[arg-type]
            transmission_rates(session, first, last, "day", area_codes),  # type: ignore[arg-type]
            transmission_rates(session, first, last, "day"),  # type: ignore[arg-type]
            publication.city_hourly_aqi(session),  # type: ignore[arg-type]
            # A station page: its year, then its last week cut from the year's grid.
            publication.station_daily_aqi(session, "1320A", 2019),  # type: ignore[arg-type]
            publication.station_hourly_aqi(session, "1320A"),  # type: ignore[arg-type]
        )

    reads: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        # The grid's read (load_span), not the newest hour's or the reviews' queries.
        if statement.startswith("SELECT measurements.id, measurements.station_id"):
            reads.append(statement)

    sessions = session_factory(db_engine)
    with sessions() as session:
        fresh = figures(session)
    inside_year = (datetime(2019, 1, 3, tzinfo=CHINA_TZ), datetime(2019, 1, 5, tzinfo=CHINA_TZ))
    with sessions() as session:
        fresh_days = load_span(session, *inside_year, ["1320A"])
    event.listen(db_engine, "before_cursor_execute", count)
    try:
        with sessions() as session, shared_grids(session):
            shared = figures(session)
            read_before = len(reads)
            cut_days = load_span(session, *inside_year, ["1320A"])  # cut from the year's grid
            assert len(reads) == read_before
    finally:
        event.remove(db_engine, "before_cursor_execute", count)
    assert shared == fresh
    assert [s.code for s in cut_days.stations] == [s.code for s in fresh_days.stations]
    assert cut_days.hours == fresh_days.hours and len(fresh_days.hours) == 48
    assert cut_days.keys == fresh_days.keys and cut_days.raw_values == fresh_days.raw_values
    for pollutant, values in fresh_days.values.items():
        assert (cut_days.values[pollutant] == values)[~numpy.isnan(values)].all()
        assert numpy.isnan(cut_days.values[pollutant]).sum() == numpy.isnan(values).sum()
    assert fresh[1] and fresh[3] and fresh[5]  # real figures, not empty lists
    # The network's days; the station's year; its last week, which reaches back into 2018 here
    # and so is not held by the year's grid (a week inside the year is cut from it).
    assert len(reads) == 3, reads
