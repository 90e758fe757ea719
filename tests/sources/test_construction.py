"""Construction sites (task 28) through the one write path, on both backends: import good and bad
files, re-import, the stop by a failed check (一票停工) and its lift only by a passing
re-inspection, the contractor blacklist, the site monitor's PM10 over HJ 212, rules opening one
case however often evaluated, scope, indicators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.models import AuditEntry
from lantian.db.engine import transaction
from lantian.errors import Conflict, NotAllowed
from lantian.files import FileStore
from lantian.ingest.hj212_session import examine_frame
from lantian.monitoring.devices import add_device, load_device_configs
from lantian.monitoring.hj212_store import store_frames
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds import construction
from lantian.sources.kinds.construction import KIND, SIX_KEYS, ConstructionSite, ContractorBlacklist
from lantian.sources.models import SourceEvent, SourceImport
from lantian.sources.service import EntryFilter
from lantian.standards.hj212 import crc16_hj212, format_crc
from lantian.tabular import Rejected
from lantian.timeutil import CHINA_TZ

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,工程类别,建设单位,施工单位,"
    "占地面积（平方米）,所属线性工程编号,标段,管理员,监督员,网格员,在线监测,视频监控,监测设备MN"
)
GOOD = "\n".join(
    [
        HEADER,
        "GD-100-0001,城关镇某小区二期,410183100,zjj,城关镇东关村,113.39,34.54,,房屋建筑,"
        "新密市某置业有限公司,河南某建设集团有限公司,25000,,,张建国,李明,王华,是,是,YC1000001",
        "GD-100-0002,城关镇某商业楼,410183100,zjj,城关镇西大街,113.38,34.53,,building,"
        "新密市某置业有限公司,郑州某建筑工程有限公司,12000,,,赵伟,周强,吴磊,否,是,",
        "GD-101-0001,米村镇某厂房,410183101,,米村镇,113.30,34.60,,房屋建筑,米村某公司,"
        "新密市某市政工程有限公司,3000,,,陈军,杨明,黄华,否,否,",
        "GD-100-0003,新密大道改造工程,410183100,zjj,城关镇,113.40,34.55,,市政工程,新密市交通运输局,"
        "河南某路桥工程有限公司,60000,,,刘建,王磊,张伟,是,是,",
        "GD-100-0003-1,新密大道改造第1标段,410183100,zjj,城关镇,,,,municipal,新密市交通运输局,"
        "河南某路桥工程有限公司,20000,GD-100-0003,K0+000–K2+000,刘建,王磊,张伟,否,否,",
    ]
).encode("utf-8")
ALL_PASS = dict.fromkeys(SIX_KEYS, "pass")


def with_fail(item: str) -> dict[str, str]:
    return {**ALL_PASS, item: "fail"}


def site(session: Session, key: str) -> ConstructionSite:
    found = session.scalar(select(ConstructionSite).where(ConstructionSite.key == key))
    assert found is not None, key
    return found


def test_import_good_file_then_reimport_is_idempotent(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    first = import_file(sessions, plan, store, KIND, GOOD)
    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    again = import_file(sessions, plan, store, KIND, GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    with transaction(sessions) as session:
        first_site = site(session, "GD-100-0001")
        assert first_site.state == "working"
        assert (first_site.builder, first_site.contractor) == (
            "新密市某置业有限公司",
            "河南某建设集团有限公司",
        )
        assert (first_site.manager, first_site.supervisor, first_site.grid_officer) == (
            "张建国",
            "李明",
            "王华",
        )
        assert first_site.area_m2 == 25000 and first_site.monitor_mn == "YC1000001"
        section = site(session, "GD-100-0003-1")
        assert (section.parent_key, section.section) == ("GD-100-0003", "K0+000–K2+000")
        assert session.scalar(select(func.count()).select_from(SourceImport)) == 2


def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    good = "GD-1,好的一行,410183100,zjj,,,,,房屋建筑,某建设单位,某施工单位,5000,,,,,,否,否,"
    bad = "\n".join(
        [
            HEADER,
            good,
            "GD-2,未知类别,410183100,zjj,,,,,高楼,某建设单位,某施工单位,5000,,,,,,否,否,",
            "GD-3,面积为负,410183100,zjj,,,,,房屋建筑,某建设单位,某施工单位,-5,,,,,,否,否,",
            "GD-4,缺施工单位,410183100,zjj,,,,,房屋建筑,某建设单位,,5000,,,,,,否,否,",
            "GD-5,标段无工程,410183100,zjj,,,,,公路工程,某建设单位,某施工单位,5000,,K1,,,,否,否,",
            "GD-6,MN无监测,410183100,zjj,,,,,房屋建筑,某建设单位,某施工单位,5000,,,,,,否,否,YC9",
            "GD-7,未知乡镇,999999999,zjj,,,,,房屋建筑,某建设单位,某施工单位,5000,,,,,,否,否,",
            good.replace("好的一行", "重复编号"),
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, bad)
    assert sorted({p.row for p in refused.value.problems}) == [3, 4, 5, 6, 7, 8, 9]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(ConstructionSite)) == 0
        assert session.scalar(select(func.count()).select_from(SourceImport)) == 0


def test_a_failed_check_stops_the_site_and_only_a_passing_reinspection_lifts_it(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, GOOD)
    site_id = entry_id(sessions, KIND, "GD-100-0002")
    # Nothing failed yet: a stop by hand is refused by its guard.
    check(sessions, store, INSPECTOR, KIND, site_id, ALL_PASS)
    with pytest.raises(Conflict):
        step(sessions, OFFICE, KIND, site_id, "stop")
    frozen.advance(timedelta(hours=1))
    # The inspector records one failed check: the site is stopped at once, as the inspector.
    check(sessions, store, INSPECTOR, KIND, site_id, with_fail("vehicles_washed"))
    with transaction(sessions) as session:
        stopped = site(session, "GD-100-0002")
        assert stopped.state == "stopped"
        stop = session.scalars(
            select(SourceEvent).where(
                SourceEvent.record_id == site_id,
                SourceEvent.kind == KIND.key,
                SourceEvent.event == "stop",
            )
        ).one()
        assert stop.actor == INSPECTOR.username and "出入车辆清洗" in stop.note
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "construction_site.stop")
        ).one()
        assert audited.actor == INSPECTOR.username
    # The township cannot lift it, not by hand, not by its own passing check.
    with pytest.raises(NotAllowed):
        step(sessions, CHENGGUAN, KIND, site_id, "resume")
    frozen.advance(timedelta(hours=1))
    check(sessions, store, CHENGGUAN, KIND, site_id, ALL_PASS)
    with transaction(sessions) as session:
        assert site(session, "GD-100-0002").state == "stopped"
    # A re-inspection failing another item keeps it stopped; the inspector cannot resume by hand.
    frozen.advance(timedelta(hours=1))
    check(sessions, store, INSPECTOR, KIND, site_id, with_fail("materials_covered"))
    with pytest.raises(Conflict):
        step(sessions, INSPECTOR, KIND, site_id, "resume")
    with transaction(sessions) as session:
        assert site(session, "GD-100-0002").state == "stopped"
    # An inspector's re-inspection passing all six lifts it.
    frozen.advance(timedelta(hours=1))
    check(sessions, store, INSPECTOR, KIND, site_id, ALL_PASS)
    with transaction(sessions) as session:
        assert site(session, "GD-100-0002").state == "working"
        events = [
            e.event
            for e in session.scalars(
                select(SourceEvent)
                .where(SourceEvent.record_id == site_id, SourceEvent.kind == KIND.key)
                .order_by(SourceEvent.id)
            )
        ]
    assert events.count("stop") == 1 and events.count("resume") == 1
    assert events.index("stop") < events.index("resume")
    # The stop opened one rectification case, however often the rules run.
    evaluate(sessions)
    assert len(cases(sessions, "construction_site.stopped")) == 1
    # A township's failing check stops a working site too.
    frozen.advance(timedelta(hours=1))
    check(sessions, store, CHENGGUAN, KIND, site_id, with_fail("fencing"))
    with transaction(sessions) as session:
        assert site(session, "GD-100-0002").state == "stopped"


def test_completion_and_refused_steps(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, GOOD)
    site_id = entry_id(sessions, KIND, "GD-100-0002")
    with pytest.raises(Conflict):
        step(sessions, OFFICE, KIND, site_id, "resume")  # not stopped
    done = step(sessions, CHENGGUAN, KIND, site_id, "complete")
    assert done.state == "completed"
    check(sessions, store, INSPECTOR, KIND, site_id, with_fail("fencing"))
    with pytest.raises(Conflict):
        step(sessions, OFFICE, KIND, site_id, "stop")  # a completed site is not stopped


def test_the_blacklist_marks_sites_and_a_new_site_of_a_blacklisted_contractor_is_a_case(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, GOOD)
    entry = construction.BlacklistInput(contractor="郑州某建筑工程有限公司", reason="扬尘防治不力")
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        construction.blacklist_contractor(session, CHENGGUAN, entry)
    with transaction(sessions) as session:
        construction.blacklist_contractor(session, OFFICE, entry)
    with transaction(sessions) as session, pytest.raises(Conflict):
        construction.blacklist_contractor(session, OFFICE, entry)
    with transaction(sessions) as session:
        listed = session.scalars(select(ContractorBlacklist)).one()
        assert (listed.listed_by, listed.reason) == (OFFICE.username, "扬尘防治不力")
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "construction_site.blacklist")
        ).one()
        assert (audited.actor, audited.reason) == (OFFICE.username, "扬尘防治不力")
        page = service.list_entries(session, OFFICE, KIND, EntryFilter())
        assert KIND.marks is not None and KIND.panels is not None
        marks = KIND.marks(session, page.items)
        marked = {r.key for r in page.items if r.id in marks}
        assert marked == {"GD-100-0002"}
        panels = {p.key: p for p in KIND.panels(session, site(session, "GD-100-0002"))}
        assert panels["blacklist"].rows[0][2] == "扬尘防治不力"
        assert "blacklist" not in {
            p.key for p in KIND.panels(session, site(session, "GD-100-0001"))
        }
    # The site registered before the listing is marked, not a case.
    evaluate(sessions)
    assert cases(sessions, "construction_site.blacklisted_contractor") == []
    # A site registered for it afterwards is a breach: one case however often evaluated.
    frozen.advance(timedelta(days=1))
    later = (
        HEADER
        + "\nGD-100-0009,城关镇某新工地,410183100,zjj,,,,,房屋建筑,某建设单位,郑州某建筑工程有限公司,"
        "5000,,,,,,否,否,"
    ).encode()
    import_file(sessions, plan, store, KIND, later)
    evaluate(sessions)
    found = cases(sessions, "construction_site.blacklisted_contractor")
    assert len(found) == 1 and "郑州某建筑工程有限公司" in found[0].title
    # A site handed to the blacklisted contractor by a later import is a breach too.
    frozen.advance(timedelta(hours=2))
    handed = GOOD.replace("新密市某市政工程有限公司".encode(), "郑州某建筑工程有限公司".encode())
    assert import_file(sessions, plan, store, KIND, handed).updated == 1
    evaluate(sessions)
    found = cases(sessions, "construction_site.blacklisted_contractor")
    assert sorted(c.title.split("（")[-1] for c in found) == ["城关镇某新工地）", "米村镇某厂房）"]


def test_a_large_site_without_monitor_and_video_is_one_case_and_the_indicator(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, GOOD)
    evaluate(sessions)
    evaluate(sessions)
    found = cases(sessions, "construction_site.large_site_monitoring")
    # GD-100-0002 (12,000 m², no online monitor) only; the section (20,000 m²) too has neither.
    assert sorted(c.title.split("：")[-1] for c in found) == [
        "城关镇某商业楼",
        "新密大道改造第1标段",
    ]
    value = indicator(sessions, "large_sites_online_monitoring")
    # Four sites of 10,000 m² or more, two with both.
    assert value.records == 4 and value.value == 50.0
    assert dict(value.detail)["GD-100-0001 城关镇某小区二期"] == 100.0
    assert dict(value.detail)["GD-100-0002 城关镇某商业楼"] == 0.0


def test_the_compliance_indicator_counts_each_sites_newest_inspection(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, GOOD)
    check(sessions, store, INSPECTOR, KIND, entry_id(sessions, KIND, "GD-100-0001"), ALL_PASS)
    check(
        sessions, store, INSPECTOR, KIND, entry_id(sessions, KIND, "GD-101-0001"),
        with_fail("roads_hardened"),
    )  # fmt: skip
    value = indicator(sessions, "construction_dust_compliance")
    assert value.records == 2 and value.value == 50.0
    detail = dict(value.detail)
    assert detail["城关镇 410183100"] == 100.0 and detail["米村镇 410183101"] == 0.0


def test_linear_works_are_registered_by_section(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    whole_only = (
        HEADER + "\nGD-100-0020,某水利工程,410183100,zjj,,,,,水利工程,新密市水务局,"
        "新密市某水利工程有限公司,8000,,,,,,否,否,"
    ).encode()
    import_file(sessions, plan, store, KIND, GOOD + b"\n" + whole_only.split(b"\n", 1)[1])
    evaluate(sessions)
    assert cases(sessions, "construction_site.linear_not_sectioned") == []  # its first day
    frozen.advance(timedelta(days=2))
    evaluate(sessions)
    found = cases(sessions, "construction_site.linear_not_sectioned")
    # The road has a section; the water work has none.
    assert [c.title for c in found] == ["线性工程未分段施工：某水利工程"]
    with transaction(sessions) as session:
        assert KIND.panels is not None
        panels = {p.key: p for p in KIND.panels(session, site(session, "GD-100-0003"))}
        assert panels["sections"].rows == (("GD-100-0003-1", "K0+000–K2+000"),)
        section = {p.key: p for p in KIND.panels(session, site(session, "GD-100-0003-1"))}
        assert section["linear_work"].rows[0][0] == "GD-100-0003"


def hour_frame(mn: str, hour_start: datetime, pm10: float) -> bytes:
    """An HJ 212-2017 hourly upload (CN=2061) of an ambient monitor (ST=22) with PM10."""
    china = hour_start.astimezone(CHINA_TZ)
    segment = (
        f"QN={china:%Y%m%d%H%M%S}000;ST=22;CN=2061;PW=123456;MN={mn};Flag=4;"
        f"CP=&&DataTime={china:%Y%m%d%H%M%S};a34002-Avg={pm10:g},a34002-Flag=N&&"
    ).encode()
    return b"##%04d" % len(segment) + segment + format_crc(crc16_hj212(segment)).encode() + b"\r\n"


def test_the_monitors_pm10_lands_over_hj212_shows_on_the_site_and_a_sustained_high_is_one_case(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, GOOD)
    with transaction(sessions) as session:
        add_device(session, "YC1000001", password="123456", name="城关镇某小区二期扬尘监测")
    with transaction(sessions) as session:
        devices = load_device_configs(session)
    start = datetime(2017, 10, 10, 5, 0, tzinfo=CHINA_TZ)
    outcomes = [
        examine_frame(
            hour_frame("YC1000001", start + timedelta(hours=h), value),
            devices,
            "10.0.0.9:5000",
            datetime(2017, 10, 10, 1, 0, tzinfo=UTC),
        )
        for h, value in enumerate((120.0, 180.0, 210.0, 260.0))
    ]
    assert all(o.store.verdict == "accepted" for o in outcomes), [o.store.error for o in outcomes]
    with transaction(sessions) as session:
        verdicts = store_frames(session.connection(), [o.store for o in outcomes])
    assert verdicts == ["accepted"] * 4
    with transaction(sessions) as session:
        hours = construction.pm10_hours(session, "YC1000001")
        assert [v for _, v in hours] == [260.0, 210.0, 180.0, 120.0]
        assert KIND.panels is not None
        pm10 = {p.key: p for p in KIND.panels(session, site(session, "GD-100-0001"))}["pm10"]
        assert pm10.rows[0][:2] == ("2017-10-10 08:00", "260")
    # Three hours in a row above 150 µg/m³ (the setting's default): one case, however often.
    evaluate(sessions)
    found = cases(sessions, "construction_site.sustained_pm10")
    assert len(found) == 1 and "城关镇某小区二期" in found[0].title
    # A site without a monitor shows none.
    with transaction(sessions) as session:
        empty = {p.key: p for p in KIND.panels(session, site(session, "GD-100-0002"))}["pm10"]
        assert empty.rows == ()


def test_a_township_is_refused_another_townships_site(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, GOOD, who=MICUN)
    assert {p.row for p in refused.value.problems} == {2, 3, 5, 6}
    import_file(sessions, plan, store, KIND, GOOD)
    site_id = entry_id(sessions, KIND, "GD-100-0001")
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.get_entry(session, MICUN, KIND, site_id)
    with pytest.raises(NotAllowed):
        check(sessions, store, MICUN, KIND, site_id, with_fail("fencing"))
    with transaction(sessions) as session:
        assert [e.key for e in service.list_entries(session, MICUN, KIND, EntryFilter()).items] == [
            "GD-101-0001"
        ]
