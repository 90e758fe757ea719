"""Muck trucks and their findings (task 29) through the one write path, on both backends: import
good and bad files, re-import, approval only with the enclosure and GPS proven by photos, an
unregistered or illegal truck found → one case, findings listed on the site where they were made,
scope, the indicator."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds.construction import KIND as SITES
from lantian.sources.kinds.construction import ConstructionSite
from lantian.sources.kinds.muck_truck_findings import KIND as FINDINGS
from lantian.sources.kinds.muck_truck_findings import MuckTruckFinding
from lantian.sources.kinds.muck_trucks import KIND as TRUCKS
from lantian.sources.kinds.muck_trucks import MuckTruck
from lantian.sources.service import EntryFilter
from lantian.tabular import Rejected

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

TRUCK_HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,车牌号,运输企业,密闭装置,定位系统,"
    "核准证号,核准有效期至"
)
TRUCKS_GOOD = "\n".join(
    [
        TRUCK_HEADER,
        "ZTC-100-0001,豫A12345 渣土车,410183100,zfj,城关镇停车场,,,2017-10-31,豫A 12345,"
        "新密市某渣土运输有限公司,是,是,XM-ZT-2017-0001,2018-06-30",
        "ZTC-100-0002,豫AB6789 渣土车,410183100,zfj,城关镇停车场,,,2017-10-01,豫ab6789,"
        "新密市某渣土运输有限公司,否,是,,",
        "ZTC-101-0001,豫AC2222 渣土车,410183101,zfj,米村镇,,,2017-10-31,豫AC2222,"
        "新密市某运输车队,是,是,XM-ZT-2017-0003,2018-06-30",
    ]
).encode()
FINDING_HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,车牌号,查处日期,查处地点类别,工地编号,"
    "密闭运输,定位在线"
)
SITE_HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,工程类别,建设单位,施工单位,"
    "占地面积（平方米）,所属线性工程编号,标段,管理员,监督员,网格员,在线监测,视频监控,监测设备MN"
)
SITE = (
    SITE_HEADER + "\nGD-100-0001,城关镇某小区二期,410183100,zjj,城关镇东关村,,,,房屋建筑,"
    "某置业公司,某建设集团,8000,,,张,李,王,否,否,"
).encode()


def test_import_good_and_bad_trucks_and_reimport(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    first = import_file(sessions, plan, store, TRUCKS, TRUCKS_GOOD)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    again = import_file(sessions, plan, store, TRUCKS, TRUCKS_GOOD)
    assert (again.created, again.unchanged) == (0, 3)
    with transaction(sessions) as session:
        plates = sorted(session.scalars(select(MuckTruck.plate)))
    assert plates == ["豫A12345", "豫AB6789", "豫AC2222"]  # spaces removed, letters upper case
    bad = "\n".join(
        [
            TRUCK_HEADER,
            "ZTC-1,好的,410183100,zfj,,,,,豫A11111,某公司,是,是,,",
            "ZTC-2,车牌错误,410183100,zfj,,,,,A11111,某公司,是,是,,",
            "ZTC-3,缺企业,410183100,zfj,,,,,豫A22222,,是,是,,",
            "ZTC-4,日期错误,410183100,zfj,,,,,豫A33333,某公司,是,是,,明年",
            "ZTC-5,未知单位,410183100,nosuch,,,,,豫A44444,某公司,是,是,,",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, TRUCKS, bad)
    assert sorted({p.row for p in refused.value.problems}) == [3, 4, 5, 6]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(MuckTruck)) == 3


def test_approval_needs_enclosure_and_gps_proven_with_photos_and_a_permit(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, TRUCKS, TRUCKS_GOOD)
    truck = entry_id(sessions, TRUCKS, "ZTC-100-0001")
    with pytest.raises(Conflict):
        step(sessions, OFFICE, TRUCKS, truck, "approve")  # nothing checked yet
    with transaction(sessions) as session, pytest.raises(Invalid):
        service.record_check(
            session,
            INSPECTOR,
            TRUCKS,
            truck,
            service.CheckInput(items={"enclosure": "pass", "gps": "pass"}),
            store=store,
        )  # a pass of these needs a photo
    check(sessions, store, INSPECTOR, TRUCKS, truck, {"enclosure": "pass", "gps": "pass"})
    with pytest.raises(NotAllowed):
        step(sessions, CHENGGUAN, TRUCKS, truck, "approve")
    assert step(sessions, OFFICE, TRUCKS, truck, "approve").state == "approved"
    # Without a permit number, no approval even with the checks.
    other = entry_id(sessions, TRUCKS, "ZTC-100-0002")
    check(sessions, store, INSPECTOR, TRUCKS, other, {"enclosure": "pass", "gps": "pass"})
    with pytest.raises(Conflict):
        step(sessions, OFFICE, TRUCKS, other, "approve")
    with pytest.raises(Invalid):
        step(sessions, INSPECTOR, TRUCKS, other, "disqualify")  # needs a note
    assert step(sessions, INSPECTOR, TRUCKS, other, "disqualify", "上路未密闭").state == (
        "disqualified"
    )
    # An approved truck later found without its enclosure working: one case however often.
    check(sessions, store, INSPECTOR, TRUCKS, truck, {"enclosure": "fail"})
    evaluate(sessions)
    assert len(cases(sessions, "muck_truck.equipment_failed")) == 1


def test_a_truck_not_approved_by_its_deadline_is_one_case(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, TRUCKS, TRUCKS_GOOD)
    evaluate(sessions)
    found = cases(sessions, "muck_truck.overdue")
    assert [c.title for c in found] == ["渣土车逾期未完成密闭和定位改造并核准：豫AB6789"]


def test_findings_unregistered_and_illegal_trucks_are_cases_and_the_site_lists_them(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, TRUCKS, TRUCKS_GOOD)
    import_file(sessions, plan, store, SITES, SITE)
    truck = entry_id(sessions, TRUCKS, "ZTC-100-0001")
    check(sessions, store, INSPECTOR, TRUCKS, truck, {"enclosure": "pass", "gps": "pass"})
    step(sessions, OFFICE, TRUCKS, truck, "approve")
    findings = "\n".join(
        [
            FINDING_HEADER,
            # a black truck at the site
            "CC-1,工地黑渣土车,410183100,zfj,城关镇东关村,,,,豫A99999,2017-10-09,施工工地,"
            "GD-100-0001,否,否",
            # the approved truck, in order, at the site
            "CC-2,工地合规车辆,410183100,zfj,城关镇东关村,,,,豫A12345,2017-10-09,site,GD-100-0001,是,是",
            # a registered truck not approved, on the road
            "CC-3,道路未核准车辆,410183100,zfj,新密大道,,,,豫AB6789,2017-10-09,道路,,是,是",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:  # a finding at a site names the site
        import_file(
            sessions, plan, store, FINDINGS,
            (FINDING_HEADER + "\nCC-9,缺工地,410183100,zfj,,,,,豫A99999,2017-10-09,施工工地,,否,否")
            .encode(),
        )  # fmt: skip
    assert {p.row for p in refused.value.problems} == {2}
    import_file(sessions, plan, store, FINDINGS, findings, who=CHENGGUAN)
    evaluate(sessions)
    unregistered = cases(sessions, "muck_truck_finding.unregistered")
    assert [c.title for c in unregistered] == ["查处未登记渣土车（黑渣土车）：豫A99999"]
    illegal = cases(sessions, "muck_truck_finding.illegal")
    assert [c.title for c in illegal] == ["渣土车不符合要求上路：豫AB6789（未核准）"]
    # The site's page lists the trucks found there, each linking to its finding.
    with transaction(sessions) as session:
        record = session.scalar(
            select(ConstructionSite).where(ConstructionSite.key == "GD-100-0001")
        )
        assert record is not None and SITES.panels is not None
        panel = {p.key: p for p in SITES.panels(session, record)}["muck_truck_findings"]
        assert sorted(row[1] for row in panel.rows) == ["豫A12345", "豫A99999"]
        black = next(row for row in panel.rows if row[1] == "豫A99999")
        assert black[2] == "未登记（黑渣土车）"
        ids = {k: i for k, i in session.execute(select(MuckTruckFinding.key, MuckTruckFinding.id))}
        assert set(panel.links) == {
            f"/sources/muck_truck_finding/{ids['CC-1']}",
            f"/sources/muck_truck_finding/{ids['CC-2']}",
        }
    # The compliant finding is cleared; the black truck's cannot be.
    assert step(sessions, CHENGGUAN, FINDINGS, ids["CC-2"], "clear").state == "cleared"
    with pytest.raises(Conflict):
        step(sessions, CHENGGUAN, FINDINGS, ids["CC-1"], "clear")
    assert step(sessions, CHENGGUAN, FINDINGS, ids["CC-1"], "punish", "按上限处罚").state == (
        "punished"
    )


def test_a_township_is_refused_another_townships_trucks_and_the_indicator(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, TRUCKS, TRUCKS_GOOD, who=MICUN)
    assert {p.row for p in refused.value.problems} == {2, 3}
    import_file(sessions, plan, store, TRUCKS, TRUCKS_GOOD)
    truck = entry_id(sessions, TRUCKS, "ZTC-100-0001")
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.get_entry(session, MICUN, TRUCKS, truck)
    with transaction(sessions) as session:
        keys = [e.key for e in service.list_entries(session, MICUN, TRUCKS, EntryFilter()).items]
    assert keys == ["ZTC-101-0001"]
    value = indicator(sessions, "muck_trucks_enclosed_gps")
    assert value.records == 3 and round(value.value or 0, 1) == 66.7
    assert dict(value.detail) == {"新密市某渣土运输有限公司": 50.0, "新密市某运输车队": 100.0}
