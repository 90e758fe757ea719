"""The road registers (tasks 31–32) through the one write path, on both backends: roads and their
mechanised sweeping, the 以克论净 dust-load checks against the plan's limits, the weekly city
clean-up, and the targets computed from them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.db.engine import transaction
from lantian.errors import Conflict, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds import city_cleanups, main_roads, road_dust_checks
from lantian.sources.kinds.main_roads import MainRoad
from lantian.sources.kinds.road_dust_checks import RoadDustCheck
from lantian.tabular import Rejected

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

ROADS = main_roads.KIND
DUST = road_dust_checks.KIND
CLEANUPS = city_cleanups.KIND
#: 2017-10-25 10:00 in Xinmi: in the campaign, the fourth week of the weekly clean-up.
AUTUMN = datetime(2017, 10, 25, 2, 0, tzinfo=UTC)

ROAD_HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,完成时限,道路等级,位于中心城区,长度（公里）,"
    "清扫面积（平方米）,机械化清扫冲洗率（%）,每日冲洗频次"
)
GOOD_ROADS = "\n".join(
    [
        ROAD_HEADER,
        "DL-001,青屏大街,410183100,zjj,城关镇,2017-10-31,主干道,是,4,120000,100,2",
        "DL-002,嵩山大道,410183100,zjj,城关镇,2017-10-31,main,是,3,90000,80,1",
        "DL-003,溱水路,410183100,zjj,城关镇,,次干道 secondary,是,2,30000,50,",
        "DL-101,S316 米村段,410183101,jyj,米村镇,2017-10-20,国省道,否,10,150000,40,",
    ]
).encode()
DUST_HEADER = "编号,名称,乡镇代码,责任单位代码,道路编号,检测日期,积尘负荷（克/平方米）,采样点数"
GOOD_DUST = "\n".join(
    [
        DUST_HEADER,
        "YK-1,青屏大街检测,410183100,zjj,DL-001,2017-10-16,12.5,5",  # main: limit 10
        "YK-2,溱水路检测,410183100,zjj,DL-003,2017-10-16,12.5,5",  # secondary: limit 15
        "YK-3,青屏大街复测,410183100,zjj,DL-001,2017-10-23,6.0,5",
        "YK-4,未登记道路,410183100,zjj,DL-999,2017-10-23,11,3",  # unknown: strictest, 10
    ]
).encode()
CLEANUP_HEADER = "编号,名称,乡镇代码,责任单位代码,完成时限,开展日期,清洁范围,道路编号,参加人数"
GOOD_CLEANUPS = "\n".join(
    [
        CLEANUP_HEADER,
        "QJ-1,第一周,410183100,cjb,2017-10-06,2017-10-06,道路及公共设施,DL-001,120",
        "QJ-2,第二周,410183100,cjb,2017-10-13,2017-10-13,背街小巷,,80",
        "QJ-3,第三周,410183101,cjb,2017-10-20,2017-10-20,城中村、城乡结合部,,60",
        "QJ-4,第四周,410183100,cjb,2017-10-27,2017-10-27,buildings,,90",
    ]
).encode()


@pytest.fixture
def autumn() -> Iterator[clock.FrozenClock]:
    moment = clock.FrozenClock(AUTUMN)
    with clock.use(moment):
        yield moment


def subjects(sessions: sessionmaker[Session], rule: str) -> list[str]:
    return sorted(c.dedup_key.rsplit(":", 1)[-1] for c in cases(sessions, rule))


def test_import_good_files_then_reimport_is_idempotent(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, autumn: clock.FrozenClock
) -> None:
    for kind, content, n in (
        (ROADS, GOOD_ROADS, 4),
        (DUST, GOOD_DUST, 4),
        (CLEANUPS, GOOD_CLEANUPS, 4),
    ):
        first = import_file(sessions, plan, store, kind, content)
        assert (first.created, first.updated, first.unchanged) == (n, 0, 0), kind.key
        again = import_file(sessions, plan, store, kind, content)
        assert (again.created, again.updated, again.unchanged) == (0, 0, n), kind.key
    with transaction(sessions) as session:
        road = session.scalar(select(MainRoad).where(MainRoad.key == "DL-101"))
        assert road is not None
        assert (road.road_class, road.central_city, road.area_m2) == ("highway", False, 150000)


def test_files_with_bad_rows_report_every_row_and_write_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, autumn: clock.FrozenClock
) -> None:
    bad_roads = "\n".join(
        [
            ROAD_HEADER,
            "DL-1,好的一行,410183100,zjj,,,主干道,是,4,120000,100,",
            "DL-2,率超过100,410183100,zjj,,,主干道,是,4,120000,120,",
            "DL-3,未知等级,410183100,zjj,,,快速路,是,4,120000,100,",
            "DL-4,没有面积,410183100,zjj,,,主干道,是,4,,100,",
            "DL-5,负长度,410183100,zjj,,,主干道,是,-1,1000,100,",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, ROADS, bad_roads)
    assert sorted({p.row for p in refused.value.problems}) == [3, 4, 5, 6]
    bad_dust = "\n".join(
        [
            DUST_HEADER,
            "YK-1,负值,410183100,zjj,DL-001,2017-10-16,-2,5",
            "YK-2,没有道路,410183100,zjj,,2017-10-16,5,5",
            "YK-3,好的一行,410183100,zjj,DL-001,2017-10-16,5,5",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, DUST, bad_dust)
    assert sorted({p.row for p in refused.value.problems}) == [2, 3]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(MainRoad)) == 0
        assert session.scalar(select(func.count()).select_from(RoadDustCheck)) == 0


def test_a_central_main_road_below_the_plans_share_opens_one_case(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, autumn: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, ROADS, GOOD_ROADS)
    evaluate(sessions, times=3)
    opened = cases(sessions, "main_road.below_mechanised_share")
    # Only DL-002 (main, central, 80 % < the plan's 100 %); the secondary road and the highway
    # have no figure in the plan (逐步提高).
    assert [c.dedup_key.rsplit(":", 1)[-1] for c in opened] == ["DL-002"]
    assert opened[0].occurrences == 1
    assert "80%" in opened[0].description and "100%" in opened[0].description


def test_mechanised_sweeping_is_confirmed_only_at_the_share_with_a_photo(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, autumn: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, ROADS, GOOD_ROADS)
    full = entry_id(sessions, ROADS, "DL-001")
    short = entry_id(sessions, ROADS, "DL-002")
    with pytest.raises(Conflict, match="机械化清扫冲洗作业到位"):
        step(sessions, CHENGGUAN, ROADS, full, "mechanise")
    check(sessions, store, INSPECTOR, ROADS, full, {"machine_sweeping": "pass"})
    check(sessions, store, INSPECTOR, ROADS, short, {"machine_sweeping": "pass"})
    step(sessions, CHENGGUAN, ROADS, full, "mechanise")
    with pytest.raises(Conflict, match="80% 未达到 100%"):
        step(sessions, CHENGGUAN, ROADS, short, "mechanise")
    with pytest.raises(NotAllowed):
        step(sessions, MICUN, ROADS, short, "mechanise")


def test_a_highway_not_mechanised_by_its_deadline_is_overdue_once(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, autumn: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, ROADS, GOOD_ROADS)
    evaluate(sessions, times=3)
    assert subjects(sessions, "main_road.overdue") == ["DL-101"]
    autumn.advance(datetime(2017, 11, 2, tzinfo=UTC) - AUTUMN)
    evaluate(sessions, times=2)
    assert subjects(sessions, "main_road.overdue") == ["DL-001", "DL-002", "DL-101"]


def test_a_dust_load_over_the_limit_of_the_roads_class_opens_one_case(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, autumn: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, ROADS, GOOD_ROADS)
    import_file(sessions, plan, store, DUST, GOOD_DUST)
    evaluate(sessions, times=3)
    # 12.5 g/m² is over the main road's 10 but within the secondary road's 15; an unknown road
    # is judged by the strictest limit (the plan's road_dust_load, UNCONFIRMED placeholders).
    assert subjects(sessions, "road_dust_check.over_limit") == ["YK-1", "YK-4"]
    assert [c.occurrences for c in cases(sessions, "road_dust_check.over_limit")] == [1, 1]
    case = next(c for c in cases(sessions, "road_dust_check.over_limit") if "YK-1" in c.dedup_key)
    assert "青屏大街" in case.title and "12.5" in case.description
    assert case.unit_code == "zjj"
    over = entry_id(sessions, DUST, "YK-1")
    within = entry_id(sessions, DUST, "YK-2")
    with pytest.raises(Conflict, match="超过"):
        step(sessions, CHENGGUAN, DUST, over, "confirm")
    step(sessions, CHENGGUAN, DUST, within, "confirm")
    step(sessions, CHENGGUAN, DUST, over, "rectify")
    with pytest.raises(Conflict):
        step(sessions, CHENGGUAN, DUST, over, "resweep")
    check(sessions, store, CHENGGUAN, DUST, over, {"reswept": "pass"})
    step(sessions, CHENGGUAN, DUST, over, "resweep")
    evaluate(sessions, times=2)
    assert len(cases(sessions, "road_dust_check.over_limit")) == 2


def test_a_planned_clean_up_not_held_by_its_day_is_overdue(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, autumn: clock.FrozenClock
) -> None:
    # The clean-ups are planned on 10-05; the first is held on its day.
    autumn.moment = datetime(2017, 10, 5, 2, 0, tzinfo=UTC)
    import_file(sessions, plan, store, CLEANUPS, GOOD_CLEANUPS)
    held = entry_id(sessions, CLEANUPS, "QJ-1")
    check(
        sessions, store, CHENGGUAN, CLEANUPS, held, {"cleaned": "pass", "facilities_washed": "pass"}
    )
    step(sessions, CHENGGUAN, CLEANUPS, held, "hold")
    autumn.moment = AUTUMN
    with pytest.raises(NotAllowed):
        step(sessions, CHENGGUAN, CLEANUPS, entry_id(sessions, CLEANUPS, "QJ-2"), "cancel", "下雨")
    evaluate(sessions, times=3)
    # QJ-1 was held; QJ-4's day (10-27) has not come; QJ-2 and QJ-3 were not held by their day.
    assert subjects(sessions, "city_cleanup.overdue") == ["QJ-2", "QJ-3"]


def test_the_targets_are_computed_from_the_registers(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, autumn: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, ROADS, GOOD_ROADS)
    import_file(sessions, plan, store, CLEANUPS, GOOD_CLEANUPS)
    mechanised = indicator(sessions, "main_road_mechanised_cleaning")
    # area-weighted over the two central main roads: (120000·100 + 90000·80) / 210000
    assert mechanised.value == pytest.approx(91.4)
    assert mechanised.records == 2
    assert mechanised.detail == (("青屏大街 DL-001", 100.0), ("嵩山大道 DL-002", 80.0))
    weekly = indicator(sessions, "weekly_city_cleanup")
    assert weekly.value == 0.0 and [d[1] for d in weekly.detail] == [0.0, 0.0, 0.0, 0.0]
    for key in ("QJ-1", "QJ-3"):
        record = entry_id(sessions, CLEANUPS, key)
        check(sessions, store, OFFICE, CLEANUPS, record, {"cleaned": "pass"})
        step(sessions, OFFICE, CLEANUPS, record, "hold")
    weekly = indicator(sessions, "weekly_city_cleanup")
    # the weeks of 10-02, 10-09, 10-16 and 10-23 up to 10-25: two of four had a clean-up held
    assert weekly.value == 50.0
    assert [d[1] for d in weekly.detail] == [1.0, 0.0, 1.0, 0.0]
    assert weekly.detail[0][0].startswith("2017-10-02")


def test_a_township_is_refused_another_townships_roads(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, autumn: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, ROADS, GOOD_ROADS, who=MICUN)
    assert {p.row for p in refused.value.problems} == {2, 3, 4}
    import_file(sessions, plan, store, ROADS, GOOD_ROADS)
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.get_entry(session, MICUN, ROADS, entry_id(sessions, ROADS, "DL-001"))
    with transaction(sessions) as session:
        page = service.list_entries(session, MICUN, ROADS, service.EntryFilter())
        assert [e.key for e in page.items] == ["DL-101"]
