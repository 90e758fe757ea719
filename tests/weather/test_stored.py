"""Weather through the importer and the normalisation from the stored data, on both backends.

Two stations of the UCI Beijing files (Dongsi, Tiantan) for November–January of 2014-15 and
2015-16: the weather imported through :func:`lantian.weather.imports.import_weather` (the UCI
layout as it is), the PM2.5 hours stored as measurements. The city's daily series read back from
the database equals the one read straight from the files, and so does the normalisation; the
page shows the figures. Tiny forests (20 trees, 20 draws, one seed): this tests the wiring.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select

from lantian.auth.permissions import Principal
from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.audited import acting_as
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.files import FileStore
from lantian.monitoring.models import Measurement, Station
from lantian.tabular import Rejected
from lantian.timeutil import CHINA_TZ
from lantian.weather import service
from lantian.weather.imports import import_weather
from lantian.weather.models import WeatherObservation, WeatherUpload
from lantian.weather.normalise import ModelSettings, WeatherSeries, normalise
from lantian.weather.uci import read_uci_series
from lantian.web.app import create_app
from tests.support.shared_data import shared_file

STATIONS = ("Dongsi", "Tiantan")
SLICES = ((date(2014, 11, 1), date(2015, 1, 31)), (date(2015, 11, 1), date(2016, 1, 31)))
PERIOD = service.DaySpan(date(2015, 12, 1), date(2015, 12, 31))
BASELINE = service.DaySpan(date(2014, 12, 1), date(2014, 12, 31))
MARGIN = 31
MODEL = ModelSettings(trees=20, samples=20, seeds=(1,))
PASSWORD = "灰霾退散-2017-blue"
OFFICE = Principal("office", "campaign_office")


def station_file(station: str) -> Path:
    return shared_file(f"data/beijing/PRSA_Data_{station}_20130301-20170228.csv")


def sliced(station: str) -> pl.DataFrame:
    frame = pl.read_csv(station_file(station), infer_schema_length=None, null_values=["NA"])
    day = pl.date("year", "month", "day")
    keep = pl.lit(False)
    for first, last in SLICES:
        keep = keep | ((day >= first) & (day <= last))
    return frame.filter(keep)


def uci_csv(frame: pl.DataFrame) -> bytes:
    """The slice written back in the UCI layout (``NA`` for missing, as the files have it)."""
    return frame.write_csv(null_value="NA").encode()


def load(url: str, data_dir: Path) -> None:
    engine = create_db_engine(url)
    try:
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            add_user(session, username="office", role="campaign_office", password=PASSWORD,
                     actor="t")  # fmt: skip
            add_user(session, username="town", role="township", scope="410183100",
                     password=PASSWORD, actor="t")  # fmt: skip
            received = datetime(2026, 1, 1, tzinfo=UTC)
            for station in STATIONS:
                with acting_as(session, "t", action="station.add"):
                    row = Station(code=station, name=station, city="北京", pollutants=["pm2_5"])
                    session.add(row)
                    session.flush()
                frame = sliced(station)
                import_weather(session, OFFICE, uci_csv(frame), f"{station}.csv",
                               store=FileStore(data_dir))  # fmt: skip
                values = frame.select("year", "month", "day", "hour", "PM2.5").drop_nulls()
                session.execute(
                    insert(Measurement),
                    [
                        {
                            "station_id": row.id,
                            "pollutant": "pm2_5",
                            "averaging": "1h",
                            # The UCI hour is the hour's beginning; stored by its end.
                            "period_end": datetime(y, m, d, h, tzinfo=CHINA_TZ)
                            + timedelta(hours=1),
                            "value": float(v),
                            "flag": "N",
                            "source": "manual",
                            "received_at": received,
                        }
                        for y, m, d, h, v in values.iter_rows()
                    ],
                )
    finally:
        engine.dispose()


@pytest.fixture
def db_engine(
    prepared_database: Callable[[str, Callable[[str, Path], None]], str],
) -> Iterator[Engine]:
    engine = create_db_engine(prepared_database("weather_beijing_slices", load))
    yield engine
    engine.dispose()


def file_series() -> WeatherSeries:
    """The same days straight from the files, NaN outside the slices."""
    full = read_uci_series([station_file(s) for s in STATIONS], "pm2_5")
    first = np.datetime64(min(PERIOD.first, BASELINE.first) - timedelta(days=MARGIN), "D")
    last = np.datetime64(max(PERIOD.last, BASELINE.last) + timedelta(days=MARGIN), "D")
    keep = (full.times >= first) & (full.times <= last)
    inside = np.zeros(len(full.times), bool)
    for a, b in SLICES:
        inside |= (full.times >= np.datetime64(a, "D")) & (full.times <= np.datetime64(b, "D"))
    concentration = np.where(inside, full.concentration, np.nan)[keep]
    weather = np.where(inside[:, None], full.weather, np.nan)[keep]
    return WeatherSeries(full.times[keep], concentration, weather)


def test_stored_series_and_normalisation_equal_the_files(db_engine: Engine) -> None:
    expected = file_series()
    with session_factory(db_engine)() as session:
        uploads = session.scalar(select(func.count()).select_from(WeatherUpload))
        stored = service.stored_weather(session)
        result = service.normalise_stored(session, "pm2_5", PERIOD, BASELINE, MODEL, MARGIN)
    assert uploads == 2
    assert [s.site for s in stored] == list(STATIONS)
    assert stored[0].hours == 2 * 24 * (30 + 31 + 31)
    series = result.series
    np.testing.assert_array_equal(series.times, expected.times)
    np.testing.assert_allclose(series.concentration, expected.concentration, rtol=1e-12)
    np.testing.assert_allclose(series.weather, expected.weather, rtol=1e-9, atol=1e-9)
    direct = normalise(expected, PERIOD.as_period(), BASELINE.as_period(), MODEL)
    assert result.observed_change_pct == pytest.approx(direct.observed_change_pct, rel=1e-9)
    assert result.normalised_change_pct == pytest.approx(direct.normalised_change_pct, abs=0.05)
    assert result.compared_days == 62


def test_import_refuses_a_bad_file_whole_and_replaces_on_reimport(
    db_engine: Engine, tmp_path: Path
) -> None:
    sessions = session_factory(db_engine)
    store = FileStore(tmp_path)
    bad = (
        "站点,时间,气温,相对湿度,气压,风速,风向,降水量\n"
        "W1,2018-01-15 08:00,-2.5,45,1021.3,2.1,西北,0\n"
        "W1,2018-01-15 09:00,-1.5,150,1021.0,2.4,NW,0\n"
        "W1,,-1.0,40,1020.8,2.0,315,0\n"
        "W1,2018-01-15 11:00,0.5,38,1020.5,1.9,XYZ,0\n"
    ).encode()
    with pytest.raises(Rejected) as refused, transaction(sessions) as session:
        import_weather(session, OFFICE, bad, "bad.csv", store=store)
    rows = sorted(problem.row for problem in refused.value.problems)
    assert rows == [3, 4, 5]
    with sessions() as session:
        assert session.scalar(select(func.count()).where(WeatherObservation.site == "W1")) == 0
    good = bad.replace(b",150,", b",50,").replace(b"W1,,", b"W1,2018-01-15 10:00,")
    good = good.replace(b"XYZ", b"270")
    with transaction(sessions) as session:
        done = import_weather(session, OFFICE, good, "good.csv", store=store)
    assert done.rows == 4 and done.sites == ("W1",)
    assert done.first == datetime(2018, 1, 15, 8, tzinfo=CHINA_TZ)
    assert store.read(store.relative_path(done.sha256), done.sha256) == good
    corrected = good.replace(b"-2.5,45", b"-3.0,47")
    with transaction(sessions) as session:
        import_weather(session, OFFICE, corrected, "good.csv", store=store)
    with sessions() as session:
        rows_w1 = session.scalars(
            select(WeatherObservation)
            .where(WeatherObservation.site == "W1")
            .order_by(WeatherObservation.observed_at)
        ).all()
        assert len(rows_w1) == 4
        assert (rows_w1[0].temperature, rows_w1[0].humidity) == (-3.0, 47.0)
        assert rows_w1[0].wind_direction == 315.0  # 西北
        assert rows_w1[3].wind_direction == 270.0
    with pytest.raises(Exception, match="not allowed"), transaction(sessions) as session:
        import_weather(session, Principal("town", "township", "410183100"), good, "x.csv",
                       store=store)  # fmt: skip


def signed_in(app: object, username: str) -> TestClient:
    client = TestClient(app)  # type: ignore[arg-type]
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert token
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


def test_page_shows_the_figures_and_refuses_a_bad_upload(db_engine: Engine, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        weather_trees=20,
        weather_samples=20,
        weather_seeds=1,
        weather_training_margin_days=MARGIN,
    )
    app = create_app(settings, db_engine)
    client = signed_in(app, "office")
    page = client.get(f"/results/weather?pollutant=PM2.5&period={PERIOD}&baseline={BASELINE}")
    assert page.status_code == 200, page.text
    with session_factory(db_engine)() as session:
        result = service.normalise_stored(session, "pm2_5", PERIOD, BASELINE, MODEL, MARGIN)
    row = re.search(r'<tr id="row-observed">(.*?)</tr>', page.text, re.S)
    assert row and f"{result.observed_change_pct:+.1f}" in row.group(1)
    normalised = re.search(r'<tr id="row-normalised">(.*?)</tr>', page.text, re.S)
    assert normalised and f"{result.normalised_change_pct:+.1f}" in normalised.group(1)
    assert 'id="weather-chart"' in page.text and "Vu" in page.text
    assert 'id="weather-sites"' in page.text and "Dongsi" in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    refused = client.post(
        "/results/weather/import",
        data={"csrf": token.group(1)},
        files={"file": ("w.csv", io.BytesIO("站点,时间,风向\nW9,2018-01-01 00:00,乱\n".encode()))},
    )
    assert refused.status_code == 422 and 'id="problems"' in refused.text
    assert signed_in(app, "town").get("/results/weather").status_code == 403
