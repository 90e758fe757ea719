"""The discharge permits' register (task 22) through the one write path, on both backends: entries
name firms of the emission inventory in the plan's sectors (import good and bad files, re-import),
the sectors' deadlines come from the plan, a permit issued is the inventory's permit number
(audited), a firm operating without a permit after its deadline is one case, scope, the share
permitted by the deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.models import AuditEntry
from lantian.db.engine import transaction
from lantian.emissions.models import Enterprise
from lantian.emissions.service import EnterpriseInput, add_enterprise
from lantian.emissions.uscc import make_code
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds.permits import KIND, DischargePermit, PermitRow
from lantian.sources.registry import kind_of

from .conftest import CHENGGUAN, HBJ, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

CEMENT = make_code("91410183MA0000001")
POWER = make_code("91410183MA0000002")
PHARMA = make_code("91410183MA0000003")
BRICKS = make_code("91410183MA0000004")
ABSENT = make_code("91410183MA0000005")
#: (credit code, name, area, industry, the inventory's permit number before the register)
FIRMS = (
    (CEMENT, "城关镇某水泥厂", "410183100", "cement", "旧编号-1"),
    (POWER, "城关镇某热电厂", "410183100", "power", None),
    (PHARMA, "米村镇某原料药厂", "410183101", "pharmaceutical", None),
    (BRICKS, "城关镇某砖厂", "410183100", "brick_kiln", None),
)
HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,备注,统一社会信用代码,行业,"
    "许可证编号,发证日期,有效期至"
)
GOOD_ROWS = [
    f"PW-1,城关镇某水泥厂,410183100,hbj,城关镇,113.39,34.54,,,{CEMENT},cement,,,",
    f"PW-2,城关镇某热电厂,410183100,hbj,城关镇,113.38,34.55,2017-10-31,,{POWER},power,,,",
    # the sector as the document names it
    f"PW-3,米村镇某原料药厂,410183101,hbj,米村镇,113.30,34.60,,,{PHARMA},原料药制造,,,",
]
BAD_ROWS = [
    f"PW-9,不在清单,410183100,hbj,,,,,,{ABSENT},cement,,,",
    f"PW-10,行业不在计划,410183100,hbj,,,,,,{CEMENT},steel,,,",
    f"PW-11,砖厂不是水泥,410183100,hbj,,,,,,{BRICKS},cement,,,",
    f"PW-12,乡镇不符,410183100,hbj,,,,,,{PHARMA},pharmaceutical,,,",
    f"PW-13,时限不符,410183100,hbj,,,,2017-12-31,,{POWER},power,,,",
    "PW-14,代码格式错误,410183100,hbj,,,,,,9141018312345,cement,,,",
]


@pytest.fixture
def inventory(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for code, name, area, industry, permit in FIRMS:
            add_enterprise(
                session,
                "test",
                EnterpriseInput(code, name, area, industry, permit_number=permit),
            )


def with_permit(row: str, number: str, issued: str, valid: str = "") -> str:
    """A good row with its permit's number, issue date and validity filled in."""
    assert row.endswith(",,,")
    return f"{row[:-3]},{number},{issued},{valid}"


def csv(rows: list[str]) -> bytes:
    return "\n".join([HEADER, *rows]).encode("utf-8")


def inventory_permit(sessions: sessionmaker[Session], code: str) -> str | None:
    with transaction(sessions) as session:
        firm = session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
        assert firm is not None
        return firm.permit_number


def test_the_sectors_and_deadlines_are_the_plans(plan: Plan) -> None:
    assert kind_of("discharge_permit") is KIND
    sectors = plan.permit_sectors()
    assert {key: str(s.deadline) for key, s in sectors.items()} == {
        "power": "2017-10-31",
        "cement": "2017-10-31",
        "copper_lead_zinc": "2017-12-31",
        "aluminium": "2017-12-31",
        "pharmaceutical": "2017-12-31",
        "pesticide": "2017-12-31",
    }
    assert sectors["cement"].name in sectors["cement"].source


