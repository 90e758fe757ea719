"""The VOCs register (task 20) through the one write path, on both backends: entries name
enterprises of the emission inventory, imports good and bad, the acceptance's guards (facility,
checks with photos, low-VOCs materials, LDAR rounds), rules opening one case, scope, indicators,
and the office's order stopping the VOCs lines in the heating season."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.db.engine import transaction
from lantian.emissions import service as emissions
from lantian.emissions.models import StaggeringOrder
from lantian.emissions.service import EnterpriseInput, LineInput
from lantian.emissions.staggered import obligations, plan_staggered
from lantian.emissions.uscc import make_code
from lantian.errors import Conflict, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds.vocs import KIND, VocsEnterprise, ldar_dates
from lantian.sources.models import SourceImport
from lantian.sources.registry import kind_of
from lantian.tabular import Rejected

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

PHARMA = make_code("91410183MA50000A1")
PRINTER = make_code("91410183MA50000B2")
FURNITURE = make_code("91410183MA50000C3")
STRANGER = make_code("91410183MA5999999")

HEADER = (
    "编号,名称,乡镇代码,责任单位代码,完成时限,统一社会信用代码,行业类别,治理设施,"
    "使用低VOCs原辅材料,须开展LDAR,LDAR开展日期"
)
GOOD = "\n".join(
    [
        HEADER,
        f"VOC-100-001,城关制药厂,410183100,hbj,2017-10-31,{PHARMA},医药化工,催化燃烧,否,是,"
        "2017-09-20；2016-10-01",
        f"VOC-100-002,城关印刷厂,410183100,hbj,2017-10-31,{PRINTER},printing,活性炭吸附,是,否,",
        f"VOC-101-001,米村家具厂,410183101,hbj,2017-10-31,{FURNITURE},家具制造涂装,无治理设施,否,否,",
    ]
).encode()
THREE_CHECKS = {"enclosed_materials": "pass", "collection": "pass", "facility_running": "pass"}


@pytest.fixture
def inventory(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(sessions) as session:
        for code, name, area, industry, lines in (
            (
                PHARMA,
                "城关制药厂",
                "410183100",
                "pharmaceutical",
                [LineInput("合成车间", vocs=0.3, process="vocs"), LineInput("锅炉", nox=0.1)],
            ),
            (PRINTER, "城关印刷厂", "410183100", "printing", [LineInput("印刷线", vocs=0.1)]),
            (FURNITURE, "米村家具厂", "410183101", "furniture", [LineInput("喷漆线", vocs=0.1)]),
        ):
            emissions.add_enterprise(
                session,
                "tester",
                EnterpriseInput(
                    credit_code=code,
                    name=name,
                    area_code=area,
                    industry=industry,
                    output_value=10.0,
                    lines=lines,
                ),
            )
    return sessions


def entry(session: Session, key: str) -> VocsEnterprise:
    found = session.scalar(select(VocsEnterprise).where(VocsEnterprise.key == key))
    assert found is not None
    return found


def test_the_kind_is_registered_and_reads_ldar_rounds_as_dates() -> None:
    assert kind_of("vocs") is KIND
    assert "LDAR开展日期 LDAR rounds" in KIND.spec.headers
    assert ldar_dates("2017-09-20；2017/03/01\n2017-09-20") == [date(2017, 3, 1), date(2017, 9, 20)]
    with pytest.raises(ValueError, match="第 2 次"):
        ldar_dates("2017-09-20；九月")


def test_import_good_file_then_reimport_is_idempotent(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    first = import_file(inventory, plan, store, KIND, GOOD)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    again = import_file(inventory, plan, store, KIND, GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    with transaction(inventory) as session:
        pharma = entry(session, "VOC-100-001")
        assert (pharma.sector, pharma.treatment, pharma.ldar_required) == (
            "pharmaceutical",
            "catalytic_combustion",
            True,
        )
        assert pharma.ldar_rounds == "2016-10-01；2017-09-20"
        exported = service.export_register(session, OFFICE, KIND, ".csv")
    third = import_file(inventory, plan, store, KIND, exported, filename="导出.csv")
    assert (third.created, third.updated, third.unchanged) == (0, 0, 3)


def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    bad = "\n".join(
        [
            HEADER,
            f"VOC-1,好的一行,410183100,hbj,2017-10-31,{PRINTER},printing,,是,否,",
            f"VOC-2,清单外企业,410183100,hbj,2017-10-31,{STRANGER},printing,,是,否,",
            f"VOC-3,行业不对,410183100,hbj,2017-10-31,{PRINTER},炼钢,,是,否,",
            f"VOC-4,日期不对,410183100,hbj,2017-10-31,{PHARMA},医药化工,,否,是,九月",
            f"VOC-5,设施不明,410183100,hbj,2017-10-31,{PHARMA},医药化工,水洗,否,是,",
            f"VOC-1,重复编号,410183100,hbj,2017-10-31,{PRINTER},printing,,是,否,",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(inventory, plan, store, KIND, bad)
    problems = refused.value.problems
    assert sorted({p.row for p in problems}) == [3, 4, 5, 6, 7]
    assert any(p.row == 3 and STRANGER in str(p) for p in problems)
    with transaction(inventory) as session:
        assert session.scalar(select(func.count()).select_from(VocsEnterprise)) == 0
        assert session.scalar(select(func.count()).select_from(SourceImport)) == 0


def test_acceptance_needs_facility_checks_materials_and_ldar(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(inventory, plan, store, KIND, GOOD)
    pharma = entry_id(inventory, KIND, "VOC-100-001")
    furniture = entry_id(inventory, KIND, "VOC-101-001")
    assert step(inventory, CHENGGUAN, KIND, pharma, "start").state == "treating"
    with pytest.raises(NotAllowed):
        step(inventory, CHENGGUAN, KIND, pharma, "accept")  # a township does not accept
    with pytest.raises(Conflict, match="治理设施正常运行"):
        step(inventory, INSPECTOR, KIND, pharma, "accept")
    check(inventory, store, INSPECTOR, KIND, pharma, THREE_CHECKS)
    assert step(inventory, INSPECTOR, KIND, pharma, "accept").state == "treated"
    # no facility, coating without low-VOCs materials: refused though every check passed
    check(inventory, store, INSPECTOR, KIND, furniture, THREE_CHECKS)
    with pytest.raises(Conflict, match=r"未建治理设施.*低（无）VOCs"):
        step(inventory, INSPECTOR, KIND, furniture, "accept")


def test_an_ldar_firm_is_accepted_only_with_a_round_this_year(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    content = GOOD.replace("2017-09-20；2016-10-01".encode(), b"2016-10-01")
    import_file(inventory, plan, store, KIND, content)
    pharma = entry_id(inventory, KIND, "VOC-100-001")
    check(inventory, store, INSPECTOR, KIND, pharma, THREE_CHECKS)
    with pytest.raises(Conflict, match="2017 年未开展泄漏检测与修复"):
        step(inventory, INSPECTOR, KIND, pharma, "accept")
    import_file(inventory, plan, store, KIND, GOOD)
    assert step(inventory, INSPECTOR, KIND, pharma, "accept").state == "treated"


def test_a_township_is_refused_another_townships_entry(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected):
        import_file(inventory, plan, store, KIND, GOOD, who=MICUN)
    import_file(inventory, plan, store, KIND, GOOD)
    pharma = entry_id(inventory, KIND, "VOC-100-001")
    with transaction(inventory) as session, pytest.raises(NotAllowed):
        service.get_entry(session, MICUN, KIND, pharma)
    with pytest.raises(NotAllowed):
        step(inventory, MICUN, KIND, pharma, "start")


def test_overdue_opens_one_case_per_firm_however_often_evaluated(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(inventory, plan, store, KIND, GOOD)
    pharma = entry_id(inventory, KIND, "VOC-100-001")
    check(inventory, store, INSPECTOR, KIND, pharma, THREE_CHECKS)
    step(inventory, INSPECTOR, KIND, pharma, "accept")
    evaluate(inventory, plan=plan)
    assert cases(inventory, "vocs.overdue") == []
    frozen.moment = datetime(2017, 11, 2, 1, 0, tzinfo=UTC)
    evaluate(inventory, plan=plan)
    found = cases(inventory, "vocs.overdue")
    assert sorted(c.title for c in found) == [
        "VOCs企业逾期未完成治理：城关印刷厂",
        "VOCs企业逾期未完成治理：米村家具厂",
    ]


def test_the_order_stops_the_vocs_lines_in_the_heating_season(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    rules = plan_staggered(plan)
    import_file(inventory, plan, store, KIND, GOOD)
    printer = entry_id(inventory, KIND, "VOC-100-002")
    pharma = entry_id(inventory, KIND, "VOC-100-001")
    with transaction(inventory) as session:
        assert (
            emissions.heating_season_cuts(emissions.get_enterprise(session, PRINTER), rules) == {}
        )
    with pytest.raises(Conflict, match="治理期限"):
        step(inventory, OFFICE, KIND, printer, "order_staggering", "未完成治理")
    frozen.moment = datetime(2017, 12, 5, 1, 0, tzinfo=UTC)  # inside the heating season
    step(inventory, OFFICE, KIND, printer, "order_staggering", "10月底前未完成VOCs治理改造")
    step(inventory, OFFICE, KIND, pharma, "order_staggering", "10月底前未完成VOCs治理改造")
    with transaction(inventory) as session:
        orders = {o.source_key: o for o in session.scalars(select(StaggeringOrder))}
        # a firm ordered inside the season stops from that day to the season's end
        assert (orders["VOC-100-002"].from_date, orders["VOC-100-002"].until) == (
            date(2017, 12, 5),
            date(2018, 3, 15),
        )
        assert orders["VOC-100-002"].lines == []  # no VOCs process: the whole enterprise
        assert orders["VOC-100-001"].lines == ["合成车间"]  # only the VOCs line
        printing = emissions.get_enterprise(session, PRINTER)
        assert emissions.heating_season_cuts(printing, rules) == {"印刷线": 1.0}
        duties = obligations(emissions.facts_of(printing), rules)
        assert [(d.line, d.rule.task, d.required_cut) for d in duties] == [("印刷线", 20, 1.0)]
        drug = emissions.get_enterprise(session, PHARMA)
        ordered = [d for d in obligations(emissions.facts_of(drug), rules) if d.rule.task == 20]
        assert [d.line for d in ordered] == ["合成车间"]
        assert emissions.heating_season_cuts(drug, rules) == {"合成车间": 1.0}
    # found producing while ordered to stop: one case for accountability
    for _ in range(2):
        check(
            inventory, store, INSPECTOR, KIND, printer, {"production_stopped": "fail"}, photo=False
        )
    evaluate(inventory, plan=plan)
    found = cases(inventory, "vocs.producing_while_ordered")
    assert [c.title for c in found] == ["VOCs企业责令错峰停产期间仍在生产：城关印刷厂"]


def test_indicators_treated_share_and_ldar_rounds_per_year(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(inventory, plan, store, KIND, GOOD)
    pharma = entry_id(inventory, KIND, "VOC-100-001")
    check(inventory, store, INSPECTOR, KIND, pharma, THREE_CHECKS)
    step(inventory, INSPECTOR, KIND, pharma, "accept")
    treated = indicator(inventory, "vocs_firms_treated")
    assert (treated.value, treated.records) == (33.3, 3)
    assert dict(treated.detail) == {
        "医药化工 pharmaceutical": 100.0,
        "家具制造涂装 furniture": 0.0,
        "包装印刷 printing": 0.0,
    }
    ldar = indicator(inventory, "vocs_ldar_carried_out")
    assert (ldar.value, ldar.records) == (100.0, 1)
    assert dict(ldar.detail) == {"2016 年 LDAR 轮次 rounds": 1.0, "2017 年 LDAR 轮次 rounds": 1.0}
