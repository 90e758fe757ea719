"""The components of the monthly township assessment, and the method that combines them.

The seed asks the townships to be assessed on their air quality ("对乡镇空气质量实施考核", seed
line 35, task 2) and puts the average dust fall into the township leaders' assessment
("以平均降尘量小于9吨/月·平方公里作为控制指标，纳入乡镇党政领导干部考核问责范围", task 33); the
monthly progress reports ("每月2日前上报上月重点任务进展情况", 三(二)) and the inspection cases
(交办→整改→办结, 三(四)) are what the office follows month by month. Each is one
:class:`Component`: a function giving each township's raw value for a month (``None``: no value),
whether lower or higher is better, and a weight.

Method (published on the page):

1. a component that is a share (%, ``scale="share"``: progress reports, cases closed on time)
   scores its share itself — 100 % on time is 100 points whatever the others did, and a lone
   township at 0 % is not "the best"; every other component is normalised to 0–100 over the
   townships that have a value (min–max, ``scale="range"``): the best value scores 100, the
   worst 0, ``score = 100 × (value − worst) / (best − worst)``; all equal: every one 100;
2. a township's total is the weighted mean of the scores it has,
   ``total = Σ wᵢ·scoreᵢ / Σ wᵢ`` over its components with a value — a component without a value
   (no station data, no report due, no case due) neither helps nor hurts it, and it is shown;
3. townships rank by total, highest first (rank 1 = best); equal totals (to 0.01) share a rank;
   a township with no component value is not ranked.

The weights are settings (``LANTIAN_ASSESSMENT_WEIGHTS``, a JSON object ``{"air_quality": 40, …}``
overriding :data:`DEFAULT_WEIGHTS`), since the seed gives none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.campaign import rules as campaign_rules
from lantian.campaign.service import PlanContext, reports_of
from lantian.monitoring.ranking import area_ranking
from lantian.supervision.models import InspectionCase
from lantian.timeutil import to_china

#: Area kinds assessed: the seed's 各乡镇政府、街道办事处、尖山风景区管委 (the industrial cluster
#: reports through the township it lies in, areas.csv).
ASSESSED_KINDS = ("township", "subdistrict", "scenic_area")

#: Default weights (per cent); the seed gives none, so they are settings.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "air_quality": 40.0,
    "air_quality_change": 20.0,
    "dust_fall": 15.0,
    "task_progress": 15.0,
    "cases": 10.0,
}

Values = dict[str, float | None]
#: ``compute(session, plan, month)``: township code → raw value (None: no value this month).
Compute = Callable[[Session, PlanContext, date], Values]


@dataclass(frozen=True)
class Component:
    """One part of the assessment (see the module docstring for how the parts combine)."""

    key: str
    label_zh: str
    label_en: str
    weight: float
    better: Literal["lower", "higher"]
    compute: Compute
    unit: str
    #: What the raw value is, shown on the page as the method (Chinese, English).
    method_zh: str
    method_en: str
    #: "range": min–max over the townships; "share": a 0–100 % share is its own score.
    scale: Literal["range", "share"] = "range"


def month_end(month: date) -> date:
    return campaign_rules.next_month(month) - timedelta(days=1)


def assessed_areas(context: PlanContext) -> list[str]:
    """The codes of the areas assessed, in the plan's order."""
    return [code for code, area in context.areas.items() if area.kind in ASSESSED_KINDS]


def _composite(session: Session, month: date) -> dict[str, Fraction | None]:
    """Each area's composite index of ``month`` (HJ 663 statistics of its stations,
    :func:`lantian.monitoring.ranking.area_ranking`), read once per session and month."""
    cache: dict[date, dict[str, Fraction | None]] = session.info.setdefault(
        "lantian.assessment.composite", {}
    )
    if month not in cache:
        cache[month] = {
            row.area_code: row.composite for row in area_ranking(session, month, month_end(month))
        }
    return cache[month]


def air_quality(session: Session, context: PlanContext, month: date) -> Values:
    """The month's composite index of the township's stations (城市环境空气质量排名技术规定:
    I = Σ Cᵢ/Sᵢ over SO2, NO2, PM10, PM2.5 means, CO p95, O3-8h p90; lower is cleaner)."""
    found = _composite(session, month)
    return {
        code: None if found.get(code) is None else float(found[code] or 0)
        for code in assessed_areas(context)
    }


