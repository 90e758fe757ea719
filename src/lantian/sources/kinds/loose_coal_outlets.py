"""Loose-coal sales outlets (散煤销售网点, plan task 13) in the townships converted to gas or power.

Task 13: "对已完成以电代煤、以气代煤的乡镇、街道，要创新煤炭管控机制，从煤炭销售供应侧着力，一律取消散煤
销售网点，严禁散煤流入。" Each outlet says whether its township has completed the conversion (what
the township reports; the clean-heating register is the place that knows it once both are merged).
An outlet still open in a converted township is a breach; an outlet closed off only when a check
found it no longer selling, with a photo; a closed outlet found selling again is a breach.

Lifecycle::

    open ──close (checked no longer selling, with a photo)──► closed
    closed ──reopen (a revisit found it selling; note required)──► open
"""

from __future__ import annotations

from pydantic import Field
from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from lantian.sources.kinds._coal import CLAUSE_13_OUTLETS, SAMPLE_NOTE, sample_point
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

    #: The outlet's township has completed the conversion to gas or electricity (双替代).
    converted_township: Mapped[bool] = mapped_column(Boolean, default=False)
    operator: Mapped[str | None] = mapped_column(String(100))
    licence_no: Mapped[str | None] = mapped_column(String(64))


class LooseCoalOutletRow(RegisterRow):
    converted_township: bool = False
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


def _open_in_converted_township(facts: Facts) -> Breach | None:
    record = facts.record
    assert isinstance(record, LooseCoalOutlet)
    if not record.converted_township or record.state != "open":
        return None
    from lantian.sources.kinds._coal import china_day

    return Breach(
        title=f"已完成双替代乡镇仍有散煤销售网点：{record.name}",
        description=f"{record.key} 位于已完成电代煤、气代煤的乡镇，仍在经营 / a loose-coal outlet "
        "is open in a township converted to gas or electricity",
        observed_at=end_of_day(china_day(record.state_since)),
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
        converted = rng.random() < 0.4
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
                    converted_township=converted,
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
        Column(
            "converted_township",
            "converted township",
            "所在乡镇已完成双替代",
            aliases=("已完成双替代",),
            example="是",
            width=12,
        ),
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
    list_fields=("converted_township", "operator"),
    order=13,
)
