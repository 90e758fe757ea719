"""Station lists: the real CNEMC list is read by header name; bad files say where and why."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth import audit
from lantian.auth.models import AuditEntry
from lantian.cems.judge import RULE_EXCEEDANCE, monthly_rates, penalty_days
from lantian.config import Settings
from lantian.db.audited import UnattributedChange, system_actor
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.demo import DEMO_AS_OF, STATION_LIST, DemoReport, demo_loaded, load_demo
from lantian.ingest.station_list import StationListError, read_station_list
from lantian.monitoring import service
from lantian.monitoring.models import Station
from lantian.penalties import disclosure
from lantian.plan import plan_dir
from lantian.sources.kinds.enforcement_actions import EnforcementAction
from lantian.supervision.models import InspectionCase
from tests.support.demo_database import DemoCopy


def test_real_station_list_is_read_whole(shared_dir: Path) -> None:
    records = list(read_station_list(shared_dir / "data/cnemc/stations/StationList-2020.01.01.csv"))
    assert len(records) == 1641
    by_code = {r.code: r for r in records}
    assert by_code["1324A"].name == "岗李水库(对照点)"
    assert (by_code["1316A"].longitude, by_code["1316A"].latitude) == (113.6844, 34.7622)
    unknown = [r for r in records if r.longitude is None]
    assert unknown, "the 2020 list marks some coordinates with '-'"


def test_bundled_station_list_equals_the_shared_copy(shared_dir: Path) -> None:
    original = (shared_dir / "data/cnemc/stations/StationList-2020.01.01.csv").read_bytes()
    assert gzip.decompress(STATION_LIST.read_bytes()) == original


def test_missing_column_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "stations.csv"
    bad.write_text("监测点编码,名称,城市\n1001A,万寿西宫,北京\n", encoding="utf-8")
    with pytest.raises(StationListError, match=r"stations\.csv: 第1行缺少列 监测点名称"):
        list(read_station_list(bad))


def test_bad_coordinate_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "stations.csv"
    bad.write_text(
        "监测点编码,监测点名称,城市,经度,纬度\n1001A,万寿西宫,北京,116.3,39.8\n"
        "1002A,定陵,北京,东经116,40.2\n",
        encoding="utf-8",
    )
    with pytest.raises(StationListError, match=r"stations\.csv:3: 经度 longitude .*'东经116'"):
        list(read_station_list(bad))


def test_upsert_is_idempotent_and_updates(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    records = [r for r in read_station_list(STATION_LIST) if r.city == "郑州"]
    with transaction(sessions) as session:
        first = service.upsert_stations(session, records, actor="test")
    with transaction(sessions) as session:
        second = service.upsert_stations(session, records, actor="test")
    assert (first.added, second.added, second.unchanged) == (9, 0, 9)
    moved = [records[0].__class__(records[0].code, records[0].name, records[0].city, 113.0, 34.0)]
    with transaction(sessions) as session:
        third = service.upsert_stations(session, moved, actor="test")
    assert third.updated == 1
    with sessions() as session:
        background = session.scalars(select(Station.code).where(Station.is_background)).all()
    assert background == ["1324A"]


def test_demo_loads_once(demo: DemoCopy) -> None:
    """``lantian demo`` loaded the demo into a fresh database (``demo.loaded``, once per backend
    for the tests that need it); loading it again into the test's copy changes nothing."""
    engine = create_db_engine(demo.url)
    sessions = session_factory(engine)
    plan = plan_dir(Settings())
    first = DemoReport(demo.loaded.steps)
    second = load_demo(sessions, demo.data_dir, plan=plan)

    def step(report: object, prefix: str) -> str:
        return next(s for s in report.steps if s.startswith(prefix))  # type: ignore[attr-defined]

    assert "+15" in step(first, "计划站点") and "+286,232" in step(first, "监测数据")
    assert "already imported" in step(second, "监测数据")
    # The township assessment of 2017-12 recorded as the monthly job would, once.
    assert "2017-12: 已公布 recorded, 18" in step(first, "乡镇考核")
    assert "already recorded" in step(second, "乡镇考核")
    # Every step is idempotent: the second run adds nothing anywhere.
    assert "+7" not in " ".join(second.steps) and "demo accounts" not in " ".join(second.steps)
    with sessions() as session:
        overview = service.overview(session)
        assert demo_loaded(session, plan)
    assert (overview.stations, overview.planned_stations, overview.measurements) == (9, 15, 286_232)
    # The extract ends with hour 22 of 2019-08-31 (China time) = 14:00 UTC; the demo places its
    # data one year earlier (lantian.demo.DEMO_SHIFT, README "The demo's clock").
    assert overview.latest_period_end == datetime(2018, 8, 31, 14, tzinfo=UTC)
    assert_enforcement_demo(sessions, first.steps, second.steps)
    engine.dispose()