def change_basis(session: Session, context: PlanContext, month: date) -> date:
    """The month the change is measured against: the same month a year before when any township
    has an index then (the plan's own comparison, 同比), else the previous month (环比)."""
    year_before = month.replace(year=month.year - 1)
    before = _composite(session, year_before)
    if any(before.get(code) is not None for code in assessed_areas(context)):
        return year_before
    return campaign_rules.previous_month(month)


def air_quality_change(session: Session, context: PlanContext, month: date) -> Values:
    """The change (%) of the composite index on :func:`change_basis`: (I − I₀) / I₀ × 100;
    lower (a larger fall) is better; None without both indices."""
    now = _composite(session, month)
    before = _composite(session, change_basis(session, context, month))
    result: Values = {}
    for code in assessed_areas(context):
        current, base = now.get(code), before.get(code)
        result[code] = None if current is None or not base else float((current - base) / base * 100)
    return result


def task_progress(session: Session, context: PlanContext, month: date) -> Values:
    """The township's monthly progress reports on ``month`` (三(二): due on the 2nd of the next
    month): on time counts 1, late ½, missing 0, as a share (%) of the reports it owes; a report
    not yet due and not yet in counts neither way. None when nothing is owed."""
    if month not in context.reporting_months():
        return {code: None for code in assessed_areas(context)}
    due = context.report_due(month)
    today = clock.today()
    reports = {
        (r.task_id, r.reporter_code): r
        for r in reports_of(session, [t.id for t in context.tasks])
        if r.reporter_kind == "area" and r.period_month == month
    }
    points: dict[str, float] = {}
    owed: dict[str, int] = {}
    for task in context.tasks:
        for kind, code in context.expected_reporters(task):
            if kind != "area":
                continue
            report = reports.get((task.id, code))
            if report is None and due >= today:
                continue  # not yet due
            owed[code] = owed.get(code, 0) + 1
            if report is not None:
                late = campaign_rules.days_late(report.submitted_at, report.due_on)
                points[code] = points.get(code, 0.0) + (0.5 if late else 1.0)
    return {
        code: (100 * points.get(code, 0.0) / owed[code]) if owed.get(code) else None
        for code in assessed_areas(context)
    }


def cases(session: Session, context: PlanContext, month: date) -> Values:
    """The inspection cases of the township whose rectification deadline fell in ``month`` and
    has passed: the share (%) closed by their deadline (办结按期率). None when none fell due."""
    first, last = month, month_end(month)
    today = clock.today()
    closed_on_time: dict[str, int] = {}
    due: dict[str, int] = {}
    rows = session.execute(
        select(InspectionCase.area_code, InspectionCase.deadline, InspectionCase.closed_at).where(
            InspectionCase.area_code.is_not(None), InspectionCase.deadline.is_not(None)
        )
    )
    for area, deadline, closed_at in rows:
        if area is None or deadline is None:
            continue
        day = to_china(deadline).date()
        if not first <= day <= last or day >= today:
            continue
        due[area] = due.get(area, 0) + 1
        if closed_at is not None and closed_at <= deadline:
            closed_on_time[area] = closed_on_time.get(area, 0) + 1
    return {
        code: (100 * closed_on_time.get(code, 0) / due[code]) if due.get(code) else None
        for code in assessed_areas(context)
    }


def dust_fall(session: Session, context: PlanContext, month: date) -> Values:
    """Task 33: the township's dust fall of ``month`` (t/km²·month, valid samples only;
    :func:`lantian.dustfall.service.township_dust_fall`); lower is better."""
    from lantian.dustfall.service import township_dust_fall

    found = township_dust_fall(session, month)
    return {code: found.get(code) for code in assessed_areas(context)}