def test_import_good_file_then_reimport_is_idempotent(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    first = import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    again = import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    with transaction(sessions) as session:
        deadlines = {r.key: str(r.deadline) for r in session.scalars(select(DischargePermit))}
    # the deadline left empty is the sector's in the plan
    assert deadlines == {"PW-1": "2017-10-31", "PW-2": "2017-10-31", "PW-3": "2017-12-31"}
    # the register has no permit in force for the cement works: the inventory shows none (audited)
    assert inventory_permit(sessions, CEMENT) is None
    with transaction(sessions) as session:
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "emission_enterprise.permit", AuditEntry.entity_id == CEMENT
            )
        )
        assert entry is not None and entry.actor == OFFICE.username
    with transaction(sessions) as session:
        exported = service.export_register(session, OFFICE, KIND, ".csv")
    assert import_file(sessions, plan, store, KIND, exported).unchanged == 3


def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    from lantian.tabular import Rejected

    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, csv([*BAD_ROWS, GOOD_ROWS[0]]))
    problems = refused.value.problems
    assert sorted({p.row for p in problems}) == [2, 3, 4, 5, 6, 7]
    by_row = {p.row: p for p in problems}
    assert "排放清单" in by_row[2].reason
    assert "steel" in by_row[3].reason
    assert "brick_kiln" in by_row[4].reason
    assert "410183101" in by_row[5].reason
    assert "2017-10-31" in by_row[6].reason
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(DischargePermit)) == 0
    assert inventory_permit(sessions, CEMENT) == "旧编号-1"


def test_a_form_naming_an_unknown_sector_is_refused(
    sessions: sessionmaker[Session], plan: Plan, frozen: clock.FrozenClock, inventory: None
) -> None:
    row = PermitRow(
        key="PW-F", name="城关镇某水泥厂", area_code="410183100", credit_code=CEMENT, sector="glass"
    )
    with pytest.raises(Invalid, match="glass"), transaction(sessions) as session:
        service.save_entry(session, OFFICE, KIND, row, plan=plan)


