"""The monthly township assessment: computed from the components, recorded once a month so that
a published ranking never changes afterwards, and exported as Excel.

A recorded month is what everyone reads for that month; a month not yet recorded is computed
live and marked provisional (暂定).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.assessment.components import (
    Component,
    Scored,
    assessed_areas,
    combine,
    default_components,
    month_end,
)
from lantian.assessment.models import AssessmentRanking
from lantian.campaign.service import PlanContext
from lantian.config import get_settings
from lantian.db.audited import acting_as
from lantian.errors import Conflict, Invalid
from lantian.tabular import append_row, workbook_bytes
from lantian.timeutil import parse_month as parse_month  # the month a page or command asks for


def last_complete_month(today: date | None = None) -> date:
    """The month before the clock's (the month a ranking is made for)."""
    first = (today or clock.today()).replace(day=1)
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def components_in_force() -> list[Component]:
    """The components with the installation's weights (``LANTIAN_ASSESSMENT_WEIGHTS``)."""
    return default_components(get_settings().assessment_weights)


@dataclass(frozen=True)
class MonthlyAssessment:
    plan_code: str
    month: date
    components: list[Component]
    rows: list[Scored]
    #: When it was recorded (None: computed live, provisional).
    recorded_at: datetime | None = None
    recorded_by: str | None = None

    @property
    def ranked(self) -> list[Scored]:
        return [r for r in self.rows if r.rank is not None]

    def bottom(self, count: int = 3) -> list[Scored]:
        """The ``count`` lowest-ranked townships, the lowest last."""
        return self.ranked[-count:]


def compute_assessment(
    session: Session,
    context: PlanContext,
    month: date,
    components: Sequence[Component] | None = None,
) -> MonthlyAssessment:
    """Each township's component values, scores, total and rank for ``month`` (live)."""
    chosen = list(components if components is not None else components_in_force())
    raw = {c.key: c.compute(session, context, month) for c in chosen}
    rows = combine(chosen, raw, assessed_areas(context))
    return MonthlyAssessment(context.plan.code, month, chosen, rows)


def recorded_assessment(
    session: Session,
    context: PlanContext,
    month: date,
    components: Sequence[Component] | None = None,
) -> MonthlyAssessment | None:
    """The ranking recorded for ``month``, as it was recorded (None when not recorded)."""
    stored = list(
        session.scalars(
            select(AssessmentRanking).where(
                AssessmentRanking.plan_code == context.plan.code,
                AssessmentRanking.month == month,
            )
        )
    )
    if not stored:
        return None
    known = {c.key: c for c in (components or components_in_force())}
    keys = list(dict.fromkeys(k for row in stored for k in row.components))
    # The weights recorded with the month, whatever the settings say now.
    chosen = [
        Component(
            **{
                **known[k].__dict__,
                "weight": float(stored[0].components.get(k, {}).get("weight", 0.0)),
            }
        )
        for k in keys
        if k in known
    ]
    rows = [
        Scored(
            area_code=row.area_code,
            values={k: v.get("value") for k, v in row.components.items()},
            scores={k: v.get("score") for k, v in row.components.items()},
            total=row.total,
            rank=row.rank,
        )
        for row in stored
    ]
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.area_code))
    return MonthlyAssessment(
        context.plan.code,
        month,
        chosen,
        rows,
        recorded_at=max(row.computed_at for row in stored),
        recorded_by=stored[0].computed_by,
    )


def assessment_for(session: Session, context: PlanContext, month: date) -> MonthlyAssessment:
    """The recorded ranking of ``month``, else the live (provisional) one."""
    return recorded_assessment(session, context, month) or compute_assessment(
        session, context, month
    )


