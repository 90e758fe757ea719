"""Coal mines to close and the capacity eliminated (化解煤炭过剩产能, plan task 8).

Task 8: "2017年12月底前，关闭煤矿2家以上，淘汰煤炭产能30万吨以上。" (annex: 关闭煤矿2家，淘汰产能30万吨).
The two targets are computed from the register: the mines closed, and the sum of their approved
capacity (t/a). A mine is closed only when each closure check holds with proof; the items are
lantian's reading of what closing a mine takes (the seed names none): shafts sealed, equipment
removed, power cut, licences cancelled.

Lifecycle::

    operating ──list_for_closure──► closing ──close (four checks, each with proof)──► closed
    closed ──reopen (a revisit found it producing; note required)──► closing
"""

from __future__ import annotations

from datetime import date

from pydantic import Field
from sqlalchemy import Float, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.kinds._coal import CLAUSE_8, SAMPLE_NOTE, sample_point
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    Indicator,
    IndicatorValue,
    RegisterKind,
    Rule,
    SampleContext,
    overdue_rule,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column


class CoalMine(RegisterRecord):
    __tablename__ = "src_coal_mines"
    __audit_type__ = "coal_mine"

    #: Approved production capacity (核定生产能力), t/a.
    capacity_t: Mapped[float] = mapped_column(Float)
    #: Mining licence number (采矿许可证号).
    licence_no: Mapped[str | None] = mapped_column(String(64))
    operator: Mapped[str | None] = mapped_column(String(100))


class CoalMineRow(RegisterRow):
    capacity_t: float = Field(gt=0, le=20_000_000)
    licence_no: str | None = Field(default=None, max_length=64)
    operator: str | None = Field(default=None, max_length=100)


CLOSURE_CHECKS = (
    ChecklistItem(
        "shafts_sealed", "井筒封闭填实", "shafts sealed", CLAUSE_8, evidence_required=True
    ),
    ChecklistItem("equipment_removed", "生产设备拆除", "equipment removed", CLAUSE_8, True),
    ChecklistItem("power_cut", "供电切断", "power cut", CLAUSE_8, True),
    ChecklistItem("licences_cancelled", "证照注销", "licences cancelled", CLAUSE_8, True),
)
#: A revisit's question: is the closed mine idle (a fail: it produces again).
NOT_PRODUCING = ChecklistItem("not_producing", "未恢复生产", "not producing", CLAUSE_8)
CHECKLIST = (*CLOSURE_CHECKS, NOT_PRODUCING)


def _closure_holds(facts: Facts) -> list[Unmet]:
    return [
        (f"「{item.zh}」未核查合格并附证明", f"'{item.en}' not checked as done with proof")
        for item in CLOSURE_CHECKS
        if not facts.latest_with_evidence(item.key)
    ]


LIFECYCLE = Lifecycle(
    states=(
        State("operating", "生产（在册）", "operating"),
        State("closing", "列入关闭", "listed for closure"),
        State("closed", "已关闭", "closed", closed=True),
    ),
    initial="operating",
    transitions=(
        step(
            "list_for_closure",
            ("列入关闭名单", "list for closure"),
            {"operating"},
            "closing",
            KEEPERS,
            CLAUSE_8,
        ),
        step(
            "close",
            ("关闭到位", "close"),
            {"closing"},
            "closed",
            KEEPERS,
            CLAUSE_8,
            guard=_closure_holds,
        ),
        step(
            "reopen",
            ("重新整治", "reopen"),
            {"closed"},
            "closing",
            VERIFIERS,
            CLAUSE_8,
            note_required=True,
        ),
    ),
)


def _producing_after_closure(facts: Facts) -> Breach | None:
    """A closed mine found producing at a check after its closure."""
    record = facts.record
    if record.state != "closed":
        return None
    for check in facts.checks:
        if check.checked_at < record.state_since:
            break
        entry = (check.items or {}).get(NOT_PRODUCING.key)
        if entry is not None and entry["result"] == "fail":
            return Breach(
                title=f"已关闭煤矿恢复生产：{record.name}",
                description=f"{check.checked_at:%Y-%m-%d} 核查发现已关闭煤矿 {record.key} 生产 / "
                "a closed mine was found producing",
                observed_at=check.checked_at,
                severity="major",
                accountability=True,
            )
    return None


def _closed_mines(session: Session) -> list[CoalMine]:
    return list(
        session.scalars(select(CoalMine).where(CoalMine.state == "closed").order_by(CoalMine.key))
    )


def mines_closed(session: Session) -> IndicatorValue:
    closed = _closed_mines(session)
    return IndicatorValue(
        "coal_mines_closed",
        float(len(closed)),
        len(closed),
        "台账中关闭到位的煤矿家数",
        "mines closed in the register",
        tuple((f"{mine.key} {mine.name}", 1.0) for mine in closed),
    )


def capacity_eliminated(session: Session) -> IndicatorValue:
    closed = _closed_mines(session)
    total = sum(mine.capacity_t for mine in closed)
    return IndicatorValue(
        "coal_capacity_eliminated",
        float(total),
        len(closed),
        f"关闭到位的 {len(closed)} 家煤矿核定产能之和（吨/年）",
        f"approved capacity of the {len(closed)} mines closed (t/a)",
        tuple((f"{mine.key} {mine.name}", float(mine.capacity_t)) for mine in closed),
    )


def _sample(context: SampleContext) -> list[CoalMineRow]:
    rng = context.rng
    mining = [
        area for area in context.areas if area[0][-3:] in ("100", "103", "104", "105", "108", "400")
    ]
    rows = []
    for number in range(1, 7):
        code, area_name = rng.choice(mining or list(context.areas))
        longitude, latitude = sample_point(rng)
        rows.append(
            CoalMineRow(
                key=f"MK-{number:03d}",
                name=f"示例{area_name}{'一二三四五六'[number - 1]}号煤矿",
                area_code=code,
                unit_code="mtj",
                address=f"{area_name}示例村",
                longitude=longitude,
                latitude=latitude,
                deadline=date(2017, 12, 31) if number <= 3 else None,
                note=SAMPLE_NOTE,
                capacity_t=float(rng.choice((90_000, 150_000, 210_000, 300_000, 450_000))),
                licence_no=f"C41000020090711{number:05d}",
                operator=f"新密市示例煤业有限公司{number}",
            )
        )
    return rows


KIND = RegisterKind(
    key="coal_mine",
    zh="煤矿",
    en="coal mine",
    tasks=("8",),
    model=CoalMine,
    row=CoalMineRow,
    columns=columns(
        Column(
            "capacity_t",
            "capacity t/a",
            "核定生产能力（吨/年）",
            aliases=("核定产能", "生产能力"),
            example="150000",
        ),
        Column("licence_no", "licence no", "采矿许可证号", example="C4100002009071120000001"),
        Column("operator", "operator", "采矿权人", example="新密市某煤业有限公司"),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "producing_after_closure",
            "关闭煤矿恢复生产",
            "closed mine producing again",
            CLAUSE_8,
            _producing_after_closure,
        ),
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_8,
            title=lambda record: f"煤矿逾期未关闭：{record.name}",
            label=("逾期未关闭", "not closed by the deadline"),
            applies=lambda record: record.state == "closing",
        ),
    ),
    indicators=(
        Indicator("coal_mines_closed", mines_closed),
        Indicator("coal_capacity_eliminated", capacity_eliminated),
    ),
    sample=_sample,
    list_fields=("capacity_t", "operator"),
    order=8,
)
