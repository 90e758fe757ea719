"""The coal-supply registers (tasks 6–8, 11, 13) through the one write path, on both backends:
import good and bad files, re-import, scope, lifecycle steps allowed and refused (guards reading the
plan's heating season and coal-quality limits), rules opening one case, the computed targets."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds import (
    briquettes,
    clean_heating,
    coal_consumption,
    coal_mines,
    coal_projects,
    coal_samples,
    loose_coal_outlets,
)
from lantian.sources.models import SourceImport
from lantian.sources.registry import end_of_day, kind_of, kinds
from lantian.sources.service import StepInput
from lantian.tabular import Rejected

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

COMMON = "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,备注"

#: Per kind: its header (after the common columns), three good rows (城关镇 ×2, 米村镇 ×1) and bad
#: rows (row numbers in the file, counting the header as row 1, that must each be reported).
FILES: dict[str, tuple[str, list[str], list[str], list[int]]] = {
    "coal_consumption": (
        "年度,煤炭消费量（吨标准煤）,能源消费总量（吨标准煤）,统计来源",
        [
            "MT-100-2017,城关镇2017年能源消费,410183100,fgw,城关镇政府,,,2017-10-15,,2017,60000,100000,统计局年报",
            "MT-100-2016,城关镇2016年能源消费,410183100,fgw,城关镇政府,,,,,2016,75000,100000,统计局年报",
            "MT-101-2017,米村镇2017年能源消费,410183101,fgw,米村镇政府,,,2017-10-15,,2017,70000,100000,",
        ],
        [
            "MT-1,煤多于总量,410183100,fgw,,,,,,2017,120000,100000,年报",
            "MT-2,年份错误,410183100,fgw,,,,,,二〇一七,1,2,年报",
            "MT-3,总量为零,410183100,fgw,,,,,,2017,0,0,年报",
        ],
        [2, 3, 4],
    ),
    "coal_project": (
        "项目类型,审批日期,年耗煤量（吨）,替代量（吨）,替代来源",
        [
            "HM-100-1,城关镇某陶瓷厂扩建,410183100,fgw,城关镇,113.39,34.54,,,扩建,2016-05-20,12000,12000,关停2台10蒸吨锅炉",
            "HM-100-2,城关镇某耐材厂新建,410183100,fgw,城关镇,113.37,34.53,,,新建,2015-03-01,8000,3000,淘汰燃煤窑炉",
            "HM-101-1,米村镇某铝材厂新建,410183101,fgw,米村镇,113.30,34.60,,,new,2017-01-10,5000,0,",
        ],
        [
            "HM-1,大气十条之前,410183100,fgw,,,,,,新建,2012-01-01,5000,0,",
            "HM-2,替代无来源,410183100,fgw,,,,,,新建,2016-01-01,5000,5000,",
            "HM-3,类型错误,410183100,fgw,,,,,,改建,2016-01-01,5000,0,",
            "HM-4,耗煤为零,410183100,fgw,,,,,,新建,2016-01-01,0,0,",
        ],
        [2, 3, 4, 5],
    ),
    "coal_mine": (
        "核定生产能力（吨/年）,采矿许可证号,采矿权人",
        [
            "MK-1,城关镇一号煤矿,410183100,mtj,城关镇,113.39,34.54,2017-12-31,,150000,C41-1,某煤业",
            "MK-2,城关镇二号煤矿,410183100,mtj,城关镇,113.38,34.55,2017-12-31,,150000,C41-2,某煤业",
            "MK-3,米村镇三号煤矿,410183101,mtj,米村镇,113.30,34.60,2017-12-31,,90000,C41-3,某煤业",
        ],
        [
            "MK-9,产能为空,410183100,mtj,,,,,,,C41-9,",
            "MK-10,产能非数字,410183100,mtj,,,,,,十五万,C41-10,",
            "MK-11,单位错误,410183100,nosuchunit,,,,,,150000,,",
        ],
        [2, 3, 4],
    ),
    "briquette_site": (
        "类型,产能或储量（吨）,供应中心编号,运营单位",
        [
            "XM-1,城关镇型煤中心,410183100,gszjj,城关镇,113.39,34.54,2017-10-31,,生产仓储供应中心,150000,,某洁净煤公司",
            "XM-2,城关镇东关网点,410183100,gszjj,城关镇,113.38,34.55,2017-10-31,,配送网点,800,XM-1,",
            "XM-3,米村镇网点,410183101,gszjj,米村镇,113.30,34.60,2017-10-31,,outlet,1000,XM-1,",
        ],
        [
            "XM-9,类型错误,410183100,gszjj,,,,,,仓库,100,,",
            "XM-10,储量为负,410183100,gszjj,,,,,,outlet,-5,,",
            "XM 11,编号有空格,410183100,gszjj,,,,,,outlet,5,,",
        ],
        [2, 3, 4],
    ),
    "coal_sample": (
        "抽检日期,煤种,全硫（%）,灰分（%）,挥发分（%）,检验报告编号",
        [
            "CJ-100-1,城关镇某煤炭经营部,410183100,gszjj,城关镇,113.39,34.54,,,2017-11-20,无烟煤,0.45,12.0,8.0,R-1",
            "CJ-100-2,城关镇某煤场,410183100,gszjj,城关镇,113.38,34.55,,,2017-11-21,anthracite,1.80,12.0,8.0,R-2",
            "CJ-101-1,米村镇某型煤店,410183101,gszjj,米村镇,113.30,34.60,,,2017-11-22,洁净型煤,0.30,20.0,,R-3",
        ],
        [
            "CJ-9,煤种错误,410183100,gszjj,,,,,,2017-11-20,褐煤,0.4,10,8,",
            "CJ-10,硫分超百,410183100,gszjj,,,,,,2017-11-20,无烟煤,140,10,8,",
            "CJ-11,无日期,410183100,gszjj,,,,,,,无烟煤,0.4,10,8,",
        ],
        [2, 3, 4],
    ),
    "loose_coal_outlet": (
        "经营者,营业执照号",
        [
            "SM-100-1,城关镇某散煤点,410183100,gszjj,城关镇,113.39,34.54,,,张三,",
            "SM-100-2,城关镇某煤店,410183100,gszjj,城关镇,113.38,34.55,,,李四,",
            "SM-101-1,米村镇某散煤点,410183101,gszjj,米村镇,113.30,34.60,,,王五,",
        ],
        [
            "SM-9,乡镇错误,999999999,gszjj,,,,,,,",
            "SM-10,经度错误,410183100,gszjj,,999,34.5,,,,",
            "SM-9,编号重复,410183100,gszjj,,,,,,,",
        ],
        [2, 3, 4],
    ),
}
COAL_KINDS = sorted(FILES)


def csv(kind_key: str, rows: list[str]) -> bytes:
    header = FILES[kind_key][0]
    return "\n".join([f"{COMMON},{header}", *rows]).encode("utf-8")


def good(kind_key: str) -> bytes:
    return csv(kind_key, FILES[kind_key][1])


# --- common to every coal register ------------------------------------------------------------


def test_the_coal_kinds_are_registered_in_the_plans_order() -> None:
    order = [key for key in kinds() if key in FILES]
    assert order == [
        "coal_consumption",
        "coal_project",
        "coal_mine",
        "briquette_site",
        "coal_sample",
        "loose_coal_outlet",
    ]
    for key in FILES:
        assert kind_of(key).model.__tablename__.startswith("src_")


@pytest.mark.parametrize("kind_key", COAL_KINDS)
def test_import_good_file_then_reimport_is_idempotent(
    kind_key: str,
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
) -> None:
    kind = kind_of(kind_key)
    first = import_file(sessions, plan, store, kind, good(kind_key))
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    again = import_file(sessions, plan, store, kind, good(kind_key))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    rows = list(FILES[kind_key][1])
    cells = rows[2].split(",")
    cells[4] = "米村镇新址"
    rows[2] = ",".join(cells)
    third = import_file(sessions, plan, store, kind, csv(kind_key, rows))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    with transaction(sessions) as session:
        records = session.scalars(select(kind.model).order_by(kind.model.key)).all()
        assert len(records) == 3
        assert all(r.state == kind.lifecycle.initial for r in records)
        assert sum(r.address == "米村镇新址" for r in records) == 1
        assert session.scalar(select(func.count()).select_from(SourceImport)) == 3
    # the export is the template again: importing it changes nothing
    with transaction(sessions) as session:
        exported = service.export_register(session, OFFICE, kind, ".csv")
    assert import_file(sessions, plan, store, kind, exported).unchanged == 3


@pytest.mark.parametrize("kind_key", COAL_KINDS)
def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    kind_key: str,
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
) -> None:
    kind = kind_of(kind_key)
    _, good_rows, bad_rows, bad_numbers = FILES[kind_key]
    content = csv(kind_key, [*bad_rows, good_rows[0]])
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, kind, content)
    assert sorted({p.row for p in refused.value.problems}) == bad_numbers
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(kind.model)) == 0
        assert session.scalar(select(func.count()).select_from(SourceImport)) == 0


@pytest.mark.parametrize("kind_key", COAL_KINDS)
def test_a_township_is_refused_another_townships_entries(
    kind_key: str,
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
) -> None:
    kind = kind_of(kind_key)
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, kind, good(kind_key), who=MICUN)
    assert {p.row for p in refused.value.problems} == {2, 3}
    import_file(sessions, plan, store, kind, good(kind_key))
    chengguan_entry = entry_id(sessions, kind, FILES[kind_key][1][0].split(",")[0])
    micun_entry = entry_id(sessions, kind, FILES[kind_key][1][2].split(",")[0])
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.get_entry(session, MICUN, kind, chengguan_entry)
    first_step = next(
        t.event for t in kind.lifecycle.transitions if kind.lifecycle.initial in t.sources
    )
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.take_step(session, MICUN, kind, chengguan_entry, StepInput(event=first_step))
    with transaction(sessions) as session:
        page = service.list_entries(session, MICUN, kind, service.EntryFilter())
        assert [e.id for e in page.items] == [micun_entry]
        assert service.list_entries(session, OFFICE, kind, service.EntryFilter()).total == 3
        assert service.list_entries(session, CHENGGUAN, kind, service.EntryFilter()).total == 2


# --- task 6: the coal share --------------------------------------------------------------------


def test_the_coal_share_is_computed_from_the_statements_of_the_newest_year(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    kind = coal_consumption.KIND
    assert indicator(sessions, "coal_share_of_energy").value is None
    import_file(sessions, plan, store, kind, good("coal_consumption"))
    share = indicator(sessions, "coal_share_of_energy")
    # 2017: (60,000 + 70,000) ÷ (100,000 + 100,000) tce; 2016 stays behind the figure
    assert (share.value, share.records) == (65.0, 2)
    assert ("2016年 / 2016", 75.0) in share.detail and ("2017年 / 2017", 65.0) in share.detail
    micun = entry_id(sessions, kind, "MT-101-2017")
    # the township does not verify its own figures; without a source they cannot be verified
    with pytest.raises(NotAllowed):
        step(sessions, MICUN, kind, micun, "verify")
    with pytest.raises(Conflict, match="统计来源"):
        step(sessions, OFFICE, kind, micun, "verify")
    chengguan = entry_id(sessions, kind, "MT-100-2017")
    assert step(sessions, OFFICE, kind, chengguan, "verify").state == "verified"
    with pytest.raises(Invalid):  # a return says why
        step(sessions, OFFICE, kind, chengguan, "return")
    step(sessions, OFFICE, kind, chengguan, "return", note="工业用煤漏报")
    # a returned statement is being corrected and does not count: 米村镇's 70 % alone
    returned = indicator(sessions, "coal_share_of_energy")
    assert (returned.value, returned.records) == (70.0, 1)
    with pytest.raises(Conflict, match="尚未修改"):
        step(sessions, CHENGGUAN, kind, chengguan, "resubmit")
    rows = list(FILES["coal_consumption"][1])
    rows[0] = rows[0].replace(",60000,100000,", ",64000,104000,")
    frozen.advance(timedelta(hours=2))
    import_file(sessions, plan, store, kind, csv("coal_consumption", rows))
    assert step(sessions, CHENGGUAN, kind, chengguan, "resubmit").state == "submitted"
    corrected = indicator(sessions, "coal_share_of_energy")
    assert (corrected.value, corrected.records) == (round(100 * 134_000 / 204_000, 2), 2)


def test_a_statement_past_its_filing_deadline_opens_one_case(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, coal_consumption.KIND, good("coal_consumption"))
    assert cases(sessions, "coal_consumption.overdue") == []  # T0 10-10 is before 10-15
    frozen.advance(timedelta(days=10))
    evaluate(sessions)
    found = cases(sessions, "coal_consumption.overdue")
    assert sorted(c.area_code or "" for c in found) == ["410183100", "410183101"]
    assert all(c.occurrences == 1 for c in found)


# --- task 7: coal-consuming projects -----------------------------------------------------------

#: 2017-11-20 10:00 in Xinmi: inside the plan's heating season.
IN_SEASON = datetime(2017, 11, 20, 2, 0, tzinfo=UTC)


def test_substitution_is_confirmed_only_when_full_and_checked_with_proof(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    kind = coal_projects.KIND
    import_file(sessions, plan, store, kind, good("coal_project"))
    full = entry_id(sessions, kind, "HM-100-1")
    partial = entry_id(sessions, kind, "HM-100-2")
    with pytest.raises(Conflict, match="替代来源未经核查"):
        step(sessions, CHENGGUAN, kind, full, "confirm_substitution")
    check(sessions, store, CHENGGUAN, kind, full, {"substitution_verified": "pass"})
    assert step(sessions, CHENGGUAN, kind, full, "confirm_substitution").state == "substituted"
    check(sessions, store, CHENGGUAN, kind, partial, {"substitution_verified": "pass"})
    with pytest.raises(Conflict, match="3,000"):  # 3,000 t substituted for 8,000 t burnt
        step(sessions, CHENGGUAN, kind, partial, "confirm_substitution")


def test_a_project_without_substitution_found_producing_in_the_heating_season_opens_one_case(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    kind = coal_projects.KIND
    import_file(sessions, plan, store, kind, good("coal_project"))
    partial = entry_id(sessions, kind, "HM-100-2")
    full = entry_id(sessions, kind, "HM-100-1")
    # before the season (T0 is 10-10) a producing project is no breach
    check(sessions, store, INSPECTOR, kind, partial, {"production_stopped": "fail"}, photo=False)
    assert cases(sessions, "coal_project.operating_in_heating_season") == []
    frozen.moment = IN_SEASON
    check(sessions, store, INSPECTOR, kind, partial, {"production_stopped": "fail"}, photo=False)
    check(sessions, store, INSPECTOR, kind, full, {"production_stopped": "fail"}, photo=False)
    evaluate(sessions)
    found = cases(sessions, "coal_project.operating_in_heating_season")
    assert len(found) == 1 and found[0].occurrences == 1
    assert "HM-100-2" in (found[0].description or "")
    # the season's dates are the plan's: under a plan whose season starts on 12-01, the same
    # check is no breach
    late = plan.plan.model_copy(
        update={
            "periods": {
                **plan.plan.periods,
                "heating_season": plan.plan.periods["heating_season"].model_copy(
                    update={"start": datetime(2017, 12, 1).date()}
                ),
            }
        }
    )
    other_plan = dataclasses.replace(plan, plan=late)
    with transaction(sessions) as session:
        record = session.get(kind.model, partial)
        assert record is not None
        facts = service.facts_of(session, kind, record, plan=other_plan)
        assert kind.rules[0].check(facts) is None
        facts = service.facts_of(session, kind, record, plan=plan)
        assert kind.rules[0].check(facts) is not None


def test_a_stopped_project_resumes_only_after_the_heating_season(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    kind = coal_projects.KIND
    import_file(sessions, plan, store, kind, good("coal_project"))
    project = entry_id(sessions, kind, "HM-101-1")
    with pytest.raises(Conflict, match="停产"):
        step(sessions, MICUN, kind, project, "stop_for_season")
    check(sessions, store, MICUN, kind, project, {"production_stopped": "pass"})
    assert step(sessions, MICUN, kind, project, "stop_for_season").state == "stopped"
    frozen.moment = IN_SEASON
    evaluate(sessions)
    # the season began: of the three, only the 城关镇 project short of substitution is in breach
    found = cases(sessions, "coal_project.not_stopped_at_season_start")
    assert [(c.area_code, c.occurrences) for c in found] == [("410183100", 1)]
    assert "HM-100-2" in (found[0].description or "")
    # stopped on paper, found producing in the season: a breach all the same
    check(sessions, store, INSPECTOR, kind, project, {"production_stopped": "fail"}, photo=False)
    evaluate(sessions)
    producing = cases(sessions, "coal_project.operating_in_heating_season")
    assert [(c.area_code, c.occurrences) for c in producing] == [("410183101", 1)]
    check(sessions, store, MICUN, kind, project, {"production_stopped": "pass"})
    with pytest.raises(Conflict, match="2018-03-15"):
        step(sessions, MICUN, kind, project, "resume")
    frozen.moment = datetime(2018, 3, 16, 2, 0, tzinfo=UTC)
    assert step(sessions, MICUN, kind, project, "resume").state == "registered"


# --- task 8: coal mines ------------------------------------------------------------------------

CLOSURE = ("shafts_sealed", "equipment_removed", "power_cut", "licences_cancelled")


def close_mine(sessions, store, who, record_id: int) -> None:
    kind = coal_mines.KIND
    step(sessions, who, kind, record_id, "list_for_closure")
    check(sessions, store, who, kind, record_id, {item: "pass" for item in CLOSURE})
    assert step(sessions, who, kind, record_id, "close").state == "closed"


def test_two_mines_closed_make_the_targets_and_a_mine_closes_only_with_every_check(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    kind = coal_mines.KIND
    import_file(sessions, plan, store, kind, good("coal_mine"))
    assert indicator(sessions, "coal_mines_closed").value == 0.0
    first = entry_id(sessions, kind, "MK-1")
    with pytest.raises(Conflict):  # not listed yet
        step(sessions, CHENGGUAN, kind, first, "close")
    step(sessions, CHENGGUAN, kind, first, "list_for_closure")
    check(sessions, store, CHENGGUAN, kind, first, {item: "pass" for item in CLOSURE[:3]})
    with pytest.raises(Conflict, match="证照注销"):
        step(sessions, CHENGGUAN, kind, first, "close")
    check(sessions, store, CHENGGUAN, kind, first, {"licences_cancelled": "pass"})
    assert step(sessions, CHENGGUAN, kind, first, "close").state == "closed"
    close_mine(sessions, store, CHENGGUAN, entry_id(sessions, kind, "MK-2"))
    # the 米村镇 mine is listed for closure but not closed: it counts for neither target
    step(sessions, MICUN, kind, entry_id(sessions, kind, "MK-3"), "list_for_closure")
    mines = indicator(sessions, "coal_mines_closed")
    capacity = indicator(sessions, "coal_capacity_eliminated")
    assert (mines.value, mines.records) == (2.0, 2)
    assert (capacity.value, capacity.records) == (300_000.0, 2)
    assert [value for _, value in capacity.detail] == [150_000.0, 150_000.0]
    assert all("MK-3" not in label for label, _ in mines.detail)


def test_a_closed_mine_found_producing_opens_one_case_for_accountability(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    kind = coal_mines.KIND
    import_file(sessions, plan, store, kind, good("coal_mine"))
    mine = entry_id(sessions, kind, "MK-3")
    close_mine(sessions, store, MICUN, mine)
    frozen.advance(timedelta(days=30))
    check(sessions, store, INSPECTOR, kind, mine, {"not_producing": "fail"}, photo=False)
    evaluate(sessions)
    found = cases(sessions, "coal_mine.producing_after_closure")
    assert len(found) == 1
    assert (found[0].area_code, found[0].severity, found[0].occurrences) == (
        "410183101",
        "major",
        1,
    )
    with pytest.raises(NotAllowed):  # only a verifier reopens a closed mine
        step(sessions, MICUN, kind, mine, "reopen", note="复产")
    assert step(sessions, INSPECTOR, kind, mine, "reopen", note="夜间复产").state == "closing"


# --- task 11: briquette centres and outlets ----------------------------------------------------


def test_two_centres_and_fourteen_outlets_built_make_the_targets(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    kind = briquettes.KIND
    rows = [
        f"XMZX-{n},型煤中心{n},410183100,gszjj,城关镇,,,2017-10-31,,centre,150000,,"
        for n in (1, 2, 3)
    ] + [
        f"XMWD-{n:02d},配送网点{n},{'410183100' if n % 2 else '410183101'},gszjj,,,,2017-10-31,,outlet,800,XMZX-1,"
        for n in range(1, 16)
    ]
    import_file(sessions, plan, store, kind, csv("briquette_site", rows))
    built = ["XMZX-1", "XMZX-2", *(f"XMWD-{n:02d}" for n in range(1, 15))]
    for key in built:
        site = entry_id(sessions, kind, key)
        step(sessions, OFFICE, kind, site, "start")
        check(sessions, store, OFFICE, kind, site, {"in_service": "pass"})
        assert step(sessions, OFFICE, kind, site, "complete").state == "built"
    unfinished = entry_id(sessions, kind, "XMWD-15")
    step(sessions, OFFICE, kind, unfinished, "start")
    with pytest.raises(Conflict, match="照片"):
        step(sessions, OFFICE, kind, unfinished, "complete")
    centres = indicator(sessions, "briquette_centres")
    outlets = indicator(sessions, "briquette_outlets")
    assert (centres.value, centres.records) == (2.0, 3)
    assert (outlets.value, outlets.records) == (14.0, 15)
    assert dict(outlets.detail) == {"410183100": 7.0, "410183101": 7.0}
    # the unfinished centre and outlet are past 10-31 once the clock passes it: one case each
    frozen.moment = datetime(2017, 11, 2, 2, 0, tzinfo=UTC)
    evaluate(sessions)
    overdue = cases(sessions, "briquette_site.overdue")
    assert len(overdue) == 2 and all(c.occurrences == 1 for c in overdue)


# --- task 13: coal samples and loose-coal outlets ----------------------------------------------


def test_a_sample_over_the_plans_limits_opens_one_case_and_is_dealt_with(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    kind = coal_samples.KIND
    frozen.moment = IN_SEASON + timedelta(days=3)
    import_file(sessions, plan, store, kind, good("coal_sample"))
    evaluate(sessions)
    found = cases(sessions, "coal_sample.failed_sample")
    assert len(found) == 1 and found[0].occurrences == 1
    assert "全硫 1.8% > 1.0%" in (found[0].description or "")
    failing = entry_id(sessions, kind, "CJ-100-2")
    passing = entry_id(sessions, kind, "CJ-100-1")
    with pytest.raises(Conflict, match="超过限值"):
        step(sessions, CHENGGUAN, kind, failing, "accept")
    with pytest.raises(Conflict, match="未超标"):
        step(sessions, CHENGGUAN, kind, passing, "deal_with", note="罚款")
    with pytest.raises(Invalid):
        step(sessions, CHENGGUAN, kind, failing, "deal_with")
    assert step(sessions, CHENGGUAN, kind, passing, "accept").state == "passed"
    assert (
        step(sessions, CHENGGUAN, kind, failing, "deal_with", note="没收劣质煤 20 吨，罚款").state
        == "dealt_with"
    )
    evaluate(sessions)
    assert len(cases(sessions, "coal_sample.failed_sample")) == 1


def test_the_sample_limits_are_the_plans(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    kind = coal_samples.KIND
    frozen.moment = IN_SEASON + timedelta(days=3)
    quality = plan.plan.coal_quality
    assert quality is not None and "UNCONFIRMED" in (quality.note or "")
    looser = quality.model_copy(
        update={
            "limits": {
                **quality.limits,
                "anthracite": quality.limits["anthracite"].model_copy(update={"sulphur_max": 2.0}),
            }
        }
    )
    other_plan = dataclasses.replace(
        plan, plan=plan.plan.model_copy(update={"coal_quality": looser})
    )
    import_file(sessions, other_plan, store, kind, good("coal_sample"))
    assert cases(sessions, "coal_sample.failed_sample") == []
    sample = entry_id(sessions, kind, "CJ-100-2")  # 1.8 % sulphur: within 2.0, over 1.0
    with transaction(sessions) as session, pytest.raises(Conflict, match="超过限值"):
        service.take_step(session, CHENGGUAN, kind, sample, StepInput(event="accept"), plan=plan)
    evaluate(sessions, plan=plan)
    assert len(cases(sessions, "coal_sample.failed_sample")) == 1
    with transaction(sessions) as session:
        accepted = service.take_step(
            session, CHENGGUAN, kind, sample, StepInput(event="accept"), plan=other_plan
        )
        assert accepted.state == "passed"


#: 城关镇's villages in the clean-heating register: two to convert, one central heating reaches.
VILLAGES = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,总户数,气代煤户数,电代煤户数,替代方式,"
    "集中供热覆盖\n"
    "SDT-100-01,城关镇甲村,410183100,fgw,,113.40,34.55,2017-10-31,200,190,0,气代煤,否\n"
    "SDT-100-02,城关镇乙村,410183100,fgw,,113.41,34.56,2017-10-31,100,0,90,电代煤,否\n"
    "SDT-100-03,城关镇丙村,410183100,fgw,,113.39,34.54,2017-10-31,300,0,0,气代煤,是\n"
).encode()


def accept_village(sessions: sessionmaker[Session], store: FileStore, key: str) -> None:
    """Take a village of the clean-heating register from registered to accepted (验收)."""
    villages = clean_heating.KIND
    record_id = entry_id(sessions, villages, key)
    check(sessions, store, OFFICE, villages, record_id, {"households_verified": "pass"})
    step(sessions, OFFICE, villages, record_id, "survey")
    step(sessions, OFFICE, villages, record_id, "start")
    check(sessions, store, INSPECTOR, villages, record_id,
          {"equipment_installed": "pass", "coal_stoves_removed": "pass"})  # fmt: skip
    step(sessions, INSPECTOR, villages, record_id, "accept")


def test_a_township_is_converted_once_the_register_accepts_each_of_its_villages(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    kind = loose_coal_outlets.KIND
    import_file(sessions, plan, store, kind, good("loose_coal_outlet"))
    import_file(sessions, plan, store, clean_heating.KIND, VILLAGES)
    evaluate(sessions)
    assert cases(sessions, "loose_coal_outlet.open_in_converted_township") == []
    accept_village(sessions, store, "SDT-100-01")
    evaluate(sessions)  # one village of two still converting: not converted
    assert cases(sessions, "loose_coal_outlet.open_in_converted_township") == []
    with transaction(sessions) as session:
        assert loose_coal_outlets.township_converted_on(session, "410183100") is None
    frozen.advance(timedelta(days=3))
    accept_village(sessions, store, "SDT-100-02")  # the village central heating reaches is not
    with transaction(sessions) as session:
        converted_on = loose_coal_outlets.township_converted_on(session, "410183100")
        assert converted_on == clock.today()
        assert loose_coal_outlets.township_converted_on(session, "410183101") is None
    evaluate(sessions)
    found = cases(sessions, "loose_coal_outlet.open_in_converted_township")
    # 城关镇's two open outlets, not 米村镇's (no village of it accepted), each observed the day
    # the township completed the conversion.
    assert sorted(str(c.dedup_key).rsplit("|", 1)[1] for c in found) == [
        "loose_coal_outlet:SM-100-1",
        "loose_coal_outlet:SM-100-2",
    ]
    assert {c.first_seen_at for c in found} == {end_of_day(converted_on)}
    assert {c.area_code for c in found} == {"410183100"}
    # A village reopened (a revisit found it short): the township is no longer converted.
    with transaction(sessions) as session:
        village = entry_id(sessions, clean_heating.KIND, "SDT-100-01")
        service.take_step(session, INSPECTOR, clean_heating.KIND, village,
                          StepInput(event="reopen", note="复查发现设备未通气"))  # fmt: skip
        assert loose_coal_outlets.township_converted_on(session, "410183100") is None


def test_an_outlet_open_in_a_converted_township_opens_one_case_until_closed_off(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    kind = loose_coal_outlets.KIND
    import_file(sessions, plan, store, kind, good("loose_coal_outlet"))
    import_file(sessions, plan, store, clean_heating.KIND, VILLAGES)
    # SM-100-2 closed off before the township converted: only SM-100-1 is then still open.
    closed = entry_id(sessions, kind, "SM-100-2")
    check(sessions, store, CHENGGUAN, kind, closed, {"not_selling": "pass"})
    step(sessions, CHENGGUAN, kind, closed, "close")
    accept_village(sessions, store, "SDT-100-01")
    accept_village(sessions, store, "SDT-100-02")
    evaluate(sessions)
    found = cases(sessions, "loose_coal_outlet.open_in_converted_township")
    assert [(c.area_code, c.occurrences) for c in found] == [("410183100", 1)]
    outlet = entry_id(sessions, kind, "SM-100-1")
    with pytest.raises(Conflict):
        step(sessions, CHENGGUAN, kind, outlet, "close")
    with pytest.raises(Invalid):  # a pass needs its photo
        check(sessions, store, CHENGGUAN, kind, outlet, {"not_selling": "pass"}, photo=False)
    check(sessions, store, CHENGGUAN, kind, outlet, {"not_selling": "pass"})
    assert step(sessions, CHENGGUAN, kind, outlet, "close").state == "closed"
    frozen.advance(timedelta(days=15))
    check(sessions, store, INSPECTOR, kind, outlet, {"not_selling": "fail"}, photo=False)
    evaluate(sessions)
    relapsed = cases(sessions, "loose_coal_outlet.selling_after_closure")
    assert len(relapsed) == 1 and relapsed[0].occurrences == 1
    assert len(cases(sessions, "loose_coal_outlet.open_in_converted_township")) == 1


# --- the sample registers ----------------------------------------------------------------------


@pytest.mark.parametrize("kind_key", COAL_KINDS)
def test_the_sample_generator_makes_valid_marked_rows_for_the_plans_areas(
    kind_key: str, plan: Plan
) -> None:
    from random import Random

    from lantian.sources.registry import SampleContext

    kind = kind_of(kind_key)
    assert kind.sample is not None
    areas = [(a.code, a.name) for a in plan.areas]
    context = SampleContext(areas, list(plan.unit_names()), Random(7), datetime(2017, 10, 1).date())
    rows = kind.sample(context)
    again = kind.sample(
        SampleContext(areas, list(plan.unit_names()), Random(7), datetime(2017, 10, 1).date())
    )
    assert rows and rows == again  # seeded
    assert all(isinstance(r, kind.row) and "示例" in r.note for r in rows)
    assert len({r.key for r in rows}) == len(rows)
    assert {r.area_code for r in rows} <= set(plan.area_names())
    assert {r.unit_code for r in rows} <= set(plan.unit_names())
