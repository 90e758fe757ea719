"""The regional linkage read from the township forecasts stored (seed task 42, issue 18).

Seed task 42 (统一区域应急联动): "当预测区域内连片多个乡镇空气质量达到启动橙色及以上预警级别时，根据通报
预警信息，及时发布相应级别预警，启动区域应急联动机制". The office should not have to pick the townships by
hand: for every township of the plan (``areas.csv``) this module takes the newest forecast issued
for it by ``at`` (``warning_forecast_issue`` rows whose area is the township's 9-digit code, every
version kept by :func:`lantian.warnings.service.import_forecasts`), grades it with the engine
(:func:`lantian.warnings.linkage.township_ranks`: the level the township's own forecast meets), and
finds the contiguous groups of the plan's ``adjacency.csv`` at ``linkage.min_level`` or above
(:func:`lantian.warnings.linkage.regional_linkage`). The result is a proposal only: the office adopts
it into a city-wide warning through the decision form, i.e. :func:`lantian.warnings.service.decide`
(one write path, checked and audited there), and the proposal is kept with the decision
(:func:`linkage_snapshot`).

A township without a forecast for the coming hours is listed as such and counts as no level: its
absence is shown, never filled in from its neighbours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.timeutil import CHINA_TZ
from lantian.warnings.forecast import ForecastIssue, ForecastValue, hourly_values
from lantian.warnings.linkage import (
    Adjacency,
    LinkageProposal,
    groups,
    regional_linkage,
    township_ranks,
)
from lantian.warnings.models import ForecastIssueRow
from lantian.warnings.rules import WarningRules
from lantian.warnings.service import active_episode

HOUR = timedelta(hours=1)
#: Hours of forecast read after ``at``: five days, as the city's live assessment reads
#: (:func:`lantian.warnings.service.assess_now`); the engine itself proposes an issue at most
#: ``forecast.max_issue_lead_hours`` ahead.
HORIZON_HOURS = 120
#: The rule name kept with a decision that adopted the linkage proposal.
LINKAGE_RULE = "linkage.contiguous"


@dataclass(frozen=True)
class TownshipOutlook:
    """One township's forecast for the coming days and the level it meets on its own."""

    area: str
    name: str
    #: who issued the forecast read, and when (None: no forecast issued for it by then)
    source: str | None
    issued_at: datetime | None
    #: per day of :attr:`LinkageOutlook.days`: the highest rolling-24-h AQI forecast for an hour
    #: of that day (None: the forecast says nothing for that day)
    daily_peak: tuple[int | None, ...]
    #: forecast hours of the horizon with a value
    hours_known: int
    #: the level the township's own forecast meets (0: none), :func:`township_ranks`
    rank: int

    @property
    def has_forecast(self) -> bool:
        return self.hours_known > 0


@dataclass(frozen=True)
class LinkedGroup:
    """Contiguous townships each forecast at ``linkage.min_level`` or above."""

    areas: tuple[str, ...]
    names: tuple[str, ...]
    #: the strictest level every township of the group meets
    rank: int
    #: at least ``linkage.min_townships`` townships: the group calls for the regional linkage
    enough: bool


@dataclass(frozen=True)
class LinkageOutlook:
    """What the stored township forecasts say about the regional linkage at ``at``."""

    at: datetime
    horizon_hours: int
    days: tuple[date, ...]
    townships: tuple[TownshipOutlook, ...]
    groups: tuple[LinkedGroup, ...]
    proposal: LinkageProposal | None
    #: the level of the city's warning in force (0: none)
    in_force_rank: int
    #: what adopting the proposal means for the city's warning: "issue", "upgrade", or None when
    #: there is no proposal or the warning in force is already at its level or above
    action: str | None
    #: every township of the plan: a city-wide warning covers them all
    city_areas: tuple[str, ...]

    @property
    def without_forecast(self) -> tuple[TownshipOutlook, ...]:
        return tuple(t for t in self.townships if not t.has_forecast)

    @property
    def level_by_area(self) -> dict[str, int]:
        return {t.area: t.rank for t in self.townships}


def newest_township_issues(
    session: Session, areas: list[str], at: datetime
) -> dict[str, ForecastIssue | None]:
    """For each of ``areas`` (township codes) the newest forecast version issued by ``at`` (its
    last revision; None: none issued by then), as :func:`~lantian.warnings.forecast.latest_issue`
    picks it, reading the values of those versions only."""
    found: dict[str, ForecastIssue | None] = dict.fromkeys(areas)
    headers = session.scalars(
        select(ForecastIssueRow)
        .where(ForecastIssueRow.area.in_(areas), ForecastIssueRow.issued_at <= at)
        .order_by(
            ForecastIssueRow.issued_at.desc(),
            ForecastIssueRow.revision.desc(),
            ForecastIssueRow.id.desc(),
        )
    )
    for row in headers:
        if found[row.area] is not None:
            continue
        found[row.area] = ForecastIssue(
            row.area,
            row.issued_at,
            row.source,
            tuple(
                ForecastValue(v.valid_start, v.valid_end, v.aqi, v.primary_pollutant)
                for v in row.values
            ),
        )
        if all(issue is not None for issue in found.values()):
            break
    return found