def default_components(weights: Mapping[str, float] | None = None) -> list[Component]:
    """The assessment's components with ``weights`` (key → weight) over :data:`DEFAULT_WEIGHTS`."""
    chosen = {**DEFAULT_WEIGHTS, **(weights or {})}
    components = [
        Component(
            key="air_quality",
            label_zh="空气质量综合指数",
            label_en="Air quality composite index",
            weight=0.0,
            better="lower",
            compute=air_quality,
            unit="",
            method_zh="本月乡镇站点的环境空气质量综合指数（HJ 663：SO2、NO2、PM10、PM2.5 月均值，"
            "CO 日均值第95百分位数，O3 日最大8小时第90百分位数，各除以二级标准后相加），越低越好",
            method_en="The month's composite index of the township's stations (HJ 663: SO2, NO2, "
            "PM10, PM2.5 means, CO p95, O3-8h p90, each over its grade II limit, summed); lower "
            "is better",
        ),
        Component(
            key="air_quality_change",
            label_zh="综合指数变化率",
            label_en="Change of the composite index",
            weight=0.0,
            better="lower",
            compute=air_quality_change,
            unit="%",
            method_zh="综合指数与上年同月相比的变化率（%）；上年同月无数据时与上月相比；越低越好",
            method_en="Change (%) of the composite index on the same month a year before (on the "
            "previous month when no township has data then); lower is better",
        ),
        Component(
            key="dust_fall",
            label_zh="降尘量",
            label_en="Dust fall",
            weight=0.0,
            better="lower",
            compute=dust_fall,
            unit="t/km²·月",
            method_zh="本月乡镇降尘量（有效样品，吨/月·平方公里；任务33控制指标9），越低越好",
            method_en="The township's dust fall of the month (valid samples, t/km²·month; "
            "task 33's line is 9); lower is better",
        ),
        Component(
            key="task_progress",
            label_zh="任务进展报送",
            label_en="Task progress reports",
            weight=0.0,
            better="higher",
            compute=task_progress,
            unit="%",
            scale="share",
            method_zh="本月应报重点任务进展报告（次月2日前报送）中按时报送计1、迟报计0.5、未报计0，"
            "占应报份数的百分比；越高越好",
            method_en="Of the monthly progress reports owed on the month (due on the 2nd of the "
            "next month): on time 1, late ½, missing 0, as a share (%); higher is better",
        ),
        Component(
            key="cases",
            label_zh="督查案件按期办结",
            label_en="Cases closed on time",
            weight=0.0,
            better="higher",
            compute=cases,
            unit="%",
            scale="share",
            method_zh="整改期限在本月且已届满的督查案件中按期办结的百分比；越高越好",
            method_en="Of the inspection cases whose rectification deadline fell in the month and "
            "has passed, the share (%) closed by the deadline; higher is better",
        ),
    ]
    return [replace(c, weight=float(chosen.get(c.key, 0.0))) for c in components]


@dataclass(frozen=True)
class Scored:
    """One township's result: raw values, scores (0–100), total and rank."""

    area_code: str
    values: dict[str, float | None]
    scores: dict[str, float | None]
    total: float | None
    rank: int | None


def normalise(values: Values, better: str, scale: str = "range") -> Values:
    """Scores 0–100: a share is its own score (``100 − share`` when lower is better); otherwise
    min–max over the townships with a value, the best 100 and the worst 0."""
    if scale == "share":
        return {
            k: None if v is None else min(100.0, max(0.0, v if better == "higher" else 100 - v))
            for k, v in values.items()
        }
    present = [v for v in values.values() if v is not None]
    if not present:
        return dict.fromkeys(values)
    best = min(present) if better == "lower" else max(present)
    worst = max(present) if better == "lower" else min(present)
    if best == worst:
        return {k: (None if v is None else 100.0) for k, v in values.items()}
    return {k: None if v is None else 100 * (v - worst) / (best - worst) for k, v in values.items()}


def combine(
    components: Sequence[Component], raw: Mapping[str, Values], areas: Sequence[str]
) -> list[Scored]:
    """Scores, totals and ranks (the module docstring's method), best first, unranked last."""
    scores = {c.key: normalise(raw[c.key], c.better, c.scale) for c in components}
    results: list[Scored] = []
    for code in areas:
        weighted = [
            (c.weight, scores[c.key].get(code))
            for c in components
            if c.weight > 0 and scores[c.key].get(code) is not None
        ]
        weight_sum = sum(w for w, _ in weighted)
        total = (
            round(sum(w * (s or 0.0) for w, s in weighted) / weight_sum, 2) if weight_sum else None
        )
        results.append(
            Scored(
                area_code=code,
                values={c.key: raw[c.key].get(code) for c in components},
                scores={c.key: scores[c.key].get(code) for c in components},
                total=total,
                rank=None,
            )
        )
    ranked = sorted((r for r in results if r.total is not None), key=lambda r: -(r.total or 0))
    final: list[Scored] = []
    previous: float | None = None
    rank = 0
    for position, row in enumerate(ranked, start=1):
        if row.total != previous:
            rank, previous = position, row.total
        final.append(replace(row, rank=rank))
    final.extend(r for r in results if r.total is None)
    return final
