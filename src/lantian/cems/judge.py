"""The judgement of stored CEMS hours (plan task 21): exceedance cases, daily-penalty days,
monthly transmission rates, listed supervision.

Task 21: "对超标排放企业实施即超即罚 … 对涉及民生无法立即停产的，依法执行按日计罚 … 有效数据传输率
达不到 90%或一个月内行政区域多家企业超标排放的地区，实行挂牌督办，跟踪整改销号。"

* :func:`judge` reads the hourly uploads (HJ 212 CN 2061, ``device_measurements`` of period
  ``hour``) of the devices of the register's stacks, judges each pollutant the stack's CEMS
  measures on its corrected concentration (``zs_value``, the ``-ZsAvg`` the device sent, else
  computed from O2 ``a19001`` with the sector's reference O2 of the plan's
  ``emission_limits.toml``) against the limit of the stack's sector and limit set, with the flag
  rules of :mod:`lantian.standards.cems`, and opens one case per outlet and exceedance episode at
  once (即超即罚). Maintenance, calibration and fault hours never open a case. A case once opened
  for an episode is never opened again, even after it is closed.
* :func:`penalty_days` counts the days an exceedance case stays unrectified (按日计罚).
* :func:`monthly_rates` is the valid transmission rate of each outlet in a month
  (:func:`lantian.monitoring.quality.source_transmission_rates`); :func:`judge` puts a township
  under listed supervision (挂牌督办) once per month when one of its outlets was below 90 % in the
  past month or N of its firms (a setting, default 2) exceeded in the month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.config import Settings
from lantian.plan import Plan
from lantian.plan.schema import EmissionLimitsFile
from lantian.standards.cems import MAINTENANCE_FLAGS, corrected_concentration, episodes, judge_hours
from lantian.timeutil import CHINA_TZ

RULE_EXCEEDANCE = "cems.exceedance"
RULE_LISTED = "cems.listed"
#: The valid transmission rate task 21 asks of every outlet (数据传输有效率达到 90%).
RATE_TARGET = 90.0
O2_CODE = "a19001"
LEAD_UNIT = "hbj"
LIMIT_SET_LABELS = {"standard": "标准限值", "special": "特别排放限值", "ultra_low": "超低排放限值"}
POLLUTANT_LABELS = {"a34013": "烟尘", "a21026": "二氧化硫", "a21002": "氮氧化物"}


@dataclass(frozen=True)
class JudgedHour:
    """One hour of one pollutant of an outlet as judged."""

    hour: datetime
    pollutant: str
    value: float | None
    flag: str | None
    limit: float
    valid: bool
    exceeding: bool
    ratio: float | None
    computed: bool


@dataclass(frozen=True)
class Episode:
    """A run of exceeding hours of one outlet (see :func:`lantian.standards.cems.episodes`)."""

    outlet: str
    start: datetime
    end: datetime
    hours: tuple[JudgedHour, ...]

    @property
    def subject(self) -> str:
        return f"stack:{self.outlet}:{self.start.astimezone(CHINA_TZ):%Y%m%d%H}"


@dataclass
class JudgeResult:
    """What a judgement found and did."""

    outlets: int = 0
    hours: int = 0
    exceeding_hours: int = 0
    maintenance_hours: int = 0
    episodes: int = 0
    cases_opened: int = 0
    listed_opened: int = 0
    listed: list[str] = field(default_factory=list)
    #: Days of unrectified exceedance recorded on their cases (按日计罚) by this run.
    penalty_days: int = 0

    def text(self) -> str:
        return (
            f"排放口 {self.outlets} 个，小时 {self.hours} 个，超标 {self.exceeding_hours} 个，"
            f"运维/校准/故障 {self.maintenance_hours} 个，超标事件 {self.episodes} 次，新开案件 "
            f"{self.cases_opened} 件，挂牌督办 {self.listed_opened} 件，按日计罚记日 {self.penalty_days} "
            f"天 / {self.outlets} outlets, "
            f"{self.hours} hours, {self.exceeding_hours} exceeding, {self.maintenance_hours} in "
            f"maintenance, {self.episodes} episodes, {self.cases_opened} cases opened, "
            f"{self.listed_opened} listed, {self.penalty_days} daily-penalty days recorded"
        )


def previous_month(today: date | None = None) -> date:
    """The first day of the month before ``today`` (China time)."""
    day = today or clock.today()
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _limits(plan: Plan) -> EmissionLimitsFile:
    if plan.emission_limits is None:
        from lantian.errors import InputError

        raise InputError(
            "计划没有 emission_limits.toml（排放限值与基准含氧量）/ the plan has no emission limits"
        )
    return plan.emission_limits


def link_device(session: Session, stack: Any) -> None:
    """Name the outlet on its device (``devices.source_code``): the receiver's transmission rates
    and the judgement find the outlet by it. Nothing happens before the device is registered."""
    from lantian.monitoring.hj212_models import Device

    mn = getattr(stack, "device_mn", None)
    if not mn:
        return
    device = session.scalar(select(Device).where(Device.mn == mn))
    if device is not None and device.source_code != stack.key:
        device.source_code = stack.key
        session.flush()


def _stacks(session: Session, keys: Sequence[str] | None = None) -> list[Any]:
    from lantian.sources.kinds.stacks import Stack

    query = select(Stack).where(Stack.state != "removed", Stack.device_mn.is_not(None))
    if keys:
        query = query.where(Stack.key.in_(list(keys)))
    return list(session.scalars(query.order_by(Stack.key)))


def judged_hours(
    session: Session, plan: Plan, stack: Any, start: datetime, end: datetime
) -> list[JudgedHour]:
    """Every stored hour of the stack's pollutants in [start, end), judged (hour order)."""
    from lantian.monitoring.hj212_models import Device, DeviceMeasurement

    limits = _limits(plan)
    sector = limits.sectors.get(stack.sector)
    if sector is None:
        return []
    device_id = session.scalar(select(Device.id).where(Device.mn == stack.device_mn))
    if device_id is None:
        return []
    codes = [c for c in str(stack.pollutants or "").split(",") if c]
    rows = session.execute(
        select(
            DeviceMeasurement.code,
            DeviceMeasurement.data_time,
            DeviceMeasurement.value,
            DeviceMeasurement.zs_value,
            DeviceMeasurement.flag,
        )
        .where(
            DeviceMeasurement.device_id == device_id,
            DeviceMeasurement.period == "hour",
            DeviceMeasurement.code.in_([*codes, O2_CODE]),
            DeviceMeasurement.data_time >= start,
            DeviceMeasurement.data_time < end,
        )
        .order_by(DeviceMeasurement.data_time)
    ).all()
    o2: dict[datetime, tuple[float | None, str | None]] = {}
    by_code: dict[str, dict[datetime, tuple[float | None, float | None, str | None]]] = {}
    for code, data_time, value, zs_value, flag in rows:
        code = str(code)
        moment = data_time.astimezone(UTC)
        if code == O2_CODE:
            o2[moment] = (value, flag)
        else:
            by_code.setdefault(code, {})[moment] = (value, zs_value, flag)
    judged: list[JudgedHour] = []
    gap = 1
    for code in codes:
        limit = limits.limit(stack.sector, stack.limit_set, code)
        series = by_code.get(code)
        if limit is None or not series:
            continue
        moments = sorted(series)
        values = np.full(len(moments), np.nan)
        computed = np.zeros(len(moments), dtype=bool)
        flags: list[str | None] = []
        for index, moment in enumerate(moments):
            value, zs_value, flag = series[moment]
            if zs_value is not None:
                values[index] = zs_value
            elif value is not None and sector.reference_o2 is None:
                values[index] = value
            elif value is not None and sector.reference_o2 is not None:
                o2_value, o2_flag = o2.get(moment, (None, None))
                values[index] = corrected_concentration(
                    np.array([value]),
                    np.array([np.nan if o2_value is None else o2_value]),
                    sector.reference_o2,
                )[0]
                computed[index] = True
                # The corrected value is only as valid as the O2 it was computed with.
                if flag in (None, "N", "T") and o2_flag not in (None, "N", "T"):
                    flag = o2_flag
            flags.append(flag)
        hours = np.array([int(m.timestamp()) // 3600 for m in moments], dtype=np.int64)
        result = judge_hours(hours, values, flags, limit, gap)
        for index, moment in enumerate(moments):
            value = float(result.concentration[index])
            judged.append(
                JudgedHour(
                    hour=moment,
                    pollutant=code,
                    value=None if np.isnan(value) else round(value, 3),
                    flag=flags[index],
                    limit=limit,
                    valid=bool(result.valid[index]),
                    exceeding=bool(result.exceeding[index]),
                    ratio=None
                    if np.isnan(result.ratio[index])
                    else round(float(result.ratio[index]), 4),
                    computed=bool(computed[index]),
                )
            )
    judged.sort(key=lambda h: (h.hour, h.pollutant))
    return judged


def outlet_episodes(outlet: str, hours: Sequence[JudgedHour], gap_hours: int) -> list[Episode]:
    """The outlet's exceedance episodes: an hour exceeds when any pollutant does; it is valid
    and compliant when some pollutant was validly measured and none exceeded."""
    by_hour: dict[datetime, list[JudgedHour]] = defaultdict(list)
    for hour in hours:
        by_hour[hour.hour].append(hour)
    moments = sorted(by_hour)
    if not moments:
        return []
    exceeding = np.array([any(h.exceeding for h in by_hour[m]) for m in moments], dtype=bool)
    valid = np.array([any(h.valid for h in by_hour[m]) for m in moments], dtype=bool)
    index = np.array([int(m.timestamp()) // 3600 for m in moments], dtype=np.int64)
    numbers = episodes(index, exceeding, valid, gap_hours)
    found: dict[int, list[datetime]] = defaultdict(list)
    for moment, number in zip(moments, numbers.tolist(), strict=True):
        if number >= 0:
            found[number].append(moment)
    return [
        Episode(
            outlet,
            members[0],
            members[-1],
            tuple(h for m in members for h in by_hour[m] if h.exceeding),
        )
        for _, members in sorted(found.items())
    ]


def _case_exists(session: Session, rule: str, subject: str) -> bool:
    from lantian.supervision.models import InspectionCase
    from lantian.supervision.service import dedup_key

    key = dedup_key("rule", rule, subject)
    return (
        session.scalar(select(InspectionCase.id).where(InspectionCase.dedup_key == key)) is not None
    )


def _open(
    session: Session,
    rule: str,
    subject: str,
    *,
    title: str,
    description: str,
    area_code: str | None,
    observed_at: datetime,
    details: dict[str, Any],
    site: str | None = None,
    longitude: float | None = None,
    latitude: float | None = None,
    severity: str = "serious",
    is_sample: bool = False,
) -> bool:
    from lantian.supervision.service import CaseDraft, open_case

    if _case_exists(session, rule, subject):
        return False
    opened = open_case(
        session,
        rule=rule,
        subject=subject,
        draft=CaseDraft(
            source="rule",
            title=title[:200],
            description=description,
            area_code=area_code,
            site=site,
            longitude=longitude,
            latitude=latitude,
            severity=severity,
            unit_code=LEAD_UNIT,
            reference=rule,
            is_sample=is_sample,
        ),
        observed_at=observed_at,
        details=details,
    )
    return opened.created


def judge(
    session: Session,
    plan: Plan,
    settings: Settings,
    *,
    since: date | None = None,
    until: date | None = None,
    outlets: Sequence[str] | None = None,
    today: date | None = None,
) -> JudgeResult:
    """Judge the stored hours of the register's stacks from ``since`` (default: the first day of
    the previous month, so an episode is seen whole across a month's turn) to ``until``
    (default: today, China time, from :mod:`lantian.clock` unless given) and open the cases of
    task 21 (idempotent: run it as often as you like)."""
    today = today or clock.today()
    first = since or previous_month(today)
    last = until or today
    start = datetime.combine(first, time(0), CHINA_TZ).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), CHINA_TZ).astimezone(UTC)
    result = JudgeResult()
    exceeding_firms: dict[tuple[str, date], set[str]] = defaultdict(set)
    for stack in _stacks(session, outlets):
        link_device(session, stack)
        hours = judged_hours(session, plan, stack, start, end)
        result.outlets += 1
        result.hours += len({h.hour for h in hours})
        result.maintenance_hours += len(
            {h.hour for h in hours if (h.flag or "").upper() in MAINTENANCE_FLAGS}
        )
        result.exceeding_hours += len({h.hour for h in hours if h.exceeding})
        for episode in outlet_episodes(stack.key, hours, settings.cems_episode_gap_hours):
            result.episodes += 1
            month = episode.start.astimezone(CHINA_TZ).date().replace(day=1)
            exceeding_firms[(str(stack.area_code), month)].add(stack.credit_code)
            worst = max(episode.hours, key=lambda h: h.ratio or 0.0)
            pollutants = "、".join(
                sorted({POLLUTANT_LABELS.get(h.pollutant, h.pollutant) for h in episode.hours})
            )
            start_text = f"{episode.start.astimezone(CHINA_TZ):%Y-%m-%d %H:00}"
            if _open(
                session,
                RULE_EXCEEDANCE,
                episode.subject,
                title=f"排放超标（即超即罚）：{stack.name}（{stack.key}）{start_text}",
                description=(
                    f"企业 {stack.credit_code}，排放口 {stack.key}，{pollutants}小时折算浓度超过"
                    f"{LIMIT_SET_LABELS.get(stack.limit_set, stack.limit_set)}；最高 {worst.value} mg/m³（限值 {worst.limit:g}，超标 "
                    f"{(worst.ratio or 0) * 100:.0f}%），{start_text} 起。任务21：对超标排放企业实施"
                    f"即超即罚；无法立即整改的停产整治，涉及民生的按日计罚 / outlet {stack.key} of "
                    f"{stack.credit_code} exceeded its limits from {start_text}"
                ),
                area_code=stack.area_code,
                observed_at=episode.start,
                details={
                    "outlet": stack.key,
                    "credit_code": stack.credit_code,
                    "device_mn": stack.device_mn,
                    "episode_start": episode.start.isoformat(),
                    "hours": [
                        {
                            "hour": h.hour.isoformat(),
                            "pollutant": h.pollutant,
                            "value": h.value,
                            "limit": h.limit,
                            "ratio": h.ratio,
                        }
                        for h in episode.hours[:48]
                    ],
                },
                site=stack.address or stack.name,
                longitude=stack.longitude,
                latitude=stack.latitude,
                is_sample=bool(stack.is_sample),
            ):
                result.cases_opened += 1
    _listed(session, plan, settings, first, last, today, exceeding_firms, result)
    result.penalty_days = _record_penalty_days(session, today)
    return result


def _record_penalty_days(session: Session, today: date) -> int:
    """Each whole day an exceedance case stays unrectified is one more occurrence of its case,
    observed at the end of that day (按日计罚: the case's page counts the days); returns how
    many were added. A closed case counts no further day."""
    from lantian.sources.registry import end_of_day
    from lantian.supervision.models import CaseOccurrence, InspectionCase
    from lantian.supervision.service import CaseDraft, open_case

    added = 0
    open_cases = session.scalars(
        select(InspectionCase).where(
            InspectionCase.reference == RULE_EXCEEDANCE, InspectionCase.closed_at.is_(None)
        )
    ).all()
    for case in open_cases:
        first_day = case.first_seen_at.astimezone(CHINA_TZ).date()
        seen = set(
            session.scalars(
                select(CaseOccurrence.observed_at).where(CaseOccurrence.case_id == case.id)
            )
        )
        seen_utc = {moment.astimezone(UTC) for moment in seen}
        subject = (case.dedup_key or "").split("|", 2)[-1]
        day = first_day
        number = 1
        while day < today:
            moment = end_of_day(day)
            if moment not in seen_utc:
                open_case(
                    session,
                    rule=RULE_EXCEEDANCE,
                    subject=subject,
                    draft=CaseDraft(source="rule", title=case.title),
                    observed_at=moment,
                    details={"daily_penalty_day": number, "day": day.isoformat()},
                )
                added += 1
            day += timedelta(days=1)
            number += 1
    return added


def _listed(
    session: Session,
    plan: Plan,
    settings: Settings,
    first: date,
    last: date,
    today: date,
    exceeding_firms: dict[tuple[str, date], set[str]],
    result: JudgeResult,
) -> None:
    """挂牌督办: a township with an outlet below 90 % in a finished month, or with N or more
    exceeding firms in a month, gets one listed case for that month."""
    reasons: dict[tuple[str, date], list[str]] = defaultdict(list)
    for (area, month), firms in exceeding_firms.items():
        if len(firms) >= settings.cems_listed_firms:
            reasons[(area, month)].append(
                f"{len(firms)} 家企业超标排放 / {len(firms)} firms exceeded"
            )
    month = first.replace(day=1)
    stacks = _stacks(session)
    while month <= last and _month_end(month) < today:
        # An outlet is held to a month it was on the register in (entered before the month ended).
        month_end = datetime.combine(_month_end(month) + timedelta(days=1), time(0), CHINA_TZ)
        area_of = {
            stack.key: str(stack.area_code) for stack in stacks if stack.created_at < month_end
        }
        for row in monthly_rates(session, month):
            outlet_area = area_of.get(row.outlet)
            if outlet_area is not None and row.valid_rate < RATE_TARGET:
                reasons[(outlet_area, month)].append(
                    f"排放口 {row.outlet} 有效传输率 {row.valid_rate}% / outlet {row.outlet} at "
                    f"{row.valid_rate} %"
                )
        month = _month_end(month) + timedelta(days=1)
    names = plan.area_names()
    for (area, month), why in sorted(reasons.items()):
        subject = f"area:{area}:{month:%Y-%m}"
        if _open(
            session,
            RULE_LISTED,
            subject,
            title=f"挂牌督办：{names.get(area, area)} {month:%Y年%m月}自动监控数据传输有效率不足或多家企业超标",
            description="；".join(why[:20])
            + f"。任务21：有效数据传输率达不到 90%或一个月内行政区域多家企业超标排放的地区，实行挂牌"
            f"督办，跟踪整改销号 / listed supervision for {month:%Y-%m}",
            area_code=area,
            observed_at=datetime.combine(month, time(0), CHINA_TZ).astimezone(UTC),
            details={"area": area, "month": f"{month:%Y-%m}", "reasons": why},
            severity="major",
        ):
            result.listed_opened += 1
            result.listed.append(subject)


@dataclass(frozen=True)
class OutletRate:
    outlet: str
    mn: str
    month: date
    expected_hours: int
    received_hours: int
    valid_hours: int
    valid_rate: float


def monthly_rates(session: Session, month: date) -> list[OutletRate]:
    """The valid transmission rate of each outlet with a device in ``month`` (task 21: ≥ 90 %)."""
    from lantian.monitoring.quality import source_transmission_rates

    first = month.replace(day=1)
    # A month still running is judged to date: its hours still to come are not missing yet.
    last = max(first, min(_month_end(first), clock.today() - timedelta(days=1)))
    keys = {stack.key for stack in _stacks(session)}
    return [
        OutletRate(
            row.source_code,
            row.mn,
            first,
            row.expected_hours,
            row.received_hours,
            row.valid_hours,
            round(100.0 * row.valid_hours / row.expected_hours, 1) if row.expected_hours else 0.0,
        )
        for row in source_transmission_rates(session, first, last, period="month")
        if row.source_code in keys
    ]


@dataclass(frozen=True)
class CaseDays:
    """An exceedance case with the days it counts for the daily penalty (按日计罚)."""

    case_id: int
    outlet: str
    title: str
    state: str
    first_day: date
    last_day: date
    days: int


def penalty_days(session: Session, outlet: str | None = None) -> list[CaseDays]:
    """Every exceedance case (of ``outlet``) with its day count: from the day the exceedance was
    first seen to the day the case was closed (rectified), or today while it is not (task 21:
    "对涉及民生无法立即停产的，依法执行按日计罚")."""
    from lantian.supervision.models import InspectionCase

    query = select(InspectionCase).where(InspectionCase.reference == RULE_EXCEEDANCE)
    if outlet is not None:
        query = query.where(
            InspectionCase.dedup_key.like(f"rule|{RULE_EXCEEDANCE}|stack:{outlet}:%")
        )
    today = clock.today()
    found = []
    for case in session.scalars(query.order_by(InspectionCase.first_seen_at)):
        first_day = case.first_seen_at.astimezone(CHINA_TZ).date()
        last_day = case.closed_at.astimezone(CHINA_TZ).date() if case.closed_at else today
        found.append(
            CaseDays(
                case.id,
                (case.dedup_key or "").split("|")[-1].split(":")[1],
                case.title,
                case.state,
                first_day,
                last_day,
                max((last_day - first_day).days + 1, 1),
            )
        )
    return found


def stack_panels(session: Session, stack: Any) -> list[Any]:
    """The stack's page: the judged hours of the last days it has data and its exceedance cases
    with their daily-penalty days."""
    from lantian.plan import plan_in_force
    from lantian.sources.registry import Panel

    plan = plan_in_force()
    hours: list[JudgedHour] = []
    if plan.emission_limits is not None and getattr(stack, "device_mn", None):
        from lantian.monitoring.hj212_models import Device, DeviceMeasurement

        newest = session.scalar(
            select(DeviceMeasurement.data_time)
            .join(Device, Device.id == DeviceMeasurement.device_id)
            .where(Device.mn == stack.device_mn, DeviceMeasurement.period == "hour")
            .order_by(DeviceMeasurement.data_time.desc())
            .limit(1)
        )
        if newest is not None:
            newest = newest.astimezone(UTC)
            hours = judged_hours(
                session, plan, stack, newest - timedelta(hours=71), newest + timedelta(hours=1)
            )
    hour_rows = tuple(
        (
            f"{h.hour.astimezone(CHINA_TZ):%Y-%m-%d %H:00}",
            POLLUTANT_LABELS.get(h.pollutant, h.pollutant),
            "—" if h.value is None else f"{h.value:g}" + ("*" if h.computed else ""),
            f"{h.limit:g}",
            h.flag or "N",
            ("超标 exceeding" if h.exceeding else "达标 compliant") if h.valid else "无效 invalid",
        )
        for h in reversed(hours)
    )
    cases = penalty_days(session, stack.key)
    return [
        Panel(
            "cems_hours",
            "小时折算浓度判定（近 72 小时；* 由含氧量折算）",
            "hourly corrected concentrations judged (last 72 h; * computed from O2)",
            (
                ("时间", "hour"),
                ("污染物", "pollutant"),
                ("折算浓度 mg/m³", "corrected mg/m³"),
                ("限值", "limit"),
                ("标记", "flag"),
                ("判定", "verdict"),
            ),
            hour_rows,
            empty=("暂无小时数据", "no hourly data"),
        ),
        Panel(
            "cems_cases",
            "超标案件及按日计罚天数",
            "exceedance cases and daily-penalty days",
            (("案件", "case"), ("状态", "state"), ("起始日", "from"), ("计罚天数", "days")),
            tuple((c.title, c.state, str(c.first_day), str(c.days)) for c in cases),
            tuple(f"/cases/{c.case_id}" for c in cases),
            empty=("无超标案件", "no exceedance case"),
        ),
    ]


@dataclass(frozen=True)
class OutletSummary:
    """One outlet on the CEMS overview: its register entry, the month's rate and exceedances."""

    entry_id: int
    outlet: str
    name: str
    area_code: str
    sector: str
    limit_set: str
    state: str
    device_mn: str | None
    valid_rate: float | None
    exceeding_hours: int
    open_cases: int
    penalty_days: int


def overview(
    session: Session, plan: Plan, month: date, *, area: str | None = None, unit: str | None = None
) -> list[OutletSummary]:
    """Every outlet of the register (of ``area`` or ``unit``) with the month's valid transmission
    rate, its exceeding hours in the month and its unrectified exceedance cases (按日计罚 days)."""
    from lantian.sources.kinds.stacks import Stack

    query = select(Stack).where(Stack.state != "removed").order_by(Stack.area_code, Stack.key)
    if area is not None:
        query = query.where(Stack.area_code == area)
    if unit is not None:
        query = query.where(Stack.unit_code == unit)
    first = month.replace(day=1)
    start = datetime.combine(first, time(0), CHINA_TZ).astimezone(UTC)
    end = datetime.combine(_month_end(first) + timedelta(days=1), time(0), CHINA_TZ).astimezone(UTC)
    rates = {row.outlet: row.valid_rate for row in monthly_rates(session, first)}
    days = defaultdict(list)
    for row in penalty_days(session):
        if row.state != "closed":
            days[row.outlet].append(row.days)
    found = []
    for stack in session.scalars(query):
        exceeding = 0
        if stack.device_mn and plan.emission_limits is not None:
            exceeding = len(
                {h.hour for h in judged_hours(session, plan, stack, start, end) if h.exceeding}
            )
        found.append(
            OutletSummary(
                stack.id,
                stack.key,
                stack.name,
                stack.area_code,
                stack.sector,
                stack.limit_set,
                stack.state,
                stack.device_mn,
                rates.get(stack.key),
                exceeding,
                len(days[stack.key]),
                max(days[stack.key], default=0),
            )
        )
    return found


def listed_cases(session: Session, area: str | None = None) -> list[Any]:
    """The listed-supervision (挂牌督办) cases, newest first."""
    from lantian.supervision.models import InspectionCase

    query = select(InspectionCase).where(InspectionCase.reference == RULE_LISTED)
    if area is not None:
        query = query.where(InspectionCase.area_code == area)
    return list(session.scalars(query.order_by(InspectionCase.first_seen_at.desc())))


def series(session: Session, plan: Plan, stack: Any, days: int = 7) -> dict[str, Any]:
    """The chart of the stack's page: the judged hours of the last ``days`` days it has data,
    per pollutant, with its limit (for ECharts)."""
    from lantian.monitoring.hj212_models import Device, DeviceMeasurement

    if plan.emission_limits is None or not getattr(stack, "device_mn", None):
        return {"hours": [], "series": []}
    newest = session.scalar(
        select(DeviceMeasurement.data_time)
        .join(Device, Device.id == DeviceMeasurement.device_id)
        .where(Device.mn == stack.device_mn, DeviceMeasurement.period == "hour")
        .order_by(DeviceMeasurement.data_time.desc())
        .limit(1)
    )
    if newest is None:
        return {"hours": [], "series": []}
    newest = newest.astimezone(UTC)
    judged = judged_hours(
        session, plan, stack, newest - timedelta(hours=24 * days - 1), newest + timedelta(hours=1)
    )
    moments = sorted({h.hour for h in judged})
    labels = [f"{m.astimezone(CHINA_TZ):%m-%d %H:00}" for m in moments]
    out = []
    for code in sorted({h.pollutant for h in judged}):
        by_hour = {h.hour: h for h in judged if h.pollutant == code}
        out.append(
            {
                "code": code,
                "name": POLLUTANT_LABELS.get(code, code),
                "limit": next(iter(by_hour.values())).limit,
                "values": [
                    None if m not in by_hour or not by_hour[m].valid else by_hour[m].value
                    for m in moments
                ],
                "exceeding": [bool(m in by_hour and by_hour[m].exceeding) for m in moments],
            }
        )
    return {"hours": labels, "series": out}
