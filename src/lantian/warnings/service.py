"""Use cases of the warnings package: store forecast versions, record decisions, show the warning.

Every change a person makes (forecast import, issue, change, lift) is checked with
``can(principal, "write", resource("warning", areas=...))`` and written to the audit log in the
same transaction (lantian.auth.audit.record). Notices are rendered from the Chinese template
``templates/notice_zh.txt``; delivery (e-mail, webhook) is in :mod:`lantian.warnings.notify` and runs
after the decision is committed, so a mail server that is down never loses a decision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources
from typing import Any

import numpy as np
from jinja2 import Environment, StrictUndefined
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.audit import record
from lantian.auth.permissions import Principal, can, resource
from lantian.db.engine import transaction
from lantian.errors import Conflict, InputError, NotAllowed, NotFound
from lantian.monitoring.publication import DECIMALS, INDICATOR, newest_hour, values_in_force
from lantian.monitoring.quality import load_span
from lantian.standards.rounding import quantize
from lantian.timeutil import CHINA_TZ
from lantian.warnings.engine import Assessment, Proposal, assess
from lantian.warnings.forecast import (
    ForecastIssue,
    ForecastValue,
    Persistence,
    hourly_values,
    latest_issue,
    parse_forecast_csv,
)
from lantian.warnings.models import (
    ForecastIssueRow,
    ForecastValueRow,
    WarningDecisionRow,
    WarningEpisodeRow,
    WarningNotificationRow,
)
from lantian.warnings.notify import Delivery, NotifySettings, deliver
from lantian.warnings.replay import CitySeries, series_from_stations
from lantian.warnings.rules import WarningRules

ACTIONS = ("issue", "upgrade", "downgrade", "lift")
AREA_OR_CITY = re.compile(r"\d{6}|\d{9}")
ACTION_VERB_ZH = {"issue": "发布", "upgrade": "升级", "downgrade": "降级", "lift": "解除"}
#: The notice's document number; a preview shows □ where the number will stand (it is given when
#: the decision is recorded: a rolled-back preview must not promise one).
NOTICE_NUMBER = "攻坚办预警〔{year}〕{id}号"
DRAFT_NUMBER = "攻坚办预警〔{year}〕□号"


#: The principal may not write warnings for these areas: the taxonomy's :class:`NotAllowed`.
PermissionDenied = NotAllowed


def _require_write(who: Principal, areas: list[str]) -> None:
    if not can(who, "write", resource("warning", areas=areas)):
        raise PermissionDenied(
            f"{who.username or '公众'}无权发布或变更预警（{'、'.join(areas)}）/ "
            f"{who.username or 'the public'} may not write warnings for {', '.join(areas)}"
        )


# --- forecasts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    new_issues: int
    revisions: int
    unchanged: int
    values: int


def _same(row: ForecastIssueRow, issue: ForecastIssue) -> bool:
    mine = [(v.valid_start, v.valid_end, v.aqi, v.primary_pollutant) for v in row.values]
    theirs = [(v.valid_start, v.valid_end, v.aqi, v.primary_pollutant) for v in issue.values]
    return mine == theirs


def import_forecasts(
    session: Session, who: Principal, text: str, file_name: str, now: datetime | None = None
) -> ImportResult:
    """Store every issued version of a forecast CSV (see :func:`parse_forecast_csv`).

    A version already stored with the same values is skipped; the same (area, source, issued
    time) with other values becomes the next revision — nothing is overwritten.
    """
    issues = parse_forecast_csv(text, file_name)
    if not issues:
        raise InputError(f"{file_name}: 文件中没有预报 / the file holds no forecast")
    _require_write(who, sorted({i.area for i in issues}))
    actor = who.username or "public"
    new = revisions = unchanged = values = 0
    for issue in issues:
        stored = list(
            session.scalars(
                select(ForecastIssueRow)
                .where(
                    ForecastIssueRow.area == issue.area,
                    ForecastIssueRow.source == issue.source,
                    ForecastIssueRow.issued_at == issue.issued_at,
                )
                .order_by(ForecastIssueRow.revision)
            )
        )
        if stored and _same(stored[-1], issue):
            unchanged += 1
            continue
        hours = {v.hours for v in issue.values}
        row = ForecastIssueRow(
            area=issue.area,
            source=issue.source,
            issued_at=issue.issued_at,
            revision=stored[-1].revision + 1 if stored else 1,
            resolution="hour" if hours == {1} else "block" if hours == {24} else "mixed",
            imported_at=now or clock.now(),
            imported_by=actor,
            file_name=file_name[:255],
            values=[
                ForecastValueRow(
                    valid_start=v.valid_start,
                    valid_end=v.valid_end,
                    aqi=v.aqi,
                    primary_pollutant=v.primary_pollutant,
                )
                for v in issue.values
            ],
        )
        session.add(row)
        session.flush()
        record(
            session,
            actor,
            "warning.forecast_import",
            "warning_forecast_issue",
            row.id,
            None,
            {
                "area": row.area,
                "source": row.source,
                "issued_at": row.issued_at.isoformat(),
                "revision": row.revision,
                "values": len(issue.values),
            },
            f"导入预报 / forecast import: {file_name}",
        )
        new += int(row.revision == 1)
        revisions += int(row.revision > 1)
        values += len(issue.values)
    return ImportResult(new, revisions, unchanged, values)


def forecast_issues(session: Session, area: str) -> list[ForecastIssue]:
    """Every stored version for ``area`` as plain values, oldest first (revisions after)."""
    rows = session.scalars(
        select(ForecastIssueRow)
        .where(ForecastIssueRow.area == area)
        .order_by(ForecastIssueRow.issued_at, ForecastIssueRow.revision)
    )
    return [
        ForecastIssue(
            row.area,
            row.issued_at,
            row.source,
            tuple(
                ForecastValue(v.valid_start, v.valid_end, v.aqi, v.primary_pollutant)
                for v in row.values
            ),
        )
        for row in rows
    ]


def count_forecast_issues(session: Session, area: str | None = None) -> int:
    query = select(func.count(ForecastIssueRow.id))
    if area:
        query = query.where(ForecastIssueRow.area == area)
    return session.scalar(query) or 0


def list_forecast_issues(
    session: Session, area: str | None, limit: int, offset: int
) -> list[ForecastIssueRow]:
    query = select(ForecastIssueRow).order_by(
        ForecastIssueRow.issued_at.desc(), ForecastIssueRow.id.desc()
    )
    if area:
        query = query.where(ForecastIssueRow.area == area)
    return list(session.scalars(query.limit(limit).offset(offset)))


# --- decisions ------------------------------------------------------------------------------------


def active_episode(session: Session, scope: str) -> WarningEpisodeRow | None:
    return session.scalar(
        select(WarningEpisodeRow)
        .where(WarningEpisodeRow.scope == scope, WarningEpisodeRow.lifted_at.is_(None))
        .order_by(WarningEpisodeRow.id.desc())
    )


def plan_area_names() -> dict[str, str]:
    """Township code → name of the plan in force (``areas.csv``): the areas a warning can cover."""
    from lantian.plan import plan_in_force

    return plan_in_force().area_names()


def describe_areas(areas: Sequence[str], area_names: Mapping[str, str]) -> str:
    """Where a warning applies, in the words of its notice: 「全市」 only when ``areas`` covers every
    township of the plan (``area_names``), otherwise the townships' names joined with 「、」 in code
    order (issue 14: a warning for one township must not read 「在全市发布」). A code the plan
    does not name is shown as the code."""
    chosen = sorted(set(areas))
    if area_names and set(area_names) <= set(chosen):
        return "全市"
    return "、".join(area_names.get(code, code) for code in chosen)


def _environment() -> Environment:
    return Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)  # noqa: S701 — renders a plain-text notice (not HTML); pages show it through autoescaping templates


def render_notice(
    rules: WarningRules,
    *,
    action: str,
    from_key: str | None,
    to_key: str | None,
    areas_text: str,
    reason: str,
    effective_at: datetime,
    decided_at: datetime,
    number: str,
) -> str:
    """The Chinese notice of a decision, from ``templates/notice_zh.txt`` (plain text)."""
    source = (
        resources.files("lantian.warnings").joinpath("templates/notice_zh.txt").read_text("utf-8")
    )
    from_level = rules.level_by_key(from_key) if from_key else None
    to_level = rules.level_by_key(to_key) if to_key else None
    shown = to_level or from_level
    assert shown is not None
    title = f"{shown.name_zh}{'解除' if action == 'lift' else ''}通知"
    effective = effective_at.astimezone(CHINA_TZ)
    decided = decided_at.astimezone(CHINA_TZ)
    return (
        _environment()
        .from_string(source)
        .render(
            city=rules.city_zh or "本市",
            title=title,
            number=number,
            action=action,
            verb=ACTION_VERB_ZH[action],
            reason=reason.rstrip("。"),
            effective=f"{effective.year}年{effective.month}月{effective.day}日{effective.hour}时",
            decided=f"{decided.year}年{decided.month}月{decided.day}日",
            areas_text=areas_text,
            from_name=from_level.name_zh if from_level else "",
            from_response=from_level.response_zh if from_level else "",
            to_name=to_level.name_zh if to_level else "",
            to_name_short=to_level.short_zh if to_level else "",
            to_response=to_level.response_zh if to_level else "",
            reduction=to_level.reduction_zh if to_level else "",
        )
    )


def proposal_snapshot(proposal: Proposal) -> dict[str, Any]:
    """What the engine proposed, kept with the decision that followed it."""
    return {
        "action": proposal.action.value,
        "at": proposal.at.isoformat(),
        "from_rank": proposal.from_rank,
        "to_rank": proposal.to_rank,
        "rule": proposal.rule,
        "reasons": [{"rule": r.rule, "zh": r.zh, "en": r.en} for r in proposal.reasons],
    }


def decide(
    session: Session,
    who: Principal,
    rules: WarningRules,
    *,
    action: str,
    scope: str,
    areas: list[str],
    reason: str,
    level: str | None = None,
    effective_at: datetime | None = None,
    proposal: dict[str, Any] | None = None,
    areas_text: str | None = None,
    area_names: Mapping[str, str] | None = None,
    now: datetime | None = None,
    number_format: str = NOTICE_NUMBER,
) -> WarningDecisionRow:
    """Record a person's decision (issue / upgrade / downgrade / lift) and its audit entry.

    ``scope`` is the 6-digit code of the city (the episode the office manages) or a 9-digit
    township code; ``areas`` the 9-digit codes covered. The transitions are checked against the
    episode in force. The notice names the areas (:func:`describe_areas` with ``area_names``, by
    default the plan in force's townships) unless ``areas_text`` words them.
    """
    now = now or clock.now()
    effective_at = effective_at or now
    if action not in ACTIONS:
        raise InputError(
            f"未知操作 {action!r}（可用：{', '.join(ACTIONS)}）/ unknown action", field="action"
        )
    if not AREA_OR_CITY.fullmatch(scope):
        raise InputError(
            f"范围 {scope!r} 应为6位市县代码或9位乡镇代码 / scope must be 6 or 9 digits"
        )
    if not areas or any(not re.fullmatch(r"\d{9}", a) for a in areas):
        raise InputError(
            "区域须为9位乡镇代码列表 / areas must be 9-digit township codes", field="areas"
        )
    if not reason.strip():
        raise InputError("须说明理由 / a reason is required", field="reason")
    _require_write(who, areas)
    actor = who.username or "public"
    episode = active_episode(session, scope)
    current = rules.level_by_key(episode.level) if episode and episode.level else None
    target = rules.level_by_key(level) if level else None
    if action == "issue":
        if episode is not None:
            raise Conflict(
                f"{scope} 已有{current.name_zh if current else ''}在执行，请用升级/降级/解除 / a "
                "warning is already in force: upgrade, downgrade or lift it"
            )
        if target is None:
            raise InputError("发布预警须指定级别 / issuing needs a level", field="level")
        episode = WarningEpisodeRow(
            scope=scope,
            areas=sorted(areas),
            level=target.key,
            max_level=target.key,
            started_at=effective_at,
        )
        session.add(episode)
        session.flush()
    else:
        if episode is None or current is None:
            raise Conflict(f"{scope} 当前没有预警 / no warning in force for {scope}")
        if action == "lift":
            if target is not None:
                raise InputError("解除预警不需要级别 / lifting takes no level", field="level")
        elif target is None:
            raise InputError("升级/降级须指定级别 / a change needs the new level", field="level")
        elif action == "upgrade" and target.rank <= current.rank:
            raise InputError(
                f"升级须高于现行{current.name_zh} / an upgrade must be above {current.name_en}",
                field="level",
            )
        elif action == "downgrade" and target.rank >= current.rank:
            raise InputError(
                f"降级须低于现行{current.name_zh} / a downgrade must be below {current.name_en}",
                field="level",
            )
    covered_before = list(episode.areas)
    before = {"level": current.key if current else None, "areas": episode.areas}
    if action == "lift":
        episode.level = None
        episode.lifted_at = effective_at
    elif target is not None:
        episode.level = target.key
        episode.areas = sorted(areas)
        if rules.level_by_key(episode.max_level).rank < target.rank:
            episode.max_level = target.key
    decision = WarningDecisionRow(
        episode_id=episode.id,
        action=action,
        from_level=current.key if current else None,
        to_level=target.key if target else None,
        areas=sorted(areas),
        reason=reason.strip(),
        decided_by=actor,
        decided_at=now,
        effective_at=effective_at,
        proposal=proposal,
        notice_text="",
    )
    session.add(decision)
    session.flush()
    year = effective_at.astimezone(CHINA_TZ).year
    decision.notice_text = render_notice(
        rules,
        action=action,
        from_key=decision.from_level,
        to_key=decision.to_level,
        areas_text=areas_text
        or describe_areas(
            # A lift ends the whole episode: its notice names every area the warning covered.
            covered_before if action == "lift" else areas,
            area_names if area_names is not None else plan_area_names(),
        ),
        reason=decision.reason,
        effective_at=effective_at,
        decided_at=now,
        number=number_format.format(year=year, id=decision.id),
    )
    record(
        session,
        actor,
        f"warning.{action}",
        "warning_episode",
        episode.id,
        before,
        {
            "level": episode.level,
            "areas": sorted(areas),
            "decision_id": decision.id,
            "effective_at": effective_at.isoformat(),
        },
        decision.reason,
        at=now,
    )
    return decision


def decide_and_notify(
    sessions: sessionmaker[Session],
    who: Principal,
    rules: WarningRules,
    notify: NotifySettings | None,
    **decision: Any,
) -> tuple[WarningDecisionRow, list[Delivery]]:
    """The use case every face calls: record the decision (:func:`decide`, its own transaction),
    then — once it is committed, so a mail server that is down never loses a decision — send its
    notice to every configured channel and record each attempt. ``notify=None`` sends nothing.
    """
    with transaction(sessions) as session:
        row = decide(session, who, rules, **decision)
    if notify is None:
        return row, []
    with transaction(sessions) as session:
        sent = deliver(session, session.merge(row), notify)
    return row, sent


def preview_decision(
    sessions: sessionmaker[Session], who: Principal, rules: WarningRules, **decision: Any
) -> WarningDecisionRow:
    """The decision and its notice exactly as :func:`decide` would record them, without recording
    anything: the same checks (permission, transition, input) and the same text, in a transaction
    that is rolled back (issue 14: the office reads the notice before it is sent). The document
    number shows □: it is given when the decision is recorded."""
    with sessions() as session:
        try:
            row = decide(session, who, rules, number_format=DRAFT_NUMBER, **decision)
            session.expunge(row)
            return row
        finally:
            session.rollback()


def get_decision(session: Session, decision_id: int) -> WarningDecisionRow:
    row = session.get(WarningDecisionRow, decision_id)
    if row is None:
        raise NotFound(f"没有预警决定 #{decision_id} / no warning decision #{decision_id}")
    return row


def decision_deliveries(session: Session, decision_id: int) -> list[WarningNotificationRow]:
    """Every delivery attempt of a decision's notice, in the order they were made."""
    return list(
        session.scalars(
            select(WarningNotificationRow)
            .where(WarningNotificationRow.decision_id == decision_id)
            .order_by(WarningNotificationRow.id)
        )
    )


@dataclass(frozen=True)
class ActiveWarning:
    """What the public page and the dashboard show about the warning in force."""

    scope: str
    level: str
    name_zh: str
    name_en: str
    response_zh: str
    colour: str
    since: datetime
    updated: datetime
    areas: list[str]
    reason: str
    notice_text: str
    reduction_zh: str
    #: the areas' names in code order, and the notice's wording of them (「全市」 or the names)
    area_names: tuple[str, ...] = ()
    areas_text: str = ""


def active_warning(
    session: Session,
    rules: WarningRules,
    scope: str,
    area_names: Mapping[str, str] | None = None,
) -> ActiveWarning | None:
    """The warning in force for ``scope`` with the names of its areas (``area_names``: township
    code → name, by default the plan in force's)."""
    episode = active_episode(session, scope)
    if episode is None or episode.level is None:
        return None
    level = rules.level_by_key(episode.level)
    last = session.scalar(
        select(WarningDecisionRow)
        .where(WarningDecisionRow.episode_id == episode.id)
        .order_by(WarningDecisionRow.id.desc())
    )
    assert last is not None
    names = area_names if area_names is not None else plan_area_names()
    return ActiveWarning(
        scope=scope,
        level=level.key,
        name_zh=level.name_zh,
        name_en=level.name_en,
        response_zh=level.response_zh,
        colour=level.colour,
        since=episode.started_at,
        updated=last.effective_at,
        areas=list(episode.areas),
        reason=last.reason,
        notice_text=last.notice_text,
        reduction_zh=level.reduction_zh,
        area_names=tuple(names.get(code, code) for code in sorted(episode.areas)),
        areas_text=describe_areas(episode.areas, names),
    )


def level_in_force(
    session: Session, area_code: str, at: datetime, levels: Sequence[str] = ()
) -> str | None:
    """The warning level in force for the township ``area_code`` at the instant ``at`` (None: no
    warning covered it then), from the decisions as they took effect — not only the warning in
    force now: a fire point of last week is judged by last week's warning (task 34:
    "对重污染天气预警期间出现秸秆焚烧的，一律严肃问责").

    Every episode (the city's, a township's) whose latest decision effective by ``at`` set a level
    for areas including ``area_code`` counts; of several, the highest in ``levels`` (the plan's
    scheme, lowest first) is returned."""
    episodes = session.scalars(
        select(WarningEpisodeRow).where(WarningEpisodeRow.started_at <= at)
    ).all()
    found: list[str] = []
    for episode in episodes:
        decisions = [d for d in episode.decisions if d.effective_at <= at]
        if not decisions:
            continue
        last = max(decisions, key=lambda d: (d.effective_at, d.id))
        if last.to_level is not None and area_code in (last.areas or []):
            found.append(last.to_level)
    if not found:
        return None
    rank = {key: index for index, key in enumerate(levels)}
    return max(found, key=lambda key: rank.get(key, -1))


def list_decisions(session: Session, limit: int, offset: int) -> list[WarningDecisionRow]:
    return list(
        session.scalars(
            select(WarningDecisionRow)
            .order_by(WarningDecisionRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def count_decisions(session: Session) -> int:
    return session.scalar(select(func.count(WarningDecisionRow.id))) or 0


# --- observations from the database ---------------------------------------------------------------


def city_series_from_db(
    session: Session, area: str, first: date, last: date, hours_after: int = 24 * 7
) -> CitySeries:
    """The city series of ``area`` (CNEMC city name) from stored measurements, reviews applied.

    Evaluation stations only (background sites left out, HJ 663-2013); values a reviewer
    invalidated are missing and corrected ones replace the raw (monitoring.publication). The span
    runs from a day before ``first`` (for the first rolling window) to ``hours_after`` after
    ``last`` (the observed future a ``perfect`` replay needs).
    """
    start = datetime.combine(first - timedelta(days=1), time(0), CHINA_TZ)
    end = datetime.combine(last + timedelta(days=1), time(0), CHINA_TZ) + timedelta(
        hours=hours_after
    )
    listing = load_span(session, start, start + timedelta(hours=1))
    codes = [
        s.code
        for s in listing.stations
        if s.city in (area, area.removesuffix("市")) and not s.is_background
    ]
    if not codes:
        raise NotFound(
            f"数据库中没有城市“{area}”的运行评价站点 / no operating evaluation station of {area!r} "
            "in the database"
        )
    grid = load_span(session, start, end, codes)
    values = values_in_force(session, grid)
    fixed = {INDICATOR[p]: quantize(values[p], DECIMALS.get(p, 0)).astype(np.int64) for p in values}
    times = tuple(h.astimezone(CHINA_TZ) for h in grid.hours)
    return series_from_stations(area, tuple(s.code for s in grid.stations), times, fixed)


@dataclass(frozen=True)
class LiveAssessment:
    """The engine's view at one hour from stored data: what it proposes and from what forecast."""

    assessment: Assessment
    forecast_name: str
    observed_now: int | None


def assess_now(
    session: Session,
    rules: WarningRules,
    area: str,
    at: datetime | None = None,
    forecast_area: str | None = None,
    scope: str | None = None,
    horizon: int = 120,
) -> LiveAssessment:
    """Run the engine as of ``at`` (default: the newest stored hour) on stored observations.

    The forecast is the newest version imported for ``forecast_area`` (default ``area``) issued by
    then; without one, the persistence baseline. The level in force is the active episode of
    ``scope`` (default the plan's city).
    """
    at = at or newest_hour(session)
    if at is None:
        raise NotFound("数据库中没有监测数据 / no measurements in the database")
    local = at.astimezone(CHINA_TZ)
    series = city_series_from_db(
        session, area, (local - timedelta(days=14)).date(), local.date(), hours_after=0
    )
    index = series.index_of(at)
    if not 0 <= index < len(series.times):
        raise InputError(f"{at.isoformat()} 不在数据范围内 / outside the stored data")
    observed = series.observed(rules.early_observed_basis)
    observed_list: list[int | None] = [int(v) if v >= 0 else None for v in observed[: index + 1]]
    issue = latest_issue(forecast_issues(session, forecast_area or area), forecast_area or area, at)
    if issue is not None:
        forecast = hourly_values(issue, at, horizon)
        name = f"{issue.source} {issue.issued_at.astimezone(CHINA_TZ):%Y-%m-%d %H:00}"
    else:
        forecast = Persistence(series.rolling_aqi[: index + 1]).forecast(index, horizon)
        name = "persistence"
    episode = active_episode(session, scope or rules.city_code)
    active_rank = rules.level_by_key(episode.level).rank if episode and episode.level else 0
    result = assess(at, observed_list, forecast, rules, active_rank)
    return LiveAssessment(result, name, observed_list[-1] if observed_list else None)


# --- episodes for other packages ------------------------------------------------------------------


def get_episode(session: Session, episode_id: int) -> WarningEpisodeRow:
    """One warning episode with its decisions (the execution checks of tasks 37–41 read it)."""
    episode = session.get(WarningEpisodeRow, episode_id)
    if episode is None:
        raise NotFound(f"没有编号为 {episode_id} 的预警过程 / no warning episode {episode_id}")
    return episode


def episodes_between(session: Session, first: datetime, last: datetime) -> list[WarningEpisodeRow]:
    """Episodes in force at some instant of ``first .. last`` (started by ``last``, not lifted
    before ``first``), oldest first."""
    return list(
        session.scalars(
            select(WarningEpisodeRow)
            .where(
                WarningEpisodeRow.started_at <= last,
                (WarningEpisodeRow.lifted_at.is_(None)) | (WarningEpisodeRow.lifted_at >= first),
            )
            .order_by(WarningEpisodeRow.started_at, WarningEpisodeRow.id)
        )
    )
