"""Fireworks found sold, stored or set off (烟花爆竹违法行为查处, plan task 36) and the ban zones they are
judged by.

Task 36: "按照烟花爆竹禁放要求，加大执法力度，严格查处违法燃放烟花爆竹行为。" The annex (面源治理 /
燃放烟花爆竹): "在城区范围内，全年禁止燃放任何形式的烟花爆竹。"

One entry is one finding of the police (市公安局, lead unit) or a cooperating unit (安监局, 工商质监局,
供销社): where (coordinates, required), when, what (sale, storage, setting off), how much, who. A
finding inside a fireworks ban zone of the plan (``ban_zones.geojson``, zones whose ``bans`` hold
``fireworks``) is a breach: it opens a case for the finding's township. The finding is closed once
dealt with — the fireworks confiscated or the party penalised — with the evidence on file.

Lifecycle::

    found ──investigate──► investigating ──deal (confiscated / penalised, with a photo or the decision)──► dealt_with
    found / investigating ──dismiss (not a violation: outside the zone, lawful sale; a note)──► dismissed
    dealt_with ──reopen (found again)──► investigating
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import Date, Float, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources import registry
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
    end_of_day,
    overdue_rule,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

if TYPE_CHECKING:
    from lantian.plan import Plan

FINDINGS = {"setting_off": "燃放", "sale": "销售", "storage": "储存"}
Finding = Literal["setting_off", "sale", "storage"]
CLAUSE_36 = "任务36：按照烟花爆竹禁放要求，加大执法力度，严格查处违法燃放烟花爆竹行为"
CLAUSE_ZONE = "附件（燃放烟花爆竹）：在城区范围内，全年禁止燃放任何形式的烟花爆竹"


class FireworksFinding(RegisterRecord):
    __tablename__ = "src_fireworks_findings"
    __audit_type__ = "fireworks_finding"

    found_on: Mapped[date] = mapped_column(Date, index=True)
    finding: Mapped[str] = mapped_column(String(12))
    #: How much was found, in boxes (箱) as the police count it.
    quantity_boxes: Mapped[float | None] = mapped_column(Float)
    #: Who sold, stored or set them off (当事人).
    party: Mapped[str | None] = mapped_column(String(100))


class FireworksRow(RegisterRow):
    found_on: date
    finding: Finding
    quantity_boxes: float | None = Field(default=None, ge=0, le=1e6)
    party: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _located(self) -> FireworksRow:
        if self.longitude is None or self.latitude is None:
            raise ValueError(
                "发现地点须填写经度和纬度（判断是否在禁放区内）/ a finding needs its longitude "
                "and latitude (to judge whether it lies in a fireworks ban zone)"
            )
        return self


CONFISCATED = ChecklistItem(
    "confiscated", "烟花爆竹已收缴", "fireworks confiscated", CLAUSE_36, evidence_required=True
)
PENALISED = ChecklistItem(
    "penalised", "已依法处罚（处罚决定书）", "penalised (decision on file)", CLAUSE_36, True
)
NOT_AGAIN = ChecklistItem("not_again", "回访未再发现", "not found again at a revisit", CLAUSE_36)
CHECKLIST = (CONFISCATED, PENALISED, NOT_AGAIN)


def _dealt_with_holds(facts: Facts) -> list[Unmet]:
    """Dealt with: confiscated or penalised, either proven by a photo or the decision."""
    if facts.latest_with_evidence(CONFISCATED.key) or facts.latest_with_evidence(PENALISED.key):
        return []
    return [
        (
            "未核查到收缴或处罚（需附照片或处罚决定书）",
            "neither a confiscation nor a penalty checked with a photo or the decision",
        )
    ]


LIFECYCLE = Lifecycle(
    states=(
        State("found", "已发现", "found"),
        State("investigating", "查处中", "being dealt with"),
        State("dealt_with", "已查处", "dealt with", closed=True),
        State("dismissed", "不予处理", "dismissed", closed=True),
    ),
    initial="found",
    transitions=(
        step(
            "investigate",
            ("立案查处", "investigate"),
            {"found"},
            "investigating",
            KEEPERS | VERIFIERS,
            CLAUSE_36,
        ),
        step(
            "deal",
            ("查处完毕", "dealt with"),
            {"found", "investigating"},
            "dealt_with",
            KEEPERS | VERIFIERS,
            CLAUSE_36,
            guard=_dealt_with_holds,
        ),
        step(
            "dismiss",
            ("不予处理", "dismiss"),
            {"found", "investigating"},
            "dismissed",
            VERIFIERS,
            CLAUSE_36,
            note_required=True,
        ),
        step(
            "reopen",
            ("再次发现", "found again"),
            {"dealt_with", "dismissed"},
            "investigating",
            VERIFIERS,
            CLAUSE_36,
            note_required=True,
        ),
    ),
)


def in_fireworks_zone(plan: Plan | None, longitude: float | None, latitude: float | None) -> bool:
    """Whether a point lies in one of the plan's fireworks ban zones (False without one)."""
    return registry.in_ban_zone("fireworks", plan, longitude, latitude)


def fireworks_zone_geojson(plan: Plan) -> dict[str, Any] | None:
    """The plan's fireworks ban zones for the register's map (None: the plan has none)."""
    return registry.ban_zone_layer("fireworks", plan)


def _what(record: Any) -> str:
    return FINDINGS.get(record.finding, str(record.finding))