def assert_enforcement_demo(
    sessions: sessionmaker[Session], first: list[str], second: list[str]
) -> None:
    """Issue 17 in the demo: the sample stacks' CEMS judged (exceedance cases, daily-penalty days,
    one outlet below 90 % in December), the demo's warnings checked (a firm that kept running has
    its case) and actions recorded from those cases, the decided ones disclosed; marked sample,
    loaded once."""
    for prefix in ("示例自动监控", "示例预警执行核查", "示例执法记录"):
        assert any(s.startswith(prefix) and "+" in s for s in first), prefix
        assert any(s.startswith(prefix) and "already loaded" in s for s in second), prefix
    with clock.use(clock.FrozenClock(DEMO_AS_OF)), sessions() as session:
        stacks = session.scalars(
            select(InspectionCase).where(InspectionCase.reference == RULE_EXCEEDANCE)
        ).all()
        assert len(stacks) >= 3 and all(case.is_sample for case in stacks)
        assert all(case.first_seen_at <= DEMO_AS_OF for case in stacks)
        assert max(row.days for row in penalty_days(session)) >= 5
        december = monthly_rates(session, date(2017, 12, 1))
        assert len(december) == 6 and sum(row.valid_rate < 90 for row in december) == 1
        execution = session.scalars(
            select(InspectionCase).where(InspectionCase.reference == "execution.production")
        ).all()
        assert execution and all(case.is_sample for case in execution)
        from_cases = session.scalars(
            select(EnforcementAction).where(EnforcementAction.case_number.is_not(None))
        ).all()
        cases = {str(case.id): case.reference for case in [*stacks, *execution]}
        assert {cases[str(a.case_number)] for a in from_cases} == {
            RULE_EXCEEDANCE,
            "execution.production",
        }
        shown = {a.decision_number for a in disclosure.disclosed_actions(session)}
        disclosed = [a for a in from_cases if a.document_number in shown]
        assert len(disclosed) >= 2 and any(a.state == "filed" for a in from_cases)


def test_station_writes_are_audited_by_the_hook_and_refused_without_an_actor(
    db_engine: Engine,
) -> None:
    sessions = session_factory(db_engine)
    records = [r for r in read_station_list(STATION_LIST) if r.city == "郑州"][:2]
    with transaction(sessions) as session:
        service.upsert_stations(session, records, actor=system_actor("cnemc_import"))
    moved = [records[0].__class__(records[0].code, records[0].name, records[0].city, 113.0, 34.0)]
    with transaction(sessions) as session:
        service.upsert_stations(session, moved, actor="wang.office")
    with (
        pytest.raises(UnattributedChange, match="no actor"),
        transaction(sessions) as session,
    ):
        session.add(Station(code="XM-T999", name="无人登记", city="新密", tier="township"))
        session.flush()
    with sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "station").order_by(AuditEntry.id)
        ).all()
        assert session.scalar(select(Station.id).where(Station.code == "XM-T999")) is None
        assert audit.verify(session).intact
    assert [(e.actor, e.action, e.entity_id) for e in entries] == [
        ("system:cnemc_import", "station.add", records[0].code),
        ("system:cnemc_import", "station.add", records[1].code),
        ("wang.office", "station.update", records[0].code),
    ]
    assert entries[0].after["name"] == records[0].name and "created_at" not in entries[0].after
    assert entries[2].before == {"longitude": records[0].longitude, "latitude": records[0].latitude}
    assert entries[2].after == {"longitude": 113.0, "latitude": 34.0}
