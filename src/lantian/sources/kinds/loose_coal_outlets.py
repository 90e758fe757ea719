"""Loose-coal sales outlets (散煤销售网点, plan task 13) in the townships converted to gas or power.

Task 13: "对已完成以电代煤、以气代煤的乡镇、街道，要创新煤炭管控机制，从煤炭销售供应侧着力，一律取消散煤
销售网点，严禁散煤流入。" Whether an outlet's township has completed the conversion is read from the
clean-heating register (task 10, :mod:`lantian.sources.kinds.clean_heating`), not typed in: a
township is converted once every village of it the register lists for conversion (central heating
reaching a village takes it out of the conversion) is accepted (验收, the state that register closes
on), from the day the last of them was accepted. An outlet still open in a converted township is a
breach; an outlet closed off only when a check found it no longer selling, with a photo; a closed
outlet found selling again is a breach.

Lifecycle::

    open ──close (checked no longer selling, with a photo)──► closed
    closed ──reopen (a revisit found it selling; note required)──► open
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import Field
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.kinds._coal import CLAUSE_13_OUTLETS, SAMPLE_NOTE, china_day, sample_point
from lantian.sources.kinds.clean_heating import LIFECYCLE as VILLAGE_LIFECYCLE
from lantian.sources.kinds.clean_heating import HeatingVillage
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    RegisterKind,
    Rule,
    SampleContext,
    end_of_day,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column


class LooseCoalOutlet(RegisterRecord):
    __tablename__ = "src_loose_coal_outlets"
    __audit_type__ = "loose_coal_outlet"

    operator: Mapped[str | None] = mapped_column(String(100))
    licence_no: Mapped[str | None] = mapped_column(String(64))


class LooseCoalOutletRow(RegisterRow):
    operator: str | None = Field(default=None, max_length=100)
    licence_no: str | None = Field(default=None, max_length=64)


NOT_SELLING = ChecklistItem(
    "not_selling", "已停止销售散煤", "no longer selling loose coal", CLAUSE_13_OUTLETS, True
)
CHECKLIST = (NOT_SELLING,)


def _not_selling(facts: Facts) -> list[Unmet]:
    return unproven(facts, (NOT_SELLING,))


LIFECYCLE = Lifecycle(
    states=(
        State("open", "经营中", "open"),
        State("closed", "已取消", "closed", closed=True),
    ),
    initial="open",
    transitions=(
        step(
            "close",
            ("取消网点", "close"),
            {"open"},
            "closed",
            KEEPERS,
            CLAUSE_13_OUTLETS,
            guard=_not_selling,
        ),
        step(
            "reopen",
            ("重新整治", "reopen"),
            {"closed"},
            "open",
            VERIFIERS,
            CLAUSE_13_OUTLETS,
            note_required=True,
        ),
    ),
)


def township_converted_on(session: Session, area_code: str | None) -> date | None:
    """The day a township completed the conversion (双替代): the day the last of its villages to
    convert was accepted in the clean-heating register; None while any is not (or it has none)."""
    if area_code is None:
        return None
    villages = session.execute(
        select(HeatingVillage.state, HeatingVillage.state_since).where(
            HeatingVillage.area_code == area_code, HeatingVillage.central_heating.is_(False)
        )
    ).all()
    accepted = VILLAGE_LIFECYCLE.closed_states
    if not villages or any(state not in accepted for state, _ in villages):
        return None
    return max(china_day(since) for _, since in villages)


def _township(session: Session, record: RegisterRecord) -> Mapping[str, Any]:
    return {"converted_on": township_converted_on(session, record.area_code)}


def _open_in_converted_township(facts: Facts) -> Breach | None:
    record = facts.record
    converted_on = facts.context.get("converted_on")
    if record.state != "open" or converted_on is None or converted_on > facts.today:
        return None
    return Breach(
        title=f"已完成双替代乡镇仍有散煤销售网点：{record.name}",
        description=f"{record.key} 所在乡镇的“双替代”村庄已于 {converted_on} 全部验收，网点仍在经营 / "
        f"a loose-coal outlet is open in a township converted to gas or electricity "
        f"(every village accepted by {converted_on})",
        observed_at=end_of_day(max(converted_on, china_day(record.state_since))),
        severity="serious",
    )


def _selling_after_closure(facts: Facts) -> Breach | None:
    record = facts.record
    if record.state != "closed":
        return None
    for check in facts.checks:
        if check.checked_at < record.state_since:
            break
        entry = (check.items or {}).get(NOT_SELLING.key)
        if entry is not None and entry["result"] == "fail":
            return Breach(
                title=f"已取消的散煤销售网点恢复销售：{record.name}",
                description=f"{check.checked_at:%Y-%m-%d} 核查发现 {record.key} 销售散煤 / a "
                "closed outlet was found selling loose coal",
                observed_at=check.checked_at,
                severity="serious",
            )
    return None


def _sample(context: SampleContext) -> list[LooseCoalOutletRow]:
    rng = context.rng
    rows = []
    number = 0
    for code, area_name in context.areas:
        for _ in range(rng.randint(1, 4)):
            number += 1
            longitude, latitude = sample_point(rng)
            rows.append(
                LooseCoalOutletRow(
                    key=f"SMWD-{code[-3:]}-{number:03d}",
                    name=f"示例{area_name}散煤销售点{number:03d}",
                    area_code=code,
                    unit_code="gszjj",
                    address=f"{area_name}示例村",
                    longitude=longitude,
                    latitude=latitude,
                    note=SAMPLE_NOTE,
                    operator=f"示例经营者{number:03d}",
                )
            )
    return rows


KIND = RegisterKind(
    key="loose_coal_outlet",
    zh="散煤销售网点",
    en="loose-coal outlet",
    tasks=("13",),
    model=LooseCoalOutlet,
    row=LooseCoalOutletRow,
    columns=columns(
        Column("operator", "operator", "经营者", example="李四 13900000000"),
        Column("licence_no", "licence no", "营业执照号", example="91410183MA000000X"),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "open_in_converted_township",
            "双替代乡镇散煤网点未取消",
            "outlet open in a converted township",
            CLAUSE_13_OUTLETS,
            _open_in_converted_township,
        ),
        Rule(
            "selling_after_closure",
            "取消后恢复销售",
            "selling again after closure",
            CLAUSE_13_OUTLETS,
            _selling_after_closure,
        ),
    ),
    sample=_sample,
    list_fields=("operator", "licence_no"),
    context=_township,
    order=13,
)
