"""The figures of a weekly or monthly briefing, built by one function (:func:`build_briefing`).

Every figure is read from its owning package's service, never typed: the city's daily air quality
(station daily values by GB 3095 validity, the city day as the mean of the stations' values,
HJ 663-2013 点位平均; daily AQI by HJ 633-2012) for the period and the same days a year before;
the townships' ranking (:func:`lantian.monitoring.ranking.area_ranking`, composite index); the
warnings decided (:mod:`lantian.warnings`); the plan's targets as
:func:`lantian.campaign.service.target_progress` rolls them up (computed values where a register
or the measurements give them); what is up for escalation (:func:`lantian.campaign.service.
escalations`: reports missing or late, deadlines missed, targets missed); inspection cases
(:func:`lantian.supervision.service.period_cases`); enforcement actions
(:func:`lantian.penalties.statistics.monthly_statistics`, by the months the period touches).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from lantian.auth.permissions import Principal
from lantian.campaign import service as campaign
from lantian.errors import Invalid
from lantian.monitoring.areas import area_names, read_boundaries
from lantian.monitoring.publication import city_daily_values
from lantian.monitoring.quality import shared_grids
from lantian.monitoring.ranking import area_ranking
from lantian.penalties import statistics
from lantian.plan import Plan
from lantian.plan.briefing_schema import BriefingFile
from lantian.standards.aqi import MISSING
from lantian.supervision import service as cases
from lantian.timeutil import CHINA_TZ, year_before
from lantian.warnings import service as warnings

Kind = Literal["weekly", "monthly"]
KINDS: tuple[Kind, ...] = ("weekly", "monthly")
KIND_NAMES = {"weekly": ("周报", "weekly"), "monthly": ("月报", "monthly")}
#: The briefing reads every campaign figure as the office does (the whole city).
BRIEFING_READER = Principal("system:briefing", "administrator")
#: AQI levels (HJ 633-2012): 1–2 good (优良), 5–6 heavy pollution (重度及以上).
GOOD_LEVEL, HEAVY_LEVEL = 2, 5


# --- periods --------------------------------------------------------------------------------


def period_of(kind: Kind, day: date) -> tuple[date, date]:
    """The week (Monday … Sunday) or month (1st … last) holding ``day``."""
    if kind == "weekly":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if kind == "monthly":
        first = day.replace(day=1)
        return first, statistics.next_month(first) - timedelta(days=1)
    raise Invalid(f"未知简报类型 {kind!r}（weekly、monthly）/ unknown kind {kind!r}", field="kind")


def previous_period(kind: Kind, today: date) -> tuple[date, date]:
    """The last whole week or month before ``today`` (what the scheduled run makes)."""
    first, _ = period_of(kind, today)
    return period_of(kind, first - timedelta(days=1))


def issue_number(kind: Kind, first: date, campaign_start: date | None) -> int:
    """第N期: the week or month of the campaign the period is (1 = the one holding its start);
    before the campaign, or without one, the ISO week or the month of the year."""
    start = period_of(kind, campaign_start)[0] if campaign_start is not None else None
    if start is not None and first >= start:
        if kind == "weekly":
            return (first - start).days // 7 + 1
        return (first.year - start.year) * 12 + first.month - start.month + 1
    return first.isocalendar().week if kind == "weekly" else first.month


# --- the figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CityDay:
    """One day of the city: daily AQI and level, and the mean of the stations' daily PM2.5 and
    PM10 (µg/m³), None where no station had a valid day."""

    day: date
    aqi: int | None
    level: int
    pm2_5: int | None
    pm10: int | None
    primary: list[str]


@dataclass(frozen=True)
class AirSummary:
    first: date
    last: date
    days: list[CityDay]

    @property
    def rated(self) -> list[CityDay]:
        return [d for d in self.days if d.aqi is not None]

    @property
    def measured(self) -> int:
        return len(self.rated)

    @property
    def good(self) -> int:
        return sum(1 for d in self.rated if d.level <= GOOD_LEVEL)

    @property
    def heavy(self) -> int:
        return sum(1 for d in self.rated if d.level >= HEAVY_LEVEL)

    @property
    def missing(self) -> int:
        """Days of the period without a city AQI (counted and shown, never filled)."""
        return (self.last - self.first).days + 1 - self.measured

    def _mean(self, values: list[int | None]) -> float | None:
        present = [v for v in values if v is not None]
        return round(sum(present) / len(present), 1) if present else None

    @property
    def mean_aqi(self) -> float | None:
        return self._mean([d.aqi for d in self.days])

    @property
    def pm2_5(self) -> float | None:
        return self._mean([d.pm2_5 for d in self.days])

    @property
    def pm10(self) -> float | None:
        return self._mean([d.pm10 for d in self.days])

    @property
    def good_share(self) -> float | None:
        return round(100 * self.good / self.measured, 1) if self.measured else None


def change_percent(now: float | None, before: float | None) -> float | None:
    """The change on the year before in per cent (negative: down), None without both."""
    if now is None or before is None or before == 0:
        return None
    return round(100 * (now - before) / before, 1)


def city_days(session: Session, first: date, last: date) -> list[CityDay]:
    """The city's days ``first … last`` (every day listed; a day without data has None), from
    :func:`lantian.monitoring.publication.city_daily_values` (HJ 663-2013 点位平均, HJ 633-2012
    §5.1.2), with the city's mean PM2.5 and PM10."""
    empty = [
        CityDay(first + timedelta(days=d), None, 0, None, None, [])
        for d in range((last - first).days + 1)
    ]
    city = city_daily_values(session, first, last)
    if city is None:
        return empty
    result, means = city.result, city.means
    labels = result.primary_labels()

    def present(value: int) -> int | None:
        return None if value == MISSING or value < 0 else int(value)

    days = []
    for d in range(min(result.aqi.shape[0], len(empty))):
        aqi = present(int(result.aqi[d, 0]))
        days.append(
            CityDay(
                first + timedelta(days=d),
                aqi,
                int(result.level[d, 0]) if aqi is not None else 0,
                present(int(means["PM25"][d])),
                present(int(means["PM10"][d])),
                [x for x in labels[d].split(",") if x] if aqi is not None else [],
            )
        )
    return days + empty[len(days) :]