def _day_of_hour(label: datetime) -> date:
    """The natural day (Beijing time) of the hour ending at ``label`` (24:00 ends the day)."""
    return (label - HOUR).astimezone(CHINA_TZ).date()


def regional_outlook(
    session: Session,
    rules: WarningRules,
    adjacency: Adjacency,
    area_names: Mapping[str, str],
    at: datetime | None = None,
    horizon_hours: int = HORIZON_HOURS,
) -> LinkageOutlook:
    """Each township's forecast level for the coming days and the linkage it calls for.

    ``area_names`` are the plan's townships (code → name, ``areas.csv``), ``adjacency`` its
    ``adjacency.csv``; ``at`` defaults to the clock's now, taken to the hour (forecasts issued
    later are not read).
    """
    moment = (at or clock.now()).astimezone(CHINA_TZ).replace(minute=0, second=0, microsecond=0)
    areas = sorted(area_names)
    read = newest_township_issues(session, areas, moment)
    labels = [moment + HOUR * (k + 1) for k in range(horizon_hours)]
    days = tuple(sorted({_day_of_hour(label) for label in labels}))
    values_by_area: dict[str, list[int | None]] = {}
    for area in areas:
        issue = read[area]
        values_by_area[area] = (
            [None] * horizon_hours if issue is None else hourly_values(issue, moment, horizon_hours)
        )
    ranks = township_ranks(values_by_area, rules, moment)
    townships: list[TownshipOutlook] = []
    for area in areas:
        values = values_by_area[area]
        peaks: dict[date, int] = {}
        for label, value in zip(labels, values, strict=True):
            if value is not None:
                day = _day_of_hour(label)
                peaks[day] = max(value, peaks.get(day, value))
        issue = read[area]
        townships.append(
            TownshipOutlook(
                area=area,
                name=area_names.get(area) or adjacency.name(area),
                source=issue.source if issue else None,
                issued_at=issue.issued_at if issue else None,
                daily_peak=tuple(peaks.get(day) for day in days),
                hours_known=sum(1 for v in values if v is not None),
                rank=ranks[area],
            )
        )
    floor = rules.level_by_key(rules.linkage_min_level).rank
    high = [area for area, rank in ranks.items() if rank >= floor]
    linked = tuple(
        LinkedGroup(
            tuple(group),
            tuple(area_names.get(a) or adjacency.name(a) for a in group),
            min(ranks[a] for a in group),
            len(group) >= rules.linkage_min_townships,
        )
        for group in groups(high, adjacency)
    )
    proposal = regional_linkage(ranks, adjacency, rules)
    episode = active_episode(session, rules.city_code)
    in_force = rules.level_by_key(episode.level).rank if episode and episode.level else 0
    action = None
    if proposal is not None:
        action = "issue" if in_force == 0 else "upgrade" if proposal.rank > in_force else None
    return LinkageOutlook(
        at=moment,
        horizon_hours=horizon_hours,
        days=days,
        townships=tuple(townships),
        groups=linked,
        proposal=proposal,
        in_force_rank=in_force,
        action=action,
        city_areas=tuple(areas),
    )


def linkage_snapshot(outlook: LinkageOutlook) -> dict[str, Any] | None:
    """The linkage proposal as kept with the decision that adopted it (None: nothing proposed):
    the level, the contiguous group, every township's level and the forecast each was read from."""
    proposal = outlook.proposal
    if proposal is None:
        return None
    return {
        "action": outlook.action,
        "at": outlook.at.isoformat(),
        "from_rank": outlook.in_force_rank,
        "to_rank": proposal.rank,
        "rule": LINKAGE_RULE,
        "group": list(proposal.group),
        "township_ranks": outlook.level_by_area,
        "forecasts": {
            t.area: {"source": t.source, "issued_at": t.issued_at.isoformat()}
            for t in outlook.townships
            if t.issued_at is not None
        },
        "reasons": [
            {"rule": proposal.reason.rule, "zh": proposal.reason.zh, "en": proposal.reason.en}
        ],
    }


def adoption(outlook: LinkageOutlook, rules: WarningRules) -> dict[str, Any] | None:
    """The decision form's fields that adopt the proposal (None: nothing to adopt): the city-wide
    warning at the proposed level over every township, the linkage's reason as the reason."""
    if outlook.proposal is None or outlook.action is None:
        return None
    level = rules.level(outlook.proposal.rank)
    assert level is not None  # the proposal's rank is one of the rules' levels
    return {
        "action": outlook.action,
        "level": level.key,
        "areas": list(outlook.city_areas),
        "reason": outlook.proposal.reason.zh,
    }
