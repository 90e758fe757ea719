"""The fugitive-emissions register (tasks 18–19) through the one write path, on both backends:
entries name enterprises of the emission inventory, imports good and bad, lifecycle guards node
by node, rules opening one case, scope, indicators, and the office's staggered-production order
changing what the emissions module computes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from random import Random

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.models import AuditEntry
from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import transaction
from lantian.emissions import service as emissions
from lantian.emissions.models import StaggeringOrder
from lantian.emissions.sample import load_sample_inventory, sample_area_codes
from lantian.emissions.service import EnterpriseInput, LineInput
from lantian.emissions.staggered import calendar, obligations, plan_staggered
from lantian.emissions.uscc import make_code
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds.fugitive import KIND, FugitiveEnterprise, FugitiveRow, parse_nodes
from lantian.sources.models import SourceImport
from lantian.sources.registry import SampleContext, kind_of
from lantian.tabular import Rejected
from lantian.web.app import create_app

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

#: Credit codes of the test inventory: two firms in 城关镇, one in 米村镇.
KILN = make_code("91410183MA40000A1")
MILL = make_code("91410183MA40000B2")
YARD = make_code("91410183MA40000C3")
PASSWORD = "灰霾退散-2017-blue"
#: A valid code of no enterprise in the inventory.
STRANGER = make_code("91410183MA4999999")

HEADER = (
    "编号,名称,乡镇代码,责任单位代码,完成时限,统一社会信用代码,行业,无组织排放节点,治理完成时限"
)
GOOD = "\n".join(
    [
        HEADER,
        f'WZZ-100-001,城关耐材厂,410183100,hbj,2017-09-29,{KILN},建材,"原料堆场/颗粒物/密闭储存：封闭料棚'
        '\n破碎车间/颗粒物/集气罩：布袋除尘；厂区出口/颗粒物/车轮清洗",2017-10-31',
        f"WZZ-100-002,城关铸造厂,410183100,hbj,2017-09-29,{MILL},steel,,2017-10-31",
        f"WZZ-101-001,米村料场,410183101,hbj,2017-09-29,{YARD},其他,料场/颗粒物/料场硬化,2017-10-31",
    ]
).encode()


def add_inventory(sessions: sessionmaker[Session]) -> None:
    """The inventory's enterprises the register names (refractories have no staggered rule of
    their own in the plan: before an order they owe nothing in the heating season)."""
    with transaction(sessions) as session:
        for code, name, area in (
            (KILN, "城关耐材厂", "410183100"),
            (MILL, "城关铸造厂", "410183100"),
            (YARD, "米村料场", "410183101"),
        ):
            emissions.add_enterprise(
                session,
                "tester",
                EnterpriseInput(
                    credit_code=code,
                    name=name,
                    area_code=area,
                    industry="refractory",
                    output_value=10.0,
                    lines=[LineInput("1号窑", pm=0.2), LineInput("2号窑", pm=0.1)],
                ),
            )


@pytest.fixture
def inventory(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    add_inventory(sessions)
    return sessions


def entry(session: Session, key: str) -> FugitiveEnterprise:
    found = session.scalar(select(FugitiveEnterprise).where(FugitiveEnterprise.key == key))
    assert found is not None
    return found


def test_the_kind_is_registered_with_its_template() -> None:
    assert kind_of("fugitive") is KIND
    headers = KIND.spec.headers
    assert "统一社会信用代码 credit code" in headers and "无组织排放节点 nodes" in headers
    assert KIND.enterprise_field == "credit_code"


def test_nodes_read_node_by_node_and_refuse_what_is_not_a_node() -> None:
    nodes = parse_nodes(
        "原料堆场/颗粒物/密闭储存：封闭料棚\n输送/颗粒物/封闭通廊；出口/颗粒物/车轮清洗"
    )
    assert [(n.location, n.pollutant, n.control.key, n.detail) for n in nodes] == [
        ("原料堆场", "颗粒物", "enclosed_storage", "封闭料棚"),
        ("输送", "颗粒物", "enclosed_conveying", ""),
        ("出口", "颗粒物", "wheel_washing", ""),
    ]
    with pytest.raises(ValueError, match="第 2 个节点"):
        parse_nodes("料场/颗粒物/料场硬化；只有位置")
    with pytest.raises(ValueError, match="污染物"):
        parse_nodes("料场/烟/料场硬化")
    with pytest.raises(ValueError, match="措施"):
        parse_nodes("料场/颗粒物/多打扫")


def test_import_good_file_then_reimport_is_idempotent(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    first = import_file(inventory, plan, store, KIND, GOOD)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    again = import_file(inventory, plan, store, KIND, GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    with transaction(inventory) as session:
        kiln = entry(session, "WZZ-100-001")
        assert kiln.credit_code == KILN
        assert kiln.nodes == (
            "原料堆场/颗粒物/密闭储存：封闭料棚；破碎车间/颗粒物/集气罩除尘：布袋除尘；"
            "厂区出口/颗粒物/车轮清洗"
        )
        assert kiln.state == "listed"
        # the export re-imports as it is
        exported = service.export_register(session, OFFICE, KIND, ".csv")
    third = import_file(inventory, plan, store, KIND, exported, filename="导出.csv")
    assert (third.created, third.updated, third.unchanged) == (0, 0, 3)


def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    bad = "\n".join(
        [
            HEADER,
            f"WZZ-1,好的一行,410183100,hbj,2017-09-29,{KILN},建材,料场/颗粒物/料场硬化,2017-10-31",
            f"WZZ-2,清单外企业,410183100,hbj,2017-09-29,{STRANGER},建材,,2017-10-31",
            "WZZ-3,代码无效,410183100,hbj,2017-09-29,91410183MA40000A1X,建材,,2017-10-31",
            f"WZZ-4,节点不全,410183100,hbj,2017-09-29,{KILN},建材,料场/颗粒物,2017-10-31",
            f"WZZ-5,措施不明,410183100,hbj,2017-09-29,{KILN},建材,料场/颗粒物/打扫,2017-10-31",
            f"WZZ-1,重复编号,410183100,hbj,2017-09-29,{KILN},建材,,2017-10-31",
            f"WZZ-7,未知乡镇,999999999,hbj,2017-09-29,{KILN},建材,,2017-10-31",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(inventory, plan, store, KIND, bad)
    problems = refused.value.problems
    assert sorted({p.row for p in problems}) == [3, 4, 5, 6, 7, 8]
    unknown = [p for p in problems if p.row == 3]
    assert unknown[0].column == "credit_code" or "credit" in str(unknown[0])
    assert STRANGER in str(unknown[0]) and "排放清单" in str(unknown[0])
    with transaction(inventory) as session:
        assert session.scalar(select(func.count()).select_from(FugitiveEnterprise)) == 0
        assert session.scalar(select(func.count()).select_from(SourceImport)) == 0


def test_a_form_naming_an_unknown_enterprise_is_refused(
    inventory: sessionmaker[Session], plan: Plan, frozen: clock.FrozenClock
) -> None:
    row = FugitiveRow(
        key="WZZ-9",
        name="清单外企业",
        area_code="410183100",
        credit_code=STRANGER,
        industry="other",
    )
    with transaction(inventory) as session, pytest.raises(Invalid, match=STRANGER):
        service.save_entry(session, OFFICE, KIND, row, plan=plan, expect="new")


def test_survey_and_controls_are_checked_node_by_node(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(inventory, plan, store, KIND, GOOD)
    kiln = entry_id(inventory, KIND, "WZZ-100-001")
    mill = entry_id(inventory, KIND, "WZZ-100-002")
    # no node reported: the survey cannot be handed in
    with pytest.raises(Conflict, match="未填报无组织排放节点"):
        step(inventory, CHENGGUAN, KIND, mill, "report_survey")
    assert step(inventory, CHENGGUAN, KIND, kiln, "report_survey").state == "surveyed"
    # a township does not accept its own controls
    with pytest.raises(NotAllowed):
        step(inventory, CHENGGUAN, KIND, kiln, "accept_controls")
    # two of three nodes' controls checked with a photo: refused, naming the third node
    check(
        inventory,
        store,
        INSPECTOR,
        KIND,
        kiln,
        {"enclosed_storage": "pass", "hood": "pass", "no_visible_dust": "pass"},
    )
    with pytest.raises(Conflict, match="节点「厂区出口」的「车轮清洗」"):
        step(inventory, INSPECTOR, KIND, kiln, "accept_controls")
    check(inventory, store, INSPECTOR, KIND, kiln, {"wheel_washing": "pass"})
    assert step(inventory, INSPECTOR, KIND, kiln, "accept_controls").state == "controlled"
    with pytest.raises(Invalid):
        step(inventory, INSPECTOR, KIND, kiln, "reopen")  # a reopening says why
    assert step(inventory, INSPECTOR, KIND, kiln, "reopen", "洗车平台停用").state == "surveyed"


def test_a_township_is_refused_another_townships_entry(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(inventory, plan, store, KIND, GOOD, who=MICUN)
    assert {p.row for p in refused.value.problems} == {2, 3}
    import_file(inventory, plan, store, KIND, GOOD)
    kiln = entry_id(inventory, KIND, "WZZ-100-001")
    yard = entry_id(inventory, KIND, "WZZ-101-001")
    with transaction(inventory) as session, pytest.raises(NotAllowed):
        service.get_entry(session, MICUN, KIND, kiln)
    with pytest.raises(NotAllowed):
        step(inventory, MICUN, KIND, kiln, "report_survey")
    assert step(inventory, MICUN, KIND, yard, "report_survey").state == "surveyed"
    with transaction(inventory) as session:
        page = service.list_entries(session, MICUN, KIND, service.EntryFilter())
        assert [e.id for e in page.items] == [yard]
        # the enterprise page lists the entries naming it, within the reader's scope
        assert service.entries_of_enterprise(session, MICUN, KILN) == []
        assert [r.key for _, r in service.entries_of_enterprise(session, OFFICE, KILN)] == [
            "WZZ-100-001"
        ]


def test_rules_open_one_case_however_often_evaluated(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(inventory, plan, store, KIND, GOOD)  # 10-10: after the survey's 9-29
    kiln = entry_id(inventory, KIND, "WZZ-100-001")
    step(inventory, CHENGGUAN, KIND, kiln, "report_survey")
    evaluate(inventory, plan=plan)
    overdue = cases(inventory, "fugitive.overdue")
    # imported after 9-29 with no survey handed in: one case per firm, opened at the import;
    # the kiln's late survey and three evaluations add none
    assert sorted(c.title for c in overdue) == [
        "无组织排放节点逾期未上报：城关耐材厂",
        "无组织排放节点逾期未上报：城关铸造厂",
        "无组织排放节点逾期未上报：米村料场",
    ]
    assert cases(inventory, "fugitive.uncontrolled") == []
    frozen.moment = datetime(2017, 11, 2, 1, 0, tzinfo=UTC)
    evaluate(inventory, plan=plan)
    uncontrolled = cases(inventory, "fugitive.uncontrolled")
    assert len(uncontrolled) == 3  # surveyed but not controlled, and the two never surveyed
    assert any("城关耐材厂" in c.title for c in uncontrolled)
    assert len(cases(inventory, "fugitive.overdue")) == 3


def test_the_office_orders_staggering_and_the_emissions_module_obeys(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    rules = plan_staggered(plan)
    import_file(inventory, plan, store, KIND, GOOD)
    kiln = entry_id(inventory, KIND, "WZZ-100-001")
    step(inventory, CHENGGUAN, KIND, kiln, "report_survey")
    with transaction(inventory) as session:
        before = emissions.get_enterprise(session, KILN)
        assert obligations(emissions.facts_of(before), rules) == []
        assert emissions.heating_season_cuts(before, rules) == {}
    # before the controls' deadline the office may not penalise
    with pytest.raises(Conflict, match="治理期限"):
        step(inventory, OFFICE, KIND, kiln, "order_staggering", "未落实")
    frozen.moment = datetime(2017, 11, 2, 1, 0, tzinfo=UTC)
    with pytest.raises(Invalid):
        step(inventory, OFFICE, KIND, kiln, "order_staggering")  # the note cites the clause
    with pytest.raises(NotAllowed):
        step(inventory, CHENGGUAN, KIND, kiln, "order_staggering", "未落实")
    record = step(
        inventory, OFFICE, KIND, kiln, "order_staggering", "10月底前未落实无组织排放控制要求"
    )
    assert record.state == "staggered"
    with transaction(inventory) as session:
        order = session.scalars(select(StaggeringOrder)).one()
        assert (order.source_kind, order.source_key) == ("fugitive", "WZZ-100-001")
        assert (order.from_date, order.until) == (date(2017, 11, 15), date(2018, 3, 15))
        assert order.reason == "10月底前未落实无组织排放控制要求"
        assert session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "staggering_order.add")
        )
        enterprise = emissions.get_enterprise(session, KILN)
        duties = obligations(emissions.facts_of(enterprise), rules)
        assert {(d.line, d.period, d.required_cut) for d in duties} == {
            ("1号窑", "heating_season", 1.0),
            ("2号窑", "heating_season", 1.0),
        }
        assert all(d.rule.task == 19 for d in duties)
        assert "2017-11-15至2018-03-15采暖季停产" in duties[0].describe()
        # the reduction list's computation sees both lines stopped in the heating season
        assert emissions.heating_season_cuts(enterprise, rules) == {"1号窑": 1.0, "2号窑": 1.0}
        options = emissions.options_of(enterprise, already_cut={"1号窑": 1.0, "2号窑": 1.0})
        assert options.candidates == ()
        days = calendar(
            emissions.facts_of(enterprise), rules, date(2017, 11, 14), date(2017, 11, 15)
        )
        assert [d.required for d in days] == [{}, {"1号窑": 1.0, "2号窑": 1.0}]
        # another enterprise is untouched
        other = emissions.get_enterprise(session, MILL)
        assert emissions.heating_season_cuts(other, rules) == {}


def test_a_firm_found_producing_while_ordered_to_stop_opens_one_case(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(inventory, plan, store, KIND, GOOD)
    kiln = entry_id(inventory, KIND, "WZZ-100-001")
    frozen.moment = datetime(2017, 11, 2, 1, 0, tzinfo=UTC)
    step(inventory, OFFICE, KIND, kiln, "order_staggering", "10月底前未落实无组织排放控制要求")
    # before the heating season the firm may still produce
    check(inventory, store, INSPECTOR, KIND, kiln, {"production_stopped": "fail"}, photo=False)
    assert cases(inventory, "fugitive.producing_while_ordered") == []
    frozen.moment = datetime(2017, 12, 1, 2, 0, tzinfo=UTC)
    check(inventory, store, INSPECTOR, KIND, kiln, {"production_stopped": "fail"}, photo=False)
    evaluate(inventory, plan=plan)
    found = cases(inventory, "fugitive.producing_while_ordered")
    assert len(found) == 1
    assert found[0].severity == "major"
    assert "城关耐材厂" in found[0].title


def test_indicators_share_of_firms_surveyed_and_controlled(
    inventory: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(inventory, plan, store, KIND, GOOD)
    kiln = entry_id(inventory, KIND, "WZZ-100-001")
    yard = entry_id(inventory, KIND, "WZZ-101-001")
    step(inventory, CHENGGUAN, KIND, kiln, "report_survey")
    step(inventory, MICUN, KIND, yard, "report_survey")
    check(
        inventory,
        store,
        INSPECTOR,
        KIND,
        yard,
        {"hardened_yard": "pass", "no_visible_dust": "pass"},
    )
    step(inventory, INSPECTOR, KIND, yard, "accept_controls")
    surveyed = indicator(inventory, "fugitive_nodes_reported")
    assert (surveyed.value, surveyed.records) == (66.7, 3)
    assert dict(surveyed.detail) == {"410183100": 50.0, "410183101": 100.0}
    controlled = indicator(inventory, "fugitive_controls_accepted")
    assert controlled.value == 33.3
    assert dict(controlled.detail) == {"410183100": 0.0, "410183101": 100.0}
    assert {t.key for t, _, _ in plan.targets()} >= {
        "fugitive_nodes_reported",
        "fugitive_controls_accepted",
    }


def test_the_entry_and_the_enterprise_pages_link_each_other(
    db_engine: Engine,
    inventory: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    tmp_path: Path,
) -> None:
    import_file(inventory, plan, store, KIND, GOOD)
    kiln = entry_id(inventory, KIND, "WZZ-100-001")
    frozen.moment = datetime(2017, 11, 2, 1, 0, tzinfo=UTC)
    step(inventory, OFFICE, KIND, kiln, "order_staggering", "10月底前未落实无组织排放控制要求")
    with transaction(inventory) as session:
        add_user(session, username="office", role="campaign_office", password=PASSWORD, actor="t")
    client = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
    login = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', login.text)
    assert token
    client.post(
        "/login",
        data={"username": "office", "password": PASSWORD, "csrf": token.group(1), "next": "/"},
    )
    page = client.get(f"/sources/fugitive/{kiln}")
    assert page.status_code == 200
    assert f'href="/emissions/enterprises/{KILN}"' in page.text
    enterprise = client.get(f"/emissions/enterprises/{KILN}")
    assert enterprise.status_code == 200
    assert f'href="/sources/fugitive/{kiln}"' in enterprise.text
    assert 'data-source="fugitive:WZZ-100-001"' in enterprise.text
    # the order is an obligation of the staggered-production section
    assert "2017-11-15至2018-03-15采暖季停产" in enterprise.text


@pytest.mark.parametrize("kind_key", ["fugitive", "vocs"])
def test_the_samples_name_enterprises_of_the_demo_inventory(
    sessions: sessionmaker[Session], plan: Plan, frozen: clock.FrozenClock, kind_key: str
) -> None:
    kind = kind_of(kind_key)
    areas = [(a.code, a.name) for a in plan.areas]
    assert kind.sample is not None
    # without the database (no inventory to name) there is nothing to draw
    assert kind.sample(SampleContext(areas, [], Random(1), date(2017, 8, 1))) == []
    with transaction(sessions) as session:
        load_sample_inventory(session, count=80, area_codes=sample_area_codes(plan))
        context = SampleContext(areas, [], Random(1), date(2017, 8, 1), session=session)
        rows = list(kind.sample(context))
        again = list(
            kind.sample(SampleContext(areas, [], Random(1), date(2017, 8, 1), session=session))
        )
        assert rows == again and 5 <= len(rows) <= 40
        codes = {e.credit_code: e for e in emissions.list_enterprises(session)}
        for row in rows:
            named = codes[row.credit_code]
            assert (row.name, row.area_code) == (named.name, named.area_code)
            assert "示例数据" in row.note
        counts = service.save_samples(session, OFFICE, kind, rows)
        assert counts.created == len(rows)