def _inside_zone(facts: Facts) -> Breach | None:
    """Fireworks sold, stored or set off inside a fireworks ban zone."""
    record: Any = facts.record
    if not in_fireworks_zone(facts.plan, record.longitude, record.latitude):
        return None
    observed = end_of_day(record.found_on)
    amount = f" {record.quantity_boxes:g} 箱" if record.quantity_boxes else ""
    return Breach(
        title=f"烟花爆竹禁放区内{_what(record)}烟花爆竹：{record.address or record.name}",
        description=f"{record.found_on} 在禁放区内（{record.longitude}, {record.latitude}）发现"
        f"{_what(record)}烟花爆竹{amount}，当事人 {record.party or '不明'} / fireworks "
        f"{record.finding.replace('_', ' ')} inside a fireworks ban zone",
        observed_at=observed,
        severity="serious",
        deadline=observed + timedelta(days=3),
    )


def _share_dealt_with(session: Session) -> IndicatorValue:
    """Of the findings inside the plan's fireworks ban zones, the share dealt with (查处率)."""
    from lantian.plan import plan_in_force

    plan = plan_in_force()
    model = FireworksFinding
    rows = session.execute(
        select(model.finding, model.state, model.longitude, model.latitude)
    ).all()
    inside = [r for r in rows if in_fireworks_zone(plan, r.longitude, r.latitude)]
    dealt = [r for r in inside if r.state == "dealt_with"]
    detail = tuple(
        (
            f"{zh} {key}",
            round(
                100.0
                * sum(1 for r in dealt if r.finding == key)
                / max(1, sum(1 for r in inside if r.finding == key)),
                1,
            ),
        )
        for key, zh in FINDINGS.items()
        if any(r.finding == key for r in inside)
    )
    return IndicatorValue(
        "fireworks_ban_violations_dealt_share",
        round(100.0 * len(dealt) / len(inside), 1) if inside else None,
        len(inside),
        f"禁放区内发现 {len(inside)} 起，已查处 {len(dealt)} 起",
        f"{len(dealt)} of the {len(inside)} findings inside the ban zones dealt with",
        detail,
    )


#: The city seat's centre (the demo's findings in the built-up area, where the ban is).
SEAT = (113.385, 34.537)


def _sample(context: SampleContext) -> list[FireworksRow]:
    """The police's findings of the summer before the campaign (weddings, shop openings): half
    in the city seat, the rest in towns; dated before the demo's steps (from 2017-08-01)."""
    rng = context.rng
    rows: list[FireworksRow] = []
    areas = list(context.areas)
    seat_area = next((a for a in areas if a[0].endswith("100")), areas[0])
    parties = ("张某", "李某", "王某", "刘某", "某烟花爆竹经营部", "某婚庆公司", "某超市")
    for number in range(1, 25):
        in_seat = number % 2 == 0
        code, area_name = seat_area if in_seat else rng.choice(areas)
        if in_seat:
            longitude = SEAT[0] + rng.uniform(-0.02, 0.02)
            latitude = SEAT[1] + rng.uniform(-0.015, 0.015)
        else:
            longitude = 113.2 + rng.random() * 0.35
            latitude = 34.4 + rng.random() * 0.1
        found_on = date(2017, 8, 5) + timedelta(days=rng.randint(0, 150))  # the campaign's months
        finding: Finding = rng.choices(("setting_off", "sale", "storage"), (6, 3, 1))[0]
        rows.append(
            FireworksRow(
                key=f"YHBZ-{found_on:%m%d}-{number:03d}",
                name=f"{area_name}{FINDINGS[finding]}烟花爆竹",
                area_code=code,
                unit_code="gaj",
                address=f"新密市{area_name}",
                longitude=round(longitude, 5),
                latitude=round(latitude, 5),
                deadline=found_on + timedelta(days=7),
                note="示例数据 / sample",
                found_on=found_on,
                finding=finding,
                quantity_boxes=float(rng.choice((1, 2, 5, 10, 30))),
                party=rng.choice(parties),
            )
        )
    return rows


KIND = RegisterKind(
    key="fireworks_finding",
    zh="烟花爆竹违法查处",
    en="fireworks finding",
    tasks=("36",),
    model=FireworksFinding,
    row=FireworksRow,
    columns=columns(
        Column("found_on", "found on", "发现日期", example="2018-02-15", width=12),
        Column("finding", "finding", "违法行为", choices=FINDINGS, example="燃放 setting_off"),
        Column("quantity_boxes", "quantity boxes", "数量（箱）", example="5", width=10),
        Column("party", "party", "当事人", example="张某", width=16),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "in_ban_zone",
            "禁放区内燃放、销售、储存烟花爆竹",
            "fireworks in a ban zone",
            CLAUSE_ZONE,
            _inside_zone,
        ),
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_36,
            title=lambda record: f"烟花爆竹违法行为逾期未查处：{record.name}",
            label=("逾期未查处", "not dealt with by the deadline"),
        ),
    ),
    indicators=(Indicator("fireworks_ban_violations_dealt_share", _share_dealt_with),),
    sample=_sample,
    list_fields=("found_on", "finding", "party"),
    filter_fields=("finding",),
    order=36,
    map_layer=fireworks_zone_geojson,
    cooperating={
        # 配合单位：市安监局、工商质监局、供销社 — they seize fireworks stored or sold unlawfully.
        "ajj": frozenset({CONFISCATED.key}),
        "gszjj": frozenset({CONFISCATED.key}),
        "gxs": frozenset({CONFISCATED.key}),
    },
    notes=(
        (
            "经纬度必填：平台据此判断是否位于烟花爆竹禁放区内（计划的 ban_zones.geojson）。",
            "Longitude and latitude are required: they decide whether the finding lies in a "
            "fireworks ban zone (the plan's ban_zones.geojson).",
        ),
    ),
)
