"""The fuel registers (tasks 25–27) through the one write path, on both backends: stations with
their rules (vapour recovery ≥ 85 %, online monitoring over 5,000 t, urea along main roads, 国六 by
9-30, black stations), samples with bad rows, a failed sample opening one case and its supplier's
trace, and the monthly ≥ 10 % sampling share judged per month, never averaged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from click.testing import Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.config import get_settings
from lantian.db.engine import transaction
from lantian.errors import Conflict, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.scheduler.registry import JobContext, get_job
from lantian.sources.kinds import fuel_samples, fuel_stations
from lantian.sources.kinds.fuel_samples import FuelSample, monthly_sampling, short_months
from lantian.sources.kinds.fuel_stations import FuelStation
from lantian.sources.models import SourceImport
from lantian.sources.registry import kind_of
from lantian.supervision.models import InspectionCase
from lantian.tabular import Rejected

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

STATIONS = fuel_stations.KIND
SAMPLES = fuel_samples.KIND
STATION_HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,经营单位,成品油零售经营批准证书编号,"
    "无证经营（黑加油站点）,道路类别,道路名称,年销售汽油量（吨）,油气综合回收效率（%）,"
    "油气回收检测日期,在线监测设备,销售车用尿素,国六油品置换日期"
)
GOOD_STATIONS = "\n".join(
    [
        STATION_HEADER,
        # meets everything: no case
        "JYZ-100-001,城关镇东关加油站,410183100,swj,城关镇东关村,113.39,34.54,,中国石化新密分公司,"
        "HN00001,否,国道,G310,3200,90.5,2017-08-15,否,是,2017-09-20",
        # vapour recovery 80 %: 市环保局's case
        "JYZ-100-002,城关镇西关加油站,410183100,swj,城关镇西关村,113.37,34.53,,民营西关经营部,"
        "HN00002,否,城市道路,,2800,80,2017-08-20,否,否,2017-09-18",
        # over 5,000 t without monitoring, on a national road without urea, 国六 only on 10-05
        "JYZ-100-003,城关镇南环加油站,410183100,swj,城关镇南环路,113.40,34.52,,中国石油新密分公司,"
        "HN00003,否,国道 national,G310,6200,91,2017-08-02,否,否,2017-10-05",
        # a black station in 米村镇
        "JYZ-101-001,米村镇路边加油点,410183101,swj,米村镇某村,113.30,34.60,,,,是,乡村道路,,,,,否,否,",
    ]
).encode()
SAMPLE_HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,加油站编号,抽检品种,牌号,抽检日期,"
    "检验结论,不合格项目,检验报告编号,供货单位"
)


def _stations(sessions: sessionmaker[Session], plan: Plan, store: FileStore) -> None:
    result = import_file(sessions, plan, store, STATIONS, GOOD_STATIONS)
    assert result.created == 4


def test_the_kinds_are_registered_with_their_targets(plan: Plan) -> None:
    assert kind_of("fuel_station") is STATIONS and kind_of("fuel_sample") is SAMPLES
    keys = {target.key for target, _, _ in plan.targets()}
    for indicator_ in (*STATIONS.indicators, *SAMPLES.indicators):
        assert indicator_.target_key in keys, indicator_.target_key
    # the monthly share's cases come from a rule of the register as a whole (nightly)
    assert [rule.key for rule in SAMPLES.register_rules] == ["monthly_share"]


def test_stations_import_reimport_and_bad_rows(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    bad = "\n".join(
        [
            STATION_HEADER,
            "JYZ-1,好的一行,410183100,swj,,,,,某公司,HN1,否,国道,G310,3000,90,2017-08-01,否,是,2017-09-01",
            "JYZ-2,错误道路,410183100,swj,,,,,某公司,HN2,否,高架,,3000,90,,否,是,",
            "JYZ-3,效率超百,410183100,swj,,,,,某公司,HN3,否,国道,,3000,120,,否,是,",
            "JYZ-4,销量为负,410183100,swj,,,,,某公司,HN4,否,国道,,-5,90,,否,是,",
            "JYZ-5,未知乡镇,999999999,swj,,,,,某公司,HN5,否,国道,,3000,90,,否,是,",
            "JYZ-6,日期错误,410183100,swj,,,,,某公司,HN6,否,国道,,3000,90,,否,是,九月底",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, STATIONS, bad)
    assert sorted({p.row for p in refused.value.problems}) == [3, 4, 5, 6, 7]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(FuelStation)) == 0
        assert session.scalar(select(func.count()).select_from(SourceImport)) == 0
    _stations(sessions, plan, store)
    again = import_file(sessions, plan, store, STATIONS, GOOD_STATIONS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_each_requirement_opens_one_case_for_its_lead_unit(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    _stations(sessions, plan, store)
    evaluate(sessions, plan=plan)
    found = {
        rule: [(c.title, c.unit_code, c.area_code, c.occurrences) for c in cases(sessions, rule)]
        for rule in (
            "fuel_station.vapour_recovery",
            "fuel_station.online_monitoring",
            "fuel_station.urea",
            "fuel_station.guo6",
            "fuel_station.black_station",
        )
    }
    assert found["fuel_station.vapour_recovery"] == [
        ("油气回收效率不达标：城关镇西关加油站（JYZ-100-002）", "hbj", "410183100", 1)
    ]
    assert [(t, u) for t, u, _, _ in found["fuel_station.online_monitoring"]] == [
        ("加油站未安装油气回收在线监测：城关镇南环加油站（JYZ-100-003）", "hbj")
    ]
    # task 27 binds the national road's station, not the urban one (JYZ-100-002 sells no urea)
    assert [(t, u) for t, u, _, _ in found["fuel_station.urea"]] == [
        ("主干道沿线加油站未销售车用尿素：城关镇南环加油站（JYZ-100-003）", "gszjj")
    ]
    assert [u for _, u, _, _ in found["fuel_station.guo6"]] == ["fgw"]
    assert "JYZ-100-003" in found["fuel_station.guo6"][0][0]
    assert [(u, a) for _, u, a, _ in found["fuel_station.black_station"]] == [("swj", "410183101")]
    # the compliant station opened none
    with transaction(sessions) as session:
        titles = session.scalars(select(InspectionCase.title)).all()
    assert not any("JYZ-100-001" in t for t in titles)


def test_a_spot_check_finding_vapour_recovery_out_of_use_opens_a_case(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    _stations(sessions, plan, store)
    good = entry_id(sessions, STATIONS, "JYZ-100-001")
    check(sessions, store, INSPECTOR, STATIONS, good, {"vapour_recovery_working": "fail"})
    evaluate(sessions, plan=plan)
    found = cases(sessions, "fuel_station.vapour_recovery")
    assert sorted(c.title for c in found) == [
        "油气回收效率不达标：城关镇西关加油站（JYZ-100-002）",
        "油气回收设施未正常使用：城关镇东关加油站（JYZ-100-001）",
    ]


def test_acceptance_and_ban_are_guarded(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    _stations(sessions, plan, store)
    good = entry_id(sessions, STATIONS, "JYZ-100-001")
    failing = entry_id(sessions, STATIONS, "JYZ-100-003")
    black = entry_id(sessions, STATIONS, "JYZ-101-001")
    # without the on-site check of the vapour recovery (with a photo) a station is not accepted
    with pytest.raises(Conflict, match="油气回收设施正常使用"):
        step(sessions, CHENGGUAN, STATIONS, good, "accept", plan=plan)
    check(sessions, store, INSPECTOR, STATIONS, good, {"vapour_recovery_working": "pass"})
    assert step(sessions, CHENGGUAN, STATIONS, good, "accept", plan=plan).state == "compliant"
    # the failing station: each shortfall named
    check(sessions, store, INSPECTOR, STATIONS, failing, {"vapour_recovery_working": "pass"})
    with pytest.raises(Conflict) as refused:
        step(sessions, CHENGGUAN, STATIONS, failing, "accept", plan=plan)
    assert "在线监测" in str(refused.value) and "车用尿素" in str(refused.value)
    assert "国六" in str(refused.value)
    # a licensed station is never banned; a black one only with the removal photographed
    with pytest.raises(Conflict, match="黑加油站点"):
        step(sessions, CHENGGUAN, STATIONS, failing, "ban", note="取缔", plan=plan)
    with pytest.raises(Conflict, match="黑加油站点"):
        step(sessions, MICUN, STATIONS, black, "accept", plan=plan)
    with pytest.raises(Conflict, match="加油设施已拆除"):
        step(sessions, MICUN, STATIONS, black, "ban", note="联合取缔", plan=plan)
    check(sessions, store, MICUN, STATIONS, black, {"dismantled": "pass"})
    assert (
        step(sessions, MICUN, STATIONS, black, "ban", note="联合取缔", plan=plan).state == "banned"
    )
    # a township may not act on another township's station
    with pytest.raises(NotAllowed):
        step(sessions, MICUN, STATIONS, failing, "rectify")
    # the indicators: the lowest measured efficiency, and each requirement's share
    assert indicator(sessions, "vapour_recovery_efficiency").value == 80.0
    online = indicator(sessions, "vapour_online_monitoring_large_stations")
    assert (online.value, online.records) == (0.0, 1)
    urea = indicator(sessions, "urea_on_sale_main_road_stations")
    assert (urea.value, urea.records) == (50.0, 2)  # the banned black station is not counted
    upgraded = indicator(sessions, "fuel_stations_upgraded_guo6")
    assert (upgraded.value, upgraded.records) == (66.7, 3)


def test_samples_with_bad_rows_are_refused_whole(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    _stations(sessions, plan, store)
    bad = "\n".join(
        [
            SAMPLE_HEADER,
            "YP-1,城关镇东关加油站,410183100,,,,,,JYZ-100-001,车用汽油,92# 国六,2017-10-08,合格,,R1,某公司",
            "YP-2,无此加油站,410183100,,,,,,JYZ-999-999,车用汽油,,2017-10-08,合格,,R2,",
            "YP-3,不合格无项目,410183100,,,,,,JYZ-100-001,车用柴油,,2017-10-08,不合格,,R3,",
            "YP-4,乡镇不符,410183101,,,,,,JYZ-100-001,车用汽油,,2017-10-08,合格,,R4,",
            "YP-5,未知品种,410183100,,,,,,JYZ-100-001,煤油,,2017-10-08,合格,,R5,",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, SAMPLES, bad)
    assert sorted({p.row for p in refused.value.problems}) == [3, 4, 5, 6]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(FuelSample)) == 0


def test_a_failed_sample_opens_one_case_and_its_supplier_is_traced(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    _stations(sessions, plan, store)
    content = "\n".join(
        [
            SAMPLE_HEADER,
            "YP-1,城关镇东关加油站,410183100,,,,,,JYZ-100-001,车用汽油,92# 国六,2017-10-08,合格,,R1,甲公司",
            "YP-2,城关镇西关加油站,410183100,,,,,,JYZ-100-002,车用柴油,0# 国六,2017-10-08,不合格,硫含量,R2,乙公司",
            "YP-3,城关镇南环加油站,410183100,,,,,,JYZ-100-003,车用柴油,0# 国六,2017-10-09,fail,硫含量,R3,乙公司",
        ]
    ).encode()
    assert import_file(sessions, plan, store, SAMPLES, content).created == 3
    evaluate(sessions, plan=plan)
    failed = cases(sessions, "fuel_sample.failed_sample")
    assert sorted((c.title, c.unit_code) for c in failed) == [
        ("销售不合格车用柴油（0# 国六）：城关镇南环加油站（加油站 JYZ-100-003）", "gszjj"),
        ("销售不合格车用柴油（0# 国六）：城关镇西关加油站（加油站 JYZ-100-002）", "gszjj"),
    ]
    assert all(c.occurrences == 1 for c in failed)
    # both failures traced to one supplier: one case for 市环保局 with two occurrences
    traced = cases(sessions, "fuel_sample.supplier_trace")
    assert [(c.title, c.unit_code, c.occurrences) for c in traced] == [
        ("溯源追踪不合格油品供应者：乙公司", "hbj", 2)
    ]
    # the passed sample is accepted; a failed one cannot be, it is traced then dealt with
    passed = entry_id(sessions, SAMPLES, "YP-1")
    failing = entry_id(sessions, SAMPLES, "YP-2")
    assert step(sessions, OFFICE, SAMPLES, passed, "accept").state == "passed"
    with pytest.raises(Conflict):
        step(sessions, OFFICE, SAMPLES, failing, "accept")
    step(sessions, OFFICE, SAMPLES, failing, "trace", note="追溯至乙公司 2017-09 批次")
    done = step(sessions, OFFICE, SAMPLES, failing, "deal_with", note="立案查处，罚款")
    assert done.state == "dealt_with"
    evaluate(sessions, plan=plan)
    assert len(cases(sessions, "fuel_sample.failed_sample")) == 2
    # the station's page shows its samples, each leading to the sample; the sample its station
    assert STATIONS.panels is not None and SAMPLES.panels is not None
    with transaction(sessions) as session:
        station = session.scalar(select(FuelStation).where(FuelStation.key == "JYZ-100-002"))
        assert station is not None
        (panel,) = STATIONS.panels(session, station)
        assert [row[0] for row in panel.rows] == ["YP-2"]
        assert panel.rows[0][3:] == ("不合格", "硫含量", "乙公司")
        assert panel.links == (f"/sources/fuel_sample/{failing}",)
        sample = session.get(FuelSample, failing)
        assert sample is not None
        (back,) = SAMPLES.panels(session, sample)
        assert back.links == (f"/sources/fuel_station/{station.id}",)


def _many_stations(sessions: sessionmaker[Session], plan: Plan, store: FileStore) -> None:
    rows = [STATION_HEADER]
    for n in range(1, 11):
        rows.append(
            f"JYZ-100-{n:03d},城关镇第{n}加油站,410183100,swj,,,,,某公司,HN{n},否,城市道路,,"
            "3000,90,2017-08-01,否,否,2017-09-01"
        )
    rows.append("JYZ-100-099,城关镇黑加油点,410183100,swj,,,,,,,是,乡村道路,,,,,否,否,")
    import_file(sessions, plan, store, STATIONS, "\n".join(rows).encode())


def _sampled(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    days: list[tuple[str, str]],
    batch: str = "A",
) -> None:
    rows = [SAMPLE_HEADER]
    for n, (station, day) in enumerate(days, start=1):
        rows.append(
            f"YP-{batch}{n:03d},城关镇加油站,410183100,,,,,,{station},车用汽油,92# 国六,{day},合格,,R{n},甲公司"
        )
    import_file(sessions, plan, store, SAMPLES, "\n".join(rows).encode())


def test_the_monthly_share_is_judged_per_month_never_averaged(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    _many_stations(sessions, plan, store)
    # October: 2 of the 10 licensed stations (the black station is no station to sample);
    # November: one station sampled twice, 10 %, the floor itself (met); December: only the black
    # station's, so none; January: 5 of 10 (the running month, shown but not judged).
    _sampled(
        sessions,
        plan,
        store,
        [
            ("JYZ-100-001", "2017-10-03"),
            ("JYZ-100-002", "2017-10-31"),
            ("JYZ-100-003", "2017-11-02"),
            ("JYZ-100-003", "2017-11-20"),
            ("JYZ-100-099", "2017-12-05"),  # the black station's sample counts for no month
            *[(f"JYZ-100-{n:03d}", "2018-01-04") for n in range(4, 9)],
        ],
    )
    frozen.moment = datetime(2018, 1, 10, 2, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        months = monthly_sampling(session, date(2018, 1, 10), plan)
    assert [(f"{m.month:%Y-%m}", m.stations, m.sampled, m.share, m.judged) for m in months] == [
        ("2017-10", 10, 2, 20.0, True),
        ("2017-11", 10, 1, 10.0, True),
        ("2017-12", 10, 0, 0.0, True),
        ("2018-01", 10, 5, 50.0, False),
    ]
    # the indicator is the lowest finished month, each month a detail row: January's 50 % and
    # October's 20 % do not lift December's 0 %
    share = indicator(sessions, "fuel_sampling_ratio")
    assert share.value == 0.0
    assert [label for label, _ in share.detail][:3] == ["2017-10", "2017-11", "2017-12"]
    assert share.detail[3][1] == 50.0

    # the registers' nightly job opens one case, December's, however often it runs
    job = get_job("sources.evaluate")
    assert job is not None
    for _ in range(3):
        job.run(
            JobContext(sessions, get_settings(), frozen.now(), None, "system:job:sources.evaluate")
        )
    found = cases(sessions, fuel_samples.MONTH_RULE)
    assert [(c.title, c.unit_code, c.occurrences) for c in found] == [
        ("2017年12月油品和车用尿素抽测比例不足 10%", "gszjj", 1)
    ]
    # a later good month does not take December's breach away
    _sampled(sessions, plan, store, [(f"JYZ-100-{n:03d}", "2018-02-03") for n in range(1, 11)], "B")
    frozen.moment = datetime(2018, 3, 2, 2, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        short = short_months(session, date(2018, 3, 2), plan)
    assert [f"{m.month:%Y-%m}" for m in short] == ["2017-12"]
    evaluate(sessions, plan=plan)
    assert indicator(sessions, "fuel_sampling_ratio").value == 0.0
    assert len(cases(sessions, fuel_samples.MONTH_RULE)) == 1


def test_the_command_shows_each_month_and_judges_them(
    lantian: Callable[..., Result],
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
) -> None:
    _many_stations(sessions, plan, store)
    _sampled(sessions, plan, store, [("JYZ-100-001", "2017-10-03"), ("JYZ-100-002", "2017-11-03")])
    frozen.moment = datetime(2017, 12, 5, 2, 0, tzinfo=UTC)
    shown = lantian("sources", "fuel-sampling")
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.output.splitlines() if "2017-" in line]
    assert len(lines) == 3 and "2018" not in shown.output
    assert "达标 met" in lines[0] and "达标 met" in lines[1] and "进行中" in lines[2]
    assert cases(sessions, fuel_samples.MONTH_RULE) == []  # showing opens nothing
    frozen.moment = datetime(2018, 1, 2, 2, 0, tzinfo=UTC)
    judged = lantian("sources", "fuel-sampling", "--judge")
    assert judged.exit_code == 0, judged.output
    assert "不足 short" in judged.output
    assert [c.title for c in cases(sessions, fuel_samples.MONTH_RULE)] == [
        "2017年12月油品和车用尿素抽测比例不足 10%"
    ]


def test_no_month_is_short_without_stations_to_sample(
    sessions: sessionmaker[Session], plan: Plan, frozen: clock.FrozenClock
) -> None:
    frozen.moment = datetime(2018, 4, 2, 2, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        months = monthly_sampling(session, date(2018, 4, 2), plan)
        assert [m.share for m in months] == [None] * 6  # the campaign's six months, no station
        assert short_months(session, date(2018, 4, 2), plan) == []
    evaluate(sessions, times=1, plan=plan)
    assert cases(sessions, fuel_samples.MONTH_RULE) == []
