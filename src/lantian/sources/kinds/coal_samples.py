"""Coal-quality samples taken at coal sellers (煤质抽检, plan task 13).

Task 13: "严厉打击劣质煤销售，确保行政区域内使用的煤炭质量符合国家或地方煤炭质量标准". Each sample
records the seller, the coal type and the laboratory's sulphur, ash and volatile matter. The limits
are the plan's (``coal_quality`` in plan.yaml, per coal type), never constants here: the default
plan's figures are marked UNCONFIRMED there. A sample over a limit opens a case for the seller's
township; it is closed off as dealt with (查处) only when it failed, as passed only when it met
every limit.

Lifecycle::

    recorded ──accept (every measured value within the plan's limits)──► passed
    recorded ──deal_with (over a limit; what was done is said in the note)──► dealt_with
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field
from sqlalchemy import Date, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from lantian.plan import Plan
from lantian.sources.kinds._coal import CLAUSE_13_QUALITY, SAMPLE_NOTE, sample_point
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import Breach, Facts, RegisterKind, Rule, SampleContext, end_of_day
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

COAL_TYPES = {"anthracite": "无烟煤", "bituminous": "烟煤", "briquette": "洁净型煤"}
CoalType = Literal["anthracite", "bituminous", "briquette"]
#: The measured items and their limit in the plan's ``coal_quality.limits``: (field, limit, zh, en).
MEASURES = (
    ("sulphur_pct", "sulphur_max", "全硫", "sulphur"),
    ("ash_pct", "ash_max", "灰分", "ash"),
    ("volatile_pct", "volatile_max", "挥发分", "volatile matter"),
)


class CoalSample(RegisterRecord):
    __tablename__ = "src_coal_samples"
    __audit_type__ = "coal_sample"

    sampled_on: Mapped[date] = mapped_column(Date)
    coal_type: Mapped[str] = mapped_column(String(12))
    #: Total sulphur, dry basis (St,d), %.
    sulphur_pct: Mapped[float | None] = mapped_column(Float)
    #: Ash, dry basis (Ad), %.
    ash_pct: Mapped[float | None] = mapped_column(Float)
    #: Volatile matter, dry ash-free basis (Vdaf), %.
    volatile_pct: Mapped[float | None] = mapped_column(Float)
    report_no: Mapped[str | None] = mapped_column(String(64))


class CoalSampleRow(RegisterRow):
    sampled_on: date
    coal_type: CoalType
    sulphur_pct: float | None = Field(default=None, ge=0, le=100)
    ash_pct: float | None = Field(default=None, ge=0, le=100)
    volatile_pct: float | None = Field(default=None, ge=0, le=100)
    report_no: str | None = Field(default=None, max_length=64)


def exceeded(record: CoalSample, plan: Plan) -> list[tuple[str, str, float, float]] | None:
    """The items over the plan's limit: (zh, en, measured, limit); ``None``: the plan sets no
    limits for this coal type (the sample cannot be judged)."""
    quality = plan.plan.coal_quality if plan.plan is not None else None
    limits = quality.limits.get(record.coal_type) if quality is not None else None
    if limits is None:
        return None
    over = []
    for field, limit_name, zh, en in MEASURES:
        measured: float | None = getattr(record, field)
        limit: float | None = getattr(limits, limit_name)
        if measured is not None and limit is not None and measured > limit:
            over.append((zh, en, measured, limit))
    return over


def _within_limits(facts: Facts) -> list[Unmet]:
    record = facts.record
    assert isinstance(record, CoalSample)
    over = exceeded(record, facts.plan_in_force())
    if over is None:
        return [("计划未规定该煤种的限值", "the plan sets no limits for this coal type")]
    return [
        (f"{zh} {m}% 超过限值 {lim}%", f"{en} {m}% over the {lim}% limit")
        for zh, en, m, lim in over
    ]


def _over_limits(facts: Facts) -> list[Unmet]:
    record = facts.record
    assert isinstance(record, CoalSample)
    if not exceeded(record, facts.plan_in_force()):
        return [("样品未超标，应判定合格", "the sample is within the limits: accept it")]
    return []


LIFECYCLE = Lifecycle(
    states=(
        State("recorded", "已抽检", "sampled"),
        State("passed", "合格", "passed", closed=True),
        State("dealt_with", "不合格已查处", "failed and dealt with", closed=True),
    ),
    initial="recorded",
    transitions=(
        step(
            "accept",
            ("判定合格", "accept"),
            {"recorded"},
            "passed",
            KEEPERS | VERIFIERS,
            CLAUSE_13_QUALITY,
            guard=_within_limits,
        ),
        step(
            "deal_with",
            ("查处完毕", "dealt with"),
            {"recorded"},
            "dealt_with",
            KEEPERS | VERIFIERS,
            CLAUSE_13_QUALITY,
            guard=_over_limits,
            note_required=True,
        ),
    ),
)


def _failed_sample(facts: Facts) -> Breach | None:
    """A sample over the plan's limits: the seller sells coal below the standard (until the sample
    is closed off: a case closed afterwards is not reopened by the same sample)."""
    record = facts.record
    assert isinstance(record, CoalSample)
    if record.state in LIFECYCLE.closed_states:
        return None
    over = exceeded(record, facts.plan_in_force())
    if not over:
        return None

    quality = facts.plan_in_force().plan
    standard = quality.coal_quality.standard if quality and quality.coal_quality else ""
    return Breach(
        title=f"劣质煤销售：{record.name}（{COAL_TYPES.get(record.coal_type, record.coal_type)}）",
        description=f"{record.sampled_on} 抽检 {record.key}："
        + "；".join(f"{zh} {m}% > {lim}%" for zh, _, m, lim in over)
        + f"（{standard}）/ sample over the limits: "
        + "; ".join(f"{en} {m}% > {lim}%" for _, en, m, lim in over),
        observed_at=end_of_day(record.sampled_on),
        severity="serious",
    )


def _sample(context: SampleContext) -> list[CoalSampleRow]:
    rng = context.rng
    rows = []
    number = 0
    for code, area_name in context.areas:
        for _ in range(rng.randint(1, 3)):
            number += 1
            coal_type: CoalType = rng.choices(("anthracite", "bituminous", "briquette"), (4, 2, 3))[
                0
            ]
            bad = rng.random() < 0.15
            longitude, latitude = sample_point(rng)
            rows.append(
                CoalSampleRow(
                    key=f"MZCJ-{code[-3:]}-{number:03d}",
                    name=f"示例{area_name}煤炭经营部{number:03d}",
                    area_code=code,
                    unit_code="gszjj",
                    address=f"{area_name}示例村",
                    longitude=longitude,
                    latitude=latitude,
                    note=SAMPLE_NOTE,
                    sampled_on=date(2017, rng.choice((10, 11, 12)), rng.randint(1, 28)),
                    coal_type=coal_type,
                    sulphur_pct=round(rng.uniform(1.1, 2.4) if bad else rng.uniform(0.2, 0.5), 2),
                    ash_pct=round(rng.uniform(8.0, 15.0), 2),
                    volatile_pct=round(rng.uniform(5.0, 9.5), 2)
                    if coal_type == "anthracite"
                    else None,
                    report_no=f"XMZJ-2017-{number:04d}",
                )
            )
    return rows


KIND = RegisterKind(
    key="coal_sample",
    zh="煤质抽检",
    en="coal-quality sample",
    tasks=("13",),
    model=CoalSample,
    row=CoalSampleRow,
    columns=columns(
        Column("sampled_on", "sampled on", "抽检日期", example="2017-11-20", width=12),
        Column("coal_type", "coal type", "煤种", choices=COAL_TYPES, example="无烟煤", width=12),
        Column(
            "sulphur_pct",
            "sulphur %",
            "全硫（%）",
            aliases=("全硫", "硫分"),
            example="0.45",
            note_zh="干基全硫 St,d",
            note_en="total sulphur, dry basis (St,d)",
        ),
        Column(
            "ash_pct",
            "ash %",
            "灰分（%）",
            aliases=("灰分",),
            example="12.5",
            note_zh="干基灰分 Ad",
            note_en="ash, dry basis (Ad)",
        ),
        Column(
            "volatile_pct",
            "volatile %",
            "挥发分（%）",
            aliases=("挥发分",),
            example="8.2",
            note_zh="干燥无灰基挥发分 Vdaf",
            note_en="volatile matter, dry ash-free basis (Vdaf)",
        ),
        Column("report_no", "report no", "检验报告编号", example="XMZJ-2017-0001"),
    ),
    lifecycle=LIFECYCLE,
    rules=(
        Rule(
            "failed_sample",
            "煤质不合格",
            "coal below the standard",
            CLAUSE_13_QUALITY,
            _failed_sample,
        ),
    ),
    sample=_sample,
    list_fields=("sampled_on", "coal_type", "sulphur_pct", "ash_pct"),
    filter_fields=("coal_type",),
    order=13,
    notes=(
        (
            "限值取自计划文件 plan.yaml 的 coal_quality（默认计划的数值待核实）。",
            "The limits are the plan's (coal_quality in plan.yaml; the default plan's figures are "
            "unconfirmed).",
        ),
    ),
)