def test_a_permit_issued_with_its_photo_is_the_inventorys(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    permit = entry_id(sessions, KIND, "PW-1")
    with pytest.raises(Conflict, match="许可证编号"):
        step(sessions, OFFICE, KIND, permit, "issue")
    issued = with_permit(GOOD_ROWS[0], "91410183-001P", "2017-10-08", "2020-10-07")
    assert import_file(sessions, plan, store, KIND, csv([issued])).updated == 1
    assert inventory_permit(sessions, CEMENT) is None  # filled in, not yet issued
    with pytest.raises(Conflict, match="正本"):
        step(sessions, OFFICE, KIND, permit, "issue")
    check(sessions, store, CHENGGUAN, KIND, permit, {"permit_seen": "pass"})
    # the township does not issue permits: the environment bureau (or the office) does
    with pytest.raises(NotAllowed):
        step(sessions, CHENGGUAN, KIND, permit, "issue")
    assert step(sessions, HBJ, KIND, permit, "issue").state == "issued"
    assert inventory_permit(sessions, CEMENT) == "91410183-001P"
    # a stop needs the stop photographed, and a note
    with pytest.raises(Conflict, match="停产"):
        step(sessions, INSPECTOR, KIND, permit, "stop", "不按证排污")
    check(sessions, store, INSPECTOR, KIND, permit, {"production_stopped": "pass"})
    assert step(sessions, INSPECTOR, KIND, permit, "stop", "不按证排污").state == "stopped"
    assert inventory_permit(sessions, CEMENT) == "91410183-001P"


def test_a_firm_without_a_permit_after_its_deadline_is_one_case(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    evaluate(sessions, 2, plan=plan)
    assert cases(sessions, "discharge_permit.unpermitted") == []  # 10-10: before 10-31
    frozen.moment = datetime(2017, 11, 5, 2, 0, tzinfo=UTC)
    evaluate(sessions, 3, plan=plan)
    opened = cases(sessions, "discharge_permit.unpermitted")
    # cement and power are past 10-31; the pharmaceutical firm has until 12-31
    assert sorted(c.dedup_key.rsplit(":", 1)[-1] for c in opened) == ["PW-1", "PW-2"]
    # stopped (photographed): no new case; found producing again: the same case, not a second
    power = entry_id(sessions, KIND, "PW-2")
    check(sessions, store, INSPECTOR, KIND, power, {"production_stopped": "pass"})
    step(sessions, INSPECTOR, KIND, power, "stop", "无证排污，责令停产")
    frozen.advance(timedelta(days=4))
    check(sessions, store, INSPECTOR, KIND, power, {"production_stopped": "fail"}, photo=False)
    evaluate(sessions, 3, plan=plan)
    again = cases(sessions, "discharge_permit.unpermitted")
    assert len(again) == 2
    (power_case,) = [c for c in again if c.dedup_key.endswith("PW-2")]
    assert power_case.occurrences == 2


def test_a_township_is_refused_another_townships_permit(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    from lantian.tabular import Rejected

    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, csv(GOOD_ROWS), who=MICUN)
    assert sorted({p.row for p in refused.value.problems}) == [2, 3]
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    with pytest.raises(NotAllowed):
        check(
            sessions, store, MICUN, KIND, entry_id(sessions, KIND, "PW-1"), {"permit_seen": "pass"}
        )


def test_the_share_permitted_by_the_deadline(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    before = indicator(sessions, "discharge_permits_issued_share")
    # the brick works is of no sector: three firms count
    assert (before.value, before.records) == (0.0, 3)
    rows = [
        with_permit(GOOD_ROWS[0], "C-1", "2017-10-08"),
        with_permit(GOOD_ROWS[2], "P-1", "2017-10-09"),
    ]
    import_file(sessions, plan, store, KIND, csv(rows))
    for key in ("PW-1", "PW-3"):
        record = entry_id(sessions, KIND, key)
        check(sessions, store, OFFICE, KIND, record, {"permit_seen": "pass"})
        step(sessions, OFFICE, KIND, record, "issue")
    after = indicator(sessions, "discharge_permits_issued_share")
    assert (after.value, after.records) == (66.7, 3)
    assert dict(after.detail) == {
        "电力 power（2017-10-31）": 0.0,
        "水泥 cement（2017-10-31）": 100.0,
        "原料药制造 pharmaceutical（2017-12-31）": 100.0,
    }


def test_the_sample_names_the_demo_inventorys_firms_and_keeps_their_permits(
    sessions: sessionmaker[Session], plan: Plan, frozen: clock.FrozenClock
) -> None:
    from random import Random

    from lantian.emissions.sample import load_sample_inventory, sample_area_codes
    from lantian.sources.registry import SampleContext

    with transaction(sessions) as session:
        load_sample_inventory(session, area_codes=sample_area_codes(plan))
    assert KIND.sample is not None
    context = dict(areas=[(a.code, a.name) for a in plan.areas], units=[], today=clock.today())
    # without the inventory to read there is nothing to draw
    assert KIND.sample(SampleContext(rng=Random(1), **context)) == []  # type: ignore[arg-type]
    with sessions() as reading:
        rows = KIND.sample(
            SampleContext(rng=Random(1), session=reading, plan=plan, **context)  # type: ignore[arg-type]
        )
    with transaction(sessions) as session:
        sector_firms = session.scalar(
            select(func.count()).where(
                Enterprise.industry.in_(
                    ["cement", "cement_grinding", "power", "pharmaceutical", "pesticide"]
                )
            )
        )
        assert len(rows) == sector_firms and sector_firms
        service.save_samples(session, OFFICE, KIND, rows)
    with transaction(sessions) as session:
        shown = {
            code: number
            for code, number in session.execute(
                select(Enterprise.credit_code, Enterprise.permit_number)
            )
        }
        for record in session.scalars(select(DischargePermit)):
            assert (
                record.is_sample
                and record.deadline == plan.permit_sectors()[record.sector].deadline
            )
            assert record.credit_code in shown and shown[record.credit_code] is None  # pending