def record_assessment(
    session: Session, context: PlanContext, month: date, actor: str
) -> MonthlyAssessment:
    """Record ``month``'s ranking (once: a recorded month is ``Conflict``; a month not yet over is
    ``Invalid``), audited as ``assessment_ranking.add`` by ``actor``."""
    if month_end(month) >= clock.today():
        raise Invalid(
            f"{month:%Y-%m} 尚未结束，不能公布排名 / {month:%Y-%m} is not over yet", field="month"
        )
    if recorded_assessment(session, context, month) is not None:
        raise Conflict(f"{month:%Y-%m} 的排名已公布 / the ranking of {month:%Y-%m} is recorded")
    result = compute_assessment(session, context, month)
    now = clock.now()
    with acting_as(session, actor, reason=f"乡镇考核 {month:%Y-%m} / township assessment"):
        for row in result.rows:
            session.add(
                AssessmentRanking(
                    plan_code=context.plan.code,
                    month=month,
                    area_code=row.area_code,
                    components={
                        c.key: {
                            "value": row.values.get(c.key),
                            "score": row.scores.get(c.key),
                            "weight": c.weight,
                        }
                        for c in result.components
                    },
                    total=row.total,
                    rank=row.rank,
                    computed_at=now,
                    computed_by=actor,
                )
            )
        session.flush()
    recorded = recorded_assessment(session, context, month, result.components)
    assert recorded is not None
    return recorded


def latest_recorded_month(session: Session, context: PlanContext) -> date | None:
    found: date | None = session.scalar(
        select(func.max(AssessmentRanking.month)).where(
            AssessmentRanking.plan_code == context.plan.code
        )
    )
    return found


def _shown(value: float | None, digits: int = 2) -> float | str:
    return "—" if value is None else round(value, digits)


def assessment_workbook(result: MonthlyAssessment, context: PlanContext) -> bytes:
    """The month's ranking as an Excel file: the table, then the method (weights, formula)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "排名 ranking"
    state = (
        f"已公布 recorded {result.recorded_at:%Y-%m-%d %H:%M}"
        if result.recorded_at
        else "暂定 provisional"
    )
    append_row(sheet, [f"乡镇考核排名 {result.month:%Y-%m} / township assessment ({state})"])
    sheet["A1"].font = Font(bold=True)
    header: list[str] = ["名次 rank", "代码 code", "乡镇 township"]
    for c in result.components:
        suffix = f" ({c.unit})" if c.unit else ""
        header += [f"{c.label_zh}{suffix}", f"{c.label_zh} 得分 score"]
    append_row(sheet, [*header, "总分 total"])
    for row in result.rows:
        line: list[str | int | float | None] = [
            row.rank if row.rank is not None else "—",
            row.area_code,
            context.reporter_name("area", row.area_code),
        ]
        for c in result.components:
            line += [_shown(row.values.get(c.key), 3), _shown(row.scores.get(c.key), 1)]
        append_row(sheet, [*line, _shown(row.total)])
    sheet.column_dimensions["C"].width = 16
    method = book.create_sheet("方法 method")
    append_row(method, ["指标 component", "权重 weight", "方向 better", "说明 what it is"])
    for c in result.components:
        append_row(
            method,
            [
                f"{c.label_zh} / {c.label_en}",
                c.weight,
                "越低越好 lower" if c.better == "lower" else "越高越好 higher",
                f"{c.method_zh} / {c.method_en}",
            ],
        )
    append_row(method, [])
    append_row(method, [METHOD_ZH])
    append_row(method, [METHOD_EN])
    # workbook_bytes: no cell of the file is ever a formula (formula injection)
    return workbook_bytes(book)


METHOD_ZH = (
    "百分比类指标（任务进展报送、督查案件按期办结）以百分比本身为得分；其他指标在有数值的乡镇间"
    "按最小—最大法折算为 0–100 分（最好者 100 分，最差者 0 分，"
    "得分 = 100 ×（数值 − 最差值）/（最好值 − 最差值），数值全部相同均得 100 分）；"
    "总分为有数值指标得分的加权平均（总分 = Σ 权重×得分 / Σ 权重），无数值的指标不计；"
    "按总分由高到低排名，总分相同（保留两位小数）名次并列，无任何指标数值的乡镇不排名。"
)
METHOD_EN = (
    "A component that is a share (progress reports, cases closed on time) scores its share "
    "itself; every other component is normalised to 0–100 over the townships with a value "
    "(min–max: the best "
    "100, the worst 0, score = 100 × (value − worst) / (best − worst); all equal: 100); the "
    "total is the weighted mean of the scores a township has (Σ weight×score / Σ weight), a "
    "component without a value is left out; townships rank by total, highest first, equal totals "
    "(to 0.01) share a rank, a township with no value is not ranked."
)