@dataclass(frozen=True)
class TownshipRow:
    code: str
    name: str
    rank: int | None
    composite: float | None
    pm2_5: float | None
    valid_days: int


@dataclass(frozen=True)
class MapArea:
    """An area drawn on the briefing's map: its polygons (rings of lon, lat) and PM2.5 mean."""

    code: str
    name: str
    polygons: list[list[list[tuple[float, float]]]]
    pm2_5: float | None


@dataclass(frozen=True)
class WarningLine:
    decided_at: datetime
    action: str  # issue | upgrade | downgrade | lift
    level: str  # the level's name after the decision (or the level lifted)
    areas: str
    decided_by: str


@dataclass(frozen=True)
class TargetLine:
    indicator: str
    comparator: str
    value: float
    unit: str
    actual: float | None
    met: bool | None
    overdue: bool
    computed: bool  # from the data (a register, the measurements), not typed reports
    overall: bool  # one of the plan's overall targets (一、总体目标)


@dataclass(frozen=True)
class LateLine:
    who: str
    missed: int  # deadlines missed (lead unit)
    reports: int  # monthly reports missing or late


@dataclass(frozen=True)
class Enforcement:
    months: list[str]
    actions: int
    fines_total: float
    by_type: dict[str, int]
    by_township: list[tuple[str, int, float]]  # name, actions, fines


