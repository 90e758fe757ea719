"""Coal and total energy consumption statements (煤炭消费统计, plan task 6), and the coal share.

Task 6: "2017年，煤炭占能源消费总量比重降低到65%以下". The share is computed from the statements
entered (coal and total energy consumption in tonnes of standard coal, tce, per area and year),
never typed: coal ÷ total energy of the newest year entered, with each year's and each area's
share behind the figure.

Lifecycle::

    submitted ──verify (the office or the responsible unit, 发改委; a statistics source named)──► verified
    submitted / verified ──return (a figure is wrong; note required)──► returned
    returned ──resubmit (only once the figures were corrected)──► submitted

A returned statement does not count in the share until it is resubmitted.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from sqlalchemy import Float, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.kinds._coal import CLAUSE_6, CLAUSE_6_FILING, SAMPLE_NOTE, sample_point
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Facts,
    Indicator,
    IndicatorValue,
    RegisterKind,
    SampleContext,
    overdue_rule,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

#: The states whose figures count (a returned statement is being corrected: it does not).
COUNTED = ("submitted", "verified")


class CoalConsumptionStatement(RegisterRecord):
    __tablename__ = "src_coal_consumption_statements"
    __audit_type__ = "coal_consumption_statement"

    year: Mapped[int] = mapped_column(Integer, index=True)
    #: Coal consumed, tonnes of standard coal (吨标准煤).
    coal_tce: Mapped[float] = mapped_column(Float)
    #: Total energy consumed, tonnes of standard coal.
    total_energy_tce: Mapped[float] = mapped_column(Float)
    #: Where the figures come from (统计来源: the statistics bureau's table, a unit's report).
    statistics_source: Mapped[str | None] = mapped_column(String(200))


class CoalConsumptionRow(RegisterRow):
    year: int = Field(ge=2013, le=2030)
    coal_tce: float = Field(ge=0)
    total_energy_tce: float = Field(gt=0)
    statistics_source: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _coal_within_total(self) -> CoalConsumptionRow:
        if self.coal_tce > self.total_energy_tce:
            raise ValueError(
                "煤炭消费量不能大于能源消费总量 / coal cannot exceed the total energy consumption"
            )
        return self


def _verifiable(facts: Facts) -> list[Unmet]:
    record = facts.record
    assert isinstance(record, CoalConsumptionStatement)
    if not (record.statistics_source or "").strip():
        return [
            ("未填写统计来源，数据不可核查", "no statistics source: the figures cannot be checked")
        ]
    return []


def _corrected(facts: Facts) -> list[Unmet]:
    record = facts.record
    if record.updated_at <= record.state_since:
        return [
            (
                "退回后数据尚未修改",
                "the figures were not corrected since the statement was returned",
            )
        ]
    return []


LIFECYCLE = Lifecycle(
    states=(
        State("submitted", "已填报", "submitted"),
        State("returned", "退回修改", "returned for correction"),
        State("verified", "已核定", "verified", closed=True),
    ),
    initial="submitted",
    transitions=(
        step(
            "verify",
            ("核定", "verify"),
            {"submitted"},
            "verified",
            OFFICE_ROLES | {"unit"},
            CLAUSE_6,
            guard=_verifiable,
        ),
        step(
            "return",
            ("退回修改", "return for correction"),
            {"submitted", "verified"},
            "returned",
            OFFICE_ROLES | {"unit"},
            CLAUSE_6,
            note_required=True,
        ),
        step(
            "resubmit",
            ("重新填报", "resubmit"),
            {"returned"},
            "submitted",
            KEEPERS,
            CLAUSE_6,
            guard=_corrected,
        ),
    ),
)


def _share(coal: float, total: float) -> float:
    return round(100.0 * coal / total, 2) if total > 0 else 0.0


def coal_share(session: Session) -> IndicatorValue:
    """Coal ÷ total energy consumption (%) of the newest year entered (task 6's ≤ 65 %)."""
    model = CoalConsumptionStatement
    rows = session.execute(
        select(
            model.year, model.area_code, func.sum(model.coal_tce), func.sum(model.total_energy_tce)
        )
        .where(model.state.in_(COUNTED))
        .group_by(model.year, model.area_code)
    ).all()
    if not rows:
        return IndicatorValue(
            "coal_share_of_energy",
            None,
            0,
            "尚无煤炭消费统计",
            "no consumption statements entered yet",
        )
    years: dict[int, list[float]] = {}
    for year, _, coal, total in rows:
        sums = years.setdefault(int(year), [0.0, 0.0])
        sums[0] += float(coal or 0)
        sums[1] += float(total or 0)
    newest = max(years)
    records = session.scalar(
        select(func.count())
        .select_from(model)
        .where(model.year == newest, model.state.in_(COUNTED))
    )
    detail = tuple((f"{year}年 / {year}", _share(*years[year])) for year in sorted(years)) + tuple(
        (f"{newest}年 {area}", _share(float(coal or 0), float(total or 0)))
        for year, area, coal, total in sorted(rows, key=lambda r: r[1])
        if int(year) == newest
    )
    coal_sum, total_sum = years[newest]
    return IndicatorValue(
        "coal_share_of_energy",
        _share(coal_sum, total_sum),
        int(records or 0),
        f"{newest}年煤炭消费量 {coal_sum:,.0f} 吨标准煤 ÷ 能源消费总量 {total_sum:,.0f} 吨标准煤",
        f"{newest}: coal {coal_sum:,.0f} tce ÷ total energy {total_sum:,.0f} tce",
        detail,
    )


def _sample(context: SampleContext) -> list[CoalConsumptionRow]:
    rng = context.rng
    rows = []
    for code, area_name in context.areas:
        total = rng.uniform(40_000, 420_000)
        share_2016 = rng.uniform(0.62, 0.80)
        for year, share in ((2016, share_2016), (2017, share_2016 - rng.uniform(0.04, 0.12))):
            longitude, latitude = sample_point(rng)
            year_total = round(total * (1 + rng.uniform(-0.03, 0.05)), 0)
            rows.append(
                CoalConsumptionRow(
                    key=f"MTXF-{code[-3:]}-{year}",
                    name=f"{area_name}{year}年能源消费统计",
                    area_code=code,
                    unit_code="fgw",
                    address=f"{area_name}人民政府",
                    longitude=longitude,
                    latitude=latitude,
                    deadline=None,
                    note=SAMPLE_NOTE,
                    year=year,
                    coal_tce=round(year_total * share, 0),
                    total_energy_tce=year_total,
                    statistics_source=f"{area_name}{year}年规上工业及生活能源消费统计表（示例）",
                )
            )
    return rows


KIND = RegisterKind(
    key="coal_consumption",
    zh="煤炭消费统计",
    en="coal consumption statement",
    tasks=("6",),
    model=CoalConsumptionStatement,
    row=CoalConsumptionRow,
    columns=columns(
        Column("year", "year", "年度", example="2017", width=8),
        Column(
            "coal_tce",
            "coal tce",
            "煤炭消费量（吨标准煤）",
            aliases=("煤炭消费量",),
            example="152000",
        ),
        Column(
            "total_energy_tce",
            "total energy tce",
            "能源消费总量（吨标准煤）",
            aliases=("能源消费总量",),
            example="240000",
        ),
        Column("statistics_source", "statistics source", "统计来源", example="市统计局年报"),
    ),
    lifecycle=LIFECYCLE,
    rules=(
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_6_FILING,
            title=lambda record: f"煤炭消费统计逾期未核定：{record.name}",
            label=("逾期未核定", "not verified by the deadline"),
            done=frozenset({"verified"}),
            severity="general",
        ),
    ),
    indicators=(Indicator("coal_share_of_energy", coal_share),),
    sample=_sample,
    list_fields=("year", "coal_tce", "total_energy_tce"),
    order=6,
)
