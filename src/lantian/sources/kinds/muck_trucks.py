"""Muck trucks (渣土运输车, plan task 29): the register of trucks with their enclosure, GPS and
permit.

Task 29: "全市渣土运输车要安装密闭装置和定位系统，逐一登记造册，建立台账；渣土运输车不符合要求上路行驶的，
一经查处按上限处罚并取消渣土运输资格；严厉打击黑渣土车。"

A truck is registered (登记造册), checked on the spot (密闭装置 and 定位系统 each with a photo) and
approved (核准) with its permit; a truck found not meeting the rules loses its permit
(取消渣土运输资格). Trucks found at a site or on the road are the findings of
:mod:`lantian.sources.kinds.muck_truck_findings` (an unregistered plate there is a 黑渣土车).

Lifecycle::

    registered ──approve (密闭 + 定位 checked with photos, permit number)──► approved
    registered / approved ──disqualify (取消渣土运输资格)──► disqualified
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, field_validator
from sqlalchemy import Boolean, Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, VERIFIERS, Lifecycle, State, Unmet
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
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

CLAUSE_REGISTER = "任务29：全市渣土运输车要安装密闭装置和定位系统，逐一登记造册，建立台账"
CLAUSE_PENALTY = "任务29：渣土运输车不符合要求上路行驶的，一经查处按上限处罚并取消渣土运输资格"
#: A Chinese plate: province character, letter, five or six letters and digits (new energy: six).
PLATE_PATTERN = r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}$"


def normal_plate(value: str) -> str:
    """A plate as the register keeps it: no spaces or dots, letters upper case."""
    return value.replace(" ", "").replace("·", "").replace(".", "").upper()


class MuckTruck(RegisterRecord):
    __tablename__ = "src_muck_trucks"
    __audit_type__ = "muck_truck"

    plate: Mapped[str] = mapped_column(String(16), unique=True)
    company: Mapped[str] = mapped_column(String(200))
    enclosure: Mapped[bool] = mapped_column(Boolean, default=False)
    gps: Mapped[bool] = mapped_column(Boolean, default=False)
    permit_no: Mapped[str | None] = mapped_column(String(64))
    permit_until: Mapped[date | None] = mapped_column(Date)


class MuckTruckRow(RegisterRow):
    plate: str = Field(pattern=PLATE_PATTERN)
    company: str = Field(min_length=1, max_length=200)
    enclosure: bool = False
    gps: bool = False
    permit_no: str | None = Field(default=None, max_length=64)
    permit_until: date | None = None

    @field_validator("plate", mode="before")
    @classmethod
    def _plate(cls, value: object) -> object:
        return normal_plate(value) if isinstance(value, str) else value


ENCLOSURE = ChecklistItem("enclosure", "密闭装置", "enclosure fitted", CLAUSE_REGISTER, True)
GPS = ChecklistItem("gps", "定位系统", "GPS fitted and online", CLAUSE_REGISTER, True)
PERMIT = ChecklistItem("permit", "核准手续", "permit in order", CLAUSE_PENALTY)
CHECKLIST = (ENCLOSURE, GPS, PERMIT)


def _approval_unmet(facts: Facts) -> list[Unmet]:
    record = facts.record
    assert isinstance(record, MuckTruck)
    unmet = unproven(facts, (ENCLOSURE, GPS))
    if not record.enclosure or not record.gps:
        unmet.append(
            ("台账未登记已安装密闭装置和定位系统", "the register lacks the enclosure or the GPS")
        )
    if not record.permit_no:
        unmet.append(("未填写核准证号", "no permit number"))
    return unmet


LIFECYCLE = Lifecycle(
    states=(
        State("registered", "已登记", "registered"),
        State("approved", "已核准", "approved", closed=True),
        State("disqualified", "已取消运输资格", "disqualified", closed=True),
    ),
    initial="registered",
    transitions=(
        step(
            "approve",
            ("核准上路", "approve"),
            {"registered"},
            "approved",
            OFFICE_ROLES | {"unit"},
            CLAUSE_REGISTER,
            guard=_approval_unmet,
        ),
        step(
            "disqualify",
            ("取消渣土运输资格", "disqualify"),
            {"registered", "approved"},
            "disqualified",
            VERIFIERS | KEEPERS,
            CLAUSE_PENALTY,
            note_required=True,
        ),
    ),
)


def _equipment_failed(facts: Facts) -> Breach | None:
    """An approved truck whose newest check found the enclosure or the GPS not working."""
    record = facts.record
    assert isinstance(record, MuckTruck)
    if record.state != "approved":
        return None
    for check in facts.checks:
        items = check.items or {}
        failed = [
            item.zh for item in CHECKLIST if (items.get(item.key) or {}).get("result") == "fail"
        ]
        if not any(key in items for key in ("enclosure", "gps", "permit")):
            continue
        if not failed:
            return None
        return Breach(
            title=f"渣土车不符合要求：{record.plate}",
            description=f"{'、'.join(failed)}不合格 / the truck fails: {', '.join(failed)}",
            observed_at=check.checked_at,
            severity="serious",
        )
    return None


def _equipped_share(session: Session) -> IndicatorValue:
    rows = session.execute(
        select(MuckTruck.company, MuckTruck.enclosure, MuckTruck.gps).where(
            MuckTruck.state != "disqualified"
        )
    ).all()
    by_company: dict[str, list[bool]] = {}
    for row in rows:
        by_company.setdefault(row.company, []).append(bool(row.enclosure and row.gps))
    equipped = sum(ok for oks in by_company.values() for ok in oks)
    return IndicatorValue(
        "muck_trucks_enclosed_gps",
        100.0 * equipped / len(rows) if rows else None,
        len(rows),
        f"在册渣土车 {len(rows)} 辆中已安装密闭装置和定位系统的比例",
        f"share of the {len(rows)} registered muck trucks with enclosure and GPS",
        tuple(
            (company, 100.0 * sum(oks) / len(oks)) for company, oks in sorted(by_company.items())
        ),
    )


COMPANIES = ("新密市某渣土运输有限公司", "新密市某运输车队", "郑州某土石方工程有限公司")


def _sample(context: SampleContext) -> list[MuckTruckRow]:
    rng = context.rng
    rows = []
    number = 0
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    for code, area_name in context.areas:
        for _ in range(rng.randint(1, 4)):
            number += 1
            fitted = rng.random() < 0.8
            plate = f"豫A{rng.choice(letters)}{rng.randint(1000, 9999)}"
            rows.append(
                MuckTruckRow(
                    key=f"ZTC-{code[-3:]}-{number:04d}",
                    name=f"{plate} 渣土运输车",
                    area_code=code,
                    unit_code="zfj",
                    address=f"{area_name}示例停车场",
                    deadline=date(2017, 10, 31),
                    note="示例数据 / sample",
                    plate=plate,
                    company=rng.choice(COMPANIES),
                    enclosure=fitted,
                    gps=fitted or rng.random() < 0.5,
                    permit_no=f"XM-ZT-2017-{number:04d}" if fitted else None,
                    permit_until=date(2018, 6, 30) if fitted else None,
                )
            )
    return rows


KIND = RegisterKind(
    key="muck_truck",
    zh="渣土运输车",
    en="muck truck",
    tasks=("29",),
    model=MuckTruck,
    row=MuckTruckRow,
    columns=columns(
        Column(
            "plate",
            "plate",
            "车牌号",
            aliases=("号牌", "车牌"),
            example="豫A12345",
            note_zh="如 豫A12345（字母大写）",
            note_en="e.g. 豫A12345",
            width=12,
        ),
        Column("company", "company", "运输企业", example="新密市某渣土运输有限公司", width=24),
        Column("enclosure", "enclosure", "密闭装置", example="是", width=10),
        Column("gps", "GPS", "定位系统", example="是", width=10),
        Column("permit_no", "permit number", "核准证号", example="XM-ZT-2017-0001", width=16),
        Column("permit_until", "permit valid until", "核准有效期至", example="2018-06-30"),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_REGISTER,
            title=lambda record: f"渣土车逾期未完成密闭和定位改造并核准：{record.plate}",
            label=("逾期未核准", "not approved by the deadline"),
        ),
        Rule(
            "equipment_failed",
            "密闭或定位不合格",
            "enclosure or GPS failing",
            CLAUSE_PENALTY,
            _equipment_failed,
        ),
    ),
    indicators=(Indicator("muck_trucks_enclosed_gps", _equipped_share),),
    sample=_sample,
    list_fields=("plate", "company", "enclosure", "gps"),
    filter_fields=(),
    order=29,
)