@dataclass(frozen=True)
class Briefing:
    """Everything a briefing says (the three renderings draw from this only)."""

    kind: Kind
    first: date
    last: date
    number: int
    document_number: str
    title: str
    issuer: str
    issued_on: date
    city: str
    template: BriefingFile
    air: AirSummary
    air_before: AirSummary
    ranking: list[TownshipRow]
    ranking_of_plan: bool  # False: no township of the plan has data; the rows are other areas
    map_areas: list[MapArea]
    warnings: list[WarningLine]
    warning_in_force: str | None
    targets: list[TargetLine]
    escalation_counts: dict[str, int]
    late: list[LateLine]
    cases: cases.PeriodCases
    enforcement: Enforcement
    notes: list[str] = field(default_factory=list)

    @property
    def period_text(self) -> str:
        return f"{self.first:%Y年%m月%d日}至{self.last:%Y年%m月%d日}"

    @property
    def bottom(self) -> list[TownshipRow]:
        """The last ones of the ranking, worst first: the template's count, but never more than
        half of the ranked areas (four areas have no "bottom three")."""
        ranked = [r for r in self.ranking if r.rank is not None]
        count = min(self.template.bottom_count, max(1, len(ranked) // 2))
        return list(reversed(ranked[-count:])) if ranked else []

    @property
    def pm2_5_change(self) -> float | None:
        return change_percent(self.air.pm2_5, self.air_before.pm2_5)

    @property
    def pm10_change(self) -> float | None:
        return change_percent(self.air.pm10, self.air_before.pm10)


def _warnings(
    session: Session, plan: Plan, names: dict[str, str], first: date, last: date
) -> tuple[list[WarningLine], str | None]:
    start = datetime.combine(first, time(0), CHINA_TZ)
    end = datetime.combine(last + timedelta(days=1), time(0), CHINA_TZ)
    levels = {level.key: level.name_zh for level in plan.levels} if plan.warning_rules else {}
    plan_areas = {area.code for area in plan.areas}
    lines: list[WarningLine] = []
    in_force: str | None = None
    for episode in warnings.episodes_between(session, start, end):
        for decision in episode.decisions:
            if start <= decision.decided_at < end:
                level = decision.to_level or decision.from_level or ""
                lines.append(
                    WarningLine(
                        decided_at=decision.decided_at,
                        action=decision.action,
                        level=levels.get(level, level),
                        areas=f"全市（{len(decision.areas)}个乡镇、街道）"
                        if plan_areas and set(decision.areas) >= plan_areas
                        else warnings.describe_areas(decision.areas, names),
                        decided_by=decision.decided_by,
                    )
                )
        if episode.level is not None and (episode.lifted_at is None or episode.lifted_at >= end):
            in_force = levels.get(episode.level, episode.level)
    lines.sort(key=lambda line: line.decided_at)
    return lines, in_force


def _map_areas(plan: Plan, ranking: list[TownshipRow], of_plan: bool) -> list[MapArea]:
    """The plan's townships (townships.geojson) when the ranking is theirs; otherwise the ranked
    areas' boundaries (the bundled district outlines)."""
    pm = {row.code: row.pm2_5 for row in ranking}
    found: list[MapArea] = []
    if of_plan and plan.townships is not None:
        for feature in plan.townships.features:
            code = feature.properties.code
            polygons = [
                [[(float(x), float(y)) for x, y, *_ in ring] for ring in polygon]
                for polygon in feature.geometry.polygons()
            ]
            found.append(MapArea(code, feature.properties.name, polygons, pm.get(code)))
        return found
    wanted = {row.code: row.name for row in ranking}
    for boundary in read_boundaries():
        if boundary.code in wanted:
            polygons = [
                [[(float(x), float(y)) for x, y in ring] for ring in polygon]
                for polygon in boundary.polygons
            ]
            found.append(MapArea(boundary.code, wanted[boundary.code], polygons, pm[boundary.code]))
    return found


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = statistics.next_month(month)
    return months


def _enforcement(session: Session, plan: Plan, first: date, last: date) -> Enforcement:
    """Enforcement actions decided in the months the period touches (the statistics are
    monthly: a weekly briefing reports its month so far, and says so)."""
    by_type: Counter[str] = Counter()
    by_township: dict[str, tuple[int, float]] = {}
    actions, fines = 0, 0.0
    months = _months(first, last)
    for month in months:
        found = statistics.monthly_statistics(session, BRIEFING_READER, month, plan=plan)
        actions += found.total.actions
        fines = round(fines + found.total.fines_total, 2)
        by_type.update({k: v for k, v in found.total.by_type.items() if v})
        for group in found.by_township:
            count, amount = by_township.get(group.name, (0, 0.0))
            by_township[group.name] = (count + group.actions, round(amount + group.fines_total, 2))
    return Enforcement(
        months=[f"{m:%Y-%m}" for m in months],
        actions=actions,
        fines_total=fines,
        by_type=dict(by_type),
        by_township=sorted(
            ((name, n, amount) for name, (n, amount) in by_township.items()),
            key=lambda row: (-row[1], row[0]),
        ),
    )


def build_briefing(
    session: Session, plan: Plan, kind: Kind, day: date, issued_on: date
) -> Briefing:
    """The briefing of the week or month holding ``day``, as issued on ``issued_on``."""
    # Read-only: the ranking, the targets and the escalations read each grid and the city's
    # daily series once (shared_grids).
    with shared_grids(session):
        return _build_briefing(session, plan, kind, day, issued_on)


def _build_briefing(
    session: Session, plan: Plan, kind: Kind, day: date, issued_on: date
) -> Briefing:
    first, last = period_of(kind, day)
    template = plan.briefing_template()
    city = plan.plan.city if plan.plan is not None else ""
    context = campaign.current_plan(session)
    start = context.periods.get("campaign", {}).get("start") if context else None
    campaign_start = (
        start if isinstance(start, date) else date.fromisoformat(str(start)) if start else None
    )
    number = issue_number(kind, first, campaign_start)
    names = area_names(plan, read_boundaries())
    notes: list[str] = []

    ranked_all = area_ranking(session, first, last)
    plan_codes = {area.code for area in plan.areas}
    of_plan = [row for row in ranked_all if row.area_code in plan_codes]
    shown = of_plan or ranked_all
    ranking = [
        TownshipRow(
            code=row.area_code,
            name=names.get(row.area_code, row.area_code),
            rank=row.rank,
            composite=round(float(row.composite), 2) if row.composite is not None else None,
            pm2_5=float(row.pm2_5) if row.pm2_5 is not None else None,
            valid_days=row.valid_days,
        )
        for row in shown
    ]
    if shown and not of_plan:
        notes.append(
            "本期没有本市乡镇站点数据，排名为有数据的区县 / no township of the plan has data: "
            "the ranking is of the areas that have"
        )
    # Re-rank within the shown areas (the ranking over every area may hold other cities').
    ranked = sorted((r for r in ranking if r.composite is not None), key=lambda r: r.composite or 0)
    rank_of: dict[str, int] = {}
    previous, position_rank = None, 0
    for position, row in enumerate(ranked, start=1):
        if row.composite != previous:
            position_rank, previous = position, row.composite
        rank_of[row.code] = position_rank
    ranking = [
        TownshipRow(r.code, r.name, rank_of.get(r.code), r.composite, r.pm2_5, r.valid_days)
        for r in sorted(ranking, key=lambda r: (rank_of.get(r.code) or 10**6, r.code))
    ]

    warning_lines, in_force = _warnings(session, plan, names, first, last)
    as_of = last + timedelta(days=1)
    targets: list[TargetLine] = []
    escalation_counts: dict[str, int] = {}
    late: list[LateLine] = []
    if context is not None:
        judged = campaign.judged_day(context, as_of)
        for standing in campaign.target_progress(session, context, judged):
            target = standing.target
            targets.append(
                TargetLine(
                    indicator=target.indicator,
                    comparator=target.comparator,
                    value=target.value,
                    unit=target.unit,
                    actual=standing.rollup.actual,
                    met=standing.rollup.met,
                    overdue=standing.overdue,
                    computed=standing.computed is not None,
                    overall=target.defined_in == "overall",
                )
            )
        found = campaign.escalations(session, context, judged)
        escalation_counts = dict(Counter(item.kind for item in found))
        missed: Counter[str] = Counter()
        reports: Counter[str] = Counter()
        for item in found:
            if item.kind == "missed_deadline":
                missed[item.who] += 1
            elif item.kind in ("missing_report", "late_report"):
                reports[item.who] += 1
        late = sorted(
            (LateLine(who, missed[who], reports[who]) for who in set(missed) | set(reports)),
            key=lambda line: (-(line.missed + line.reports), line.who),
        )
    else:
        notes.append("尚未导入计划：目标与任务两节无数据 / no plan loaded: no targets or tasks")

    start_at = datetime.combine(first, time(0), CHINA_TZ)
    end_at = datetime.combine(last + timedelta(days=1), time(0), CHINA_TZ)
    return Briefing(
        kind=kind,
        first=first,
        last=last,
        number=number,
        document_number=template.number(kind, last.year, number, city),
        title=template.title(kind, city),
        issuer=template.issuer_name(city),
        issued_on=issued_on,
        city=city,
        template=template,
        air=AirSummary(first, last, city_days(session, first, last)),
        air_before=AirSummary(
            year_before(first),
            year_before(last),
            city_days(session, year_before(first), year_before(last)),
        ),
        ranking=ranking,
        ranking_of_plan=bool(of_plan),
        map_areas=_map_areas(plan, ranking, bool(of_plan)),
        warnings=warning_lines,
        warning_in_force=in_force,
        targets=targets,
        escalation_counts=escalation_counts,
        late=late,
        cases=cases.period_cases(session, BRIEFING_READER, start_at, end_at),
        enforcement=_enforcement(session, plan, first, last),
        notes=notes,
    )
