"""The monthly township assessment on both backends: each component from real stored data (hourly
measurements of township stations, progress reports submitted through the campaign service,
inspection cases taken through their steps), the min–max scores and weighted totals checked
against a plain recomputation, the ranking recorded once and unchanged by later data, the job,
the page, its Excel file and the office tile."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.assessment import components as parts
from lantian.assessment import service
from lantian.assessment.jobs import record_last_month
from lantian.assessment.models import AssessmentRanking
from lantian.auth.permissions import Principal
from lantian.auth.service import add_user
from lantian.campaign import service as campaign
from lantian.config import Settings
from lantian.db.audited import acting_as
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.errors import Conflict, Invalid
from lantian.monitoring.models import Measurement, Station
from lantian.plan import DEFAULT_PLAN_DIR, read_plan
from lantian.scheduler.registry import JobContext
from lantian.supervision import service as supervision
from lantian.supervision.service import CaseDraft
from lantian.timeutil import CHINA_TZ
from lantian.web.app import create_app
from tests.support.cli import run_lantian

pytestmark = pytest.mark.db

NOV = date(2017, 11, 1)
CHENGGUAN, MICUN, NIUDIAN = "410183100", "410183101", "410183102"
#: A clean month's concentrations (µg/m³; CO mg/m³), scaled per township and year below.
BASE = {"so2": 10, "no2": 20, "pm10": 70, "pm2_5": 40, "co": Fraction(1), "o3": 80}
#: Township → (factor in November 2017, factor in November 2016).
FACTORS = {CHENGGUAN: (1, 1), MICUN: (2, Fraction(5, 2)), NIUDIAN: (Fraction(3, 2), 1)}
#: GB 3095-2012 level-2 annual limits (CO 24-h, O3 8-h): the composite index's divisors.
LIMITS = {"so2": 60, "no2": 40, "pm10": 70, "pm2_5": 35, "co": 4, "o3": 160}
#: After the month and its reports' due date (2017-12-04, the 2nd being a Saturday).
AFTER = datetime(2017, 12, 10, 2, tzinfo=UTC)
OFFICE = Principal("office", "campaign_office")
PASSWORD = "correct-horse-battery-9"


def expected_index(factor: Fraction | int) -> Fraction:
    return sum((Fraction(v) * factor / LIMITS[p] for p, v in BASE.items()), Fraction(0))


def add_station_days(
    session: Session,
    area: str,
    month: date,
    factor: Fraction | float,
    days: range = range(15, 18),
) -> None:
    """Whole days (default the 15th–17th) of constant hourly values of the six pollutants."""
    code = f"T-{area}"
    station = session.scalar(select(Station).where(Station.code == code))
    if station is None:
        with acting_as(session, "test"):
            station = Station(code=code, name=code, city="新密", tier="township", area_code=area)
            session.add(station)
            session.flush()
    received = datetime(2018, 1, 1, tzinfo=UTC)
    for day in days:
        for hour in range(1, 25):
            end = datetime(month.year, month.month, day, tzinfo=CHINA_TZ) + timedelta(hours=hour)
            for pollutant, value in BASE.items():
                session.add(
                    Measurement(
                        station_id=station.id,
                        pollutant=pollutant,
                        period_end=end,
                        value=float(Fraction(value) * factor),
                        source="manual",
                        received_at=received,
                    )
                )


def close_case(session: Session, area: str, deadline: datetime, closed: datetime) -> int:
    """A case opened, forwarded with ``deadline``, accepted, reported and closed at ``closed``."""
    opened = supervision.open_case(
        session,
        rule="test.assessment",
        subject=f"{area}:{deadline:%d}",
        draft=CaseDraft(source="rule", title="扬尘", area_code=area),
        observed_at=deadline - timedelta(days=20),
    )
    case_id = opened.case_id
    township = Principal(f"t{area}", "township", area)
    step = deadline - timedelta(days=19)
    supervision.take_step(session, OFFICE, case_id, "forward", step, unit_code="hbj",
                          deadline=deadline)  # fmt: skip
    supervision.take_step(session, township, case_id, "accept", step)
    supervision.take_step(session, township, case_id, "report", closed, note="已整改")
    supervision.take_step(session, OFFICE, case_id, "close", closed)
    return case_id


def fill(url: str, data_dir: Path) -> None:
    """The Xinmi plan; three township stations; two reports on 2017-11 (城关 on time, 米村 late);
    cases due in November: 城关 one closed on time, 米村 one closed late, 牛店 one of each."""
    engine = create_db_engine(url)
    try:
        sessions = session_factory(engine)
        plan = read_plan(DEFAULT_PLAN_DIR)
        with clock.use(clock.FrozenClock(AFTER)), transaction(sessions) as session:
            campaign.load_plan(session, plan)
            for area, (now, before) in FACTORS.items():
                add_station_days(session, area, NOV, now)
                add_station_days(session, area, date(2016, 11, 1), before)
            context = campaign.require_plan(session)
            task = next(
                t for t in context.tasks if ("area", MICUN) in context.expected_reporters(t)
            )
            for area, submitted in ((CHENGGUAN, datetime(2017, 12, 1, 2, tzinfo=UTC)),
                                    (MICUN, datetime(2017, 12, 6, 2, tzinfo=UTC))):  # fmt: skip
                campaign.submit_report(
                    session, context, Principal(f"t{area}", "township", area), task_ref=task.ref,
                    reporter_kind="area", reporter_code=area, period_month=NOV,
                    status="in_progress", text="进展", data_dir=data_dir, now=submitted,
                )  # fmt: skip
            due = datetime(2017, 11, 20, 10, tzinfo=UTC)
            close_case(session, CHENGGUAN, due, due - timedelta(days=2))
            close_case(session, MICUN, due, due + timedelta(days=3))
            close_case(session, NIUDIAN, due, due - timedelta(days=1))
            close_case(session, NIUDIAN, due + timedelta(days=1), due + timedelta(days=5))
    finally:
        engine.dispose()


@pytest.fixture
def db_url(prepared_database: Callable[[str, Callable[[str, Path], None]], str]) -> str:
    """The test's own copy of a database :func:`fill` filled once per backend and process (the
    tests read the same month; each may write to its copy)."""
    return prepared_database("assessment_2017_11", fill)


@pytest.fixture
def loaded(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    return sessions


def owed_per_township(context: campaign.PlanContext, area: str) -> int:
    return sum(1 for t in context.tasks if ("area", area) in context.expected_reporters(t))


def test_components_scores_and_ranks_match_a_plain_recomputation(
    loaded: sessionmaker[Session],
) -> None:
    with clock.use(clock.FrozenClock(AFTER)), loaded() as session:
        context = campaign.require_plan(session)
        result = service.compute_assessment(session, context, NOV, parts.default_components())
        owed = owed_per_township(context, MICUN)
    rows = {r.area_code: r for r in result.rows}
    assert set(rows) == set(parts.assessed_areas(context))
    assert len(rows) == 18  # 13 townships, 4 sub-districts, the scenic area

    # Air quality: the composite index of each township's station, exactly.
    for area, (now, before) in FACTORS.items():
        assert rows[area].values["air_quality"] == pytest.approx(float(expected_index(now)))
        change = (expected_index(now) - expected_index(before)) / expected_index(before) * 100
        assert rows[area].values["air_quality_change"] == pytest.approx(float(change))
    assert rows[MICUN].values["air_quality_change"] == pytest.approx(-20.0)
    # Townships without a station have no air-quality value (not a zero).
    assert rows["410183103"].values["air_quality"] is None

    # Progress: 城关 one report on time, 米村 one late (½), every other township none.
    assert owed == owed_per_township(context, CHENGGUAN) > 1
    assert rows[CHENGGUAN].values["task_progress"] == pytest.approx(100 / owed)
    assert rows[MICUN].values["task_progress"] == pytest.approx(50 / owed)
    assert rows[NIUDIAN].values["task_progress"] == 0
    # Cases due in November: closed on time / due.
    assert rows[CHENGGUAN].values["cases"] == 100
    assert rows[MICUN].values["cases"] == 0
    assert rows[NIUDIAN].values["cases"] == 50
    assert rows["410183103"].values["cases"] is None

    # Scores: min–max per component, the best 100 and the worst 0; totals the weighted mean.
    weights = {c.key: c.weight for c in result.components}
    assert rows[CHENGGUAN].scores["air_quality"] == 100
    assert rows[MICUN].scores["air_quality"] == 0
    assert rows[NIUDIAN].scores["air_quality"] == pytest.approx(50)
    assert rows[MICUN].scores["air_quality_change"] == 100
    # A share is its own score: 城关's 1 of n reports on time is 100/n points, not "the best".
    assert rows[CHENGGUAN].scores["task_progress"] == pytest.approx(100 / owed)
    assert rows[NIUDIAN].scores["cases"] == 50 and rows[MICUN].scores["cases"] == 0
    for area in FACTORS:
        have = {k: s for k, s in rows[area].scores.items() if s is not None}
        total = sum(weights[k] * s for k, s in have.items()) / sum(weights[k] for k in have)
        assert rows[area].total == pytest.approx(total, abs=0.005)
    # A township with only a progress value (0) scores 0; ranks follow totals, highest first.
    ranked = result.ranked
    assert ranked[0].area_code == CHENGGUAN and ranked[0].rank == 1
    totals = [r.total for r in ranked]
    assert totals == sorted(totals, reverse=True)
    assert all(r.rank is not None for r in ranked)
    assert rows[MICUN].rank is not None and rows[NIUDIAN].rank is not None
    # Townships that owed reports and sent none share the last rank.
    last = [r for r in ranked if r.total == 0]
    assert len({r.rank for r in last}) == 1 and len(last) >= 10


def test_a_recorded_ranking_stays_as_published(loaded: sessionmaker[Session]) -> None:
    with clock.use(clock.FrozenClock(AFTER)):
        with transaction(loaded) as session:
            context = campaign.require_plan(session)
            with pytest.raises(Invalid):  # December is not over on 2017-12-10
                service.record_assessment(session, context, date(2017, 12, 1), "test")
            recorded = service.record_assessment(session, context, NOV, "wang.office")
        with transaction(loaded) as session:
            context = campaign.require_plan(session)
            with pytest.raises(Conflict):
                service.record_assessment(session, context, NOV, "wang.office")
            # Late data: 牛店's station measured far cleaner; the live figure moves, the record not.
            add_station_days(session, NIUDIAN, NOV, 0.25, range(20, 23))
        with loaded() as session:
            context = campaign.require_plan(session)
            live = service.compute_assessment(session, context, NOV)
            stored = service.assessment_for(session, context, NOV)
            audit = session.scalar(select(func.count()).select_from(AssessmentRanking))
    assert audit == 18
    assert stored.recorded_at is not None and stored.recorded_by == "wang.office"
    before = {r.area_code: (r.total, r.rank) for r in recorded.rows}
    assert {r.area_code: (r.total, r.rank) for r in stored.rows} == before
    live_rows = {r.area_code: r for r in live.rows}
    assert (
        live_rows[NIUDIAN].values["air_quality"]
        != next(r for r in stored.rows if r.area_code == NIUDIAN).values["air_quality"]
    )


def test_the_monthly_job_records_last_month_once_its_reports_are_due(
    loaded: sessionmaker[Session],
) -> None:
    def run(at: datetime) -> str:
        return record_last_month(
            JobContext(loaded, Settings(), at, None, "system:job:assessment.record")
        )

    early = datetime(2017, 12, 3, 2, tzinfo=UTC)  # the November reports are due on 12-04
    with clock.use(clock.FrozenClock(early)):
        assert "2017-11" in run(early)
    with loaded() as session:
        assert session.scalar(select(func.count()).select_from(AssessmentRanking)) == 0
    with clock.use(clock.FrozenClock(AFTER)):
        assert "ranking recorded" in run(AFTER)
        assert "already recorded" in run(AFTER)
    with loaded() as session:
        actors = set(session.scalars(select(AssessmentRanking.computed_by)))
    assert actors == {"system:job:assessment.record"}


@pytest.fixture
def client(
    loaded: sessionmaker[Session], db_engine: Engine, tmp_path: Path
) -> Iterator[TestClient]:
    with transaction(loaded) as session:
        add_user(session, username="micun", role="township", scope=MICUN, password=PASSWORD,
                 actor="test")  # fmt: skip
    app = create_app(Settings(data_dir=tmp_path), db_engine)
    with clock.use(clock.FrozenClock(AFTER)):
        browser = TestClient(app)
        token = re.search(r'name="csrf" value="([^"]*)"', browser.get("/login").text)
        assert token
        signed_in = browser.post(
            "/login",
            data={"username": "micun", "password": PASSWORD, "csrf": token.group(1)},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        yield browser


def test_page_excel_and_tile_show_every_rank_and_the_method(
    client: TestClient, loaded: sessionmaker[Session]
) -> None:
    page = client.get("/assessment?month=2017-11").text
    assert 'data-state="provisional"' in page
    ranks = dict(re.findall(r'<tr data-area="(\d+)" data-rank="(\d*)"', page))
    assert ranks[CHENGGUAN] == "1" and len(ranks) == 18  # a township sees every rank
    assert re.search(rf'<tr data-area="{MICUN}" data-rank="\d+" class="mine">', page)
    assert 'id="assessment-method"' in page and "最小—最大" in page
    assert "空气质量综合指数" in page and "任务进展报送" in page
    assert client.get("/assessment?month=2017-13").status_code == 422

    with clock.use(clock.FrozenClock(AFTER)), transaction(loaded) as session:
        service.record_assessment(session, campaign.require_plan(session), NOV, "wang.office")
    page = client.get("/assessment?month=2017-11").text
    assert 'data-state="recorded"' in page

    answer = client.get("/assessment.xlsx?month=2017-11")
    assert answer.status_code == 200
    book = load_workbook(BytesIO(answer.content))
    sheet = book["排名 ranking"]
    assert "已公布" in str(sheet["A1"].value)
    first = [cell.value for cell in sheet[3]]
    assert first[:3] == [1, CHENGGUAN, "城关镇"]
    assert book["方法 method"]["A2"].value.startswith("空气质量综合指数")

    office = client.get("/office").text
    tile = re.search(r'id="assessment-bottom".*?</a>', office, re.S) or re.search(
        r"乡镇考核排名后三位（2017-11）.{0,400}", office, re.S
    )
    assert tile, "the office tile names the bottom three"
    assert 'href="/assessment"' in office


def test_a_component_with_its_own_compute_function_takes_part(
    loaded: sessionmaker[Session],
) -> None:
    """The seam components plug into: one with its own compute function (here a stand-in for the
    dust fall, which tests/sources/test_dust_fall.py checks from real samples) takes part in the
    scores and the totals like the others."""
    values = {CHENGGUAN: 9.5, MICUN: 6.0, NIUDIAN: 4.0}

    def dust(session: Session, context: campaign.PlanContext, month: date) -> parts.Values:
        return {code: values.get(code) for code in parts.assessed_areas(context)}

    extra = parts.Component("dust_fall", "降尘量", "Dust fall", 15.0, "lower", dust,
                            "t/km²·月", "", "")  # fmt: skip
    with clock.use(clock.FrozenClock(AFTER)), loaded() as session:
        context = campaign.require_plan(session)
        chosen = [c for c in parts.default_components() if c.key != "dust_fall"] + [extra]
        result = service.compute_assessment(session, context, NOV, chosen)
    rows = {r.area_code: r for r in result.rows}
    assert rows[CHENGGUAN].scores["dust_fall"] == 0
    assert rows[NIUDIAN].scores["dust_fall"] == 100
    assert rows[MICUN].scores["dust_fall"] == pytest.approx(100 * (9.5 - 6.0) / (9.5 - 4.0))


def test_the_command_ranks_records_once_and_writes_excel(
    loaded: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    settings = {"LANTIAN_DATABASE_URL": db_url, "LANTIAN_AS_OF": AFTER.isoformat()}
    out = tmp_path / "rank.xlsx"
    recorded = run_lantian(
        ["assessment", "rank", "--month", "2017-11", "--record", "--as", "wang.office",
         "--xlsx", str(out)],
        tmp_path,
        **settings,
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    assert "已公布 recorded" in recorded.stdout and "城关镇" in recorded.stdout
    assert load_workbook(out)["排名 ranking"]["B3"].value == CHENGGUAN
    again = run_lantian(
        ["assessment", "rank", "--month", "2017-11", "--record"], tmp_path, **settings
    )
    assert again.returncode == 5  # Conflict: a recorded month is not recorded again
    with loaded() as session:
        assert set(session.scalars(select(AssessmentRanking.computed_by))) == {"wang.office"}
