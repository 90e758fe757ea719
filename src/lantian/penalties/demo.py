"""The demo's enforcement actions taken from its cases (safeguard 三, task 21 即超即罚 and 按日计罚):
after the CEMS judgement and the execution checks have opened their cases
(:mod:`lantian.cems.demo`, :mod:`lantian.execution.demo`), the environment bureau records a few
decisions from them as a person would from a case's page — the register's new-entry form filled in
by :func:`lantian.penalties.from_case.prefill`, completed, saved through the register's one write
path (:func:`lantian.sources.service.save_entry`), then decided, served and disclosed with the
lifecycle's own steps, each on its own date before the demo's instant. Marked as sample (示例数据).

What a campaign office would see three weeks into January: a fine and a daily fine for the first
exceeding outlets, a fine for a firm that kept running through a warning — decided and disclosed
(the public list and the statistics have figures) — and a later case's action only filed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.files import FileStore
from lantian.penalties.from_case import prefill
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds.enforcement_actions import KIND, SAMPLE_BASES, EnforcementAction
from lantian.supervision.models import InspectionCase
from lantian.timeutil import CHINA_TZ

#: The environment bureau's demo account (lantian.demo.accounts): it files and decides.
BUREAU = Principal("hbj", "unit", "hbj")
#: Decision numbers of the demo's actions from cases (the register's own samples use 0001–0040).
FIRST_NUMBER = 101
NOTE = "示例数据 / sample"


@dataclass(frozen=True)
class Decision:
    """What the bureau decides on one case: the type, amounts and the days after the case's first
    observation it files, decides, serves and discloses (None: not reached by the demo's day)."""

    rule: str
    action_type: str
    fine: float | None = None
    daily: float | None = None
    daily_days: int = 0
    filed: int = 2
    decided: int | None = 6
    served: int | None = 8
    disclosed: int | None = 12
    summary: str = ""


DECISIONS = (
    Decision("cems.exceedance", "fine", fine=100_000.0, summary="自动监控小时浓度超标排放"),
    Decision(
        "cems.exceedance",
        "daily_fine",
        daily=20_000.0,
        daily_days=5,
        filed=1,
        decided=8,
        served=9,
        disclosed=13,
        summary="超标排放，责令改正后拒不改正，按日连续处罚",
    ),
    Decision(
        "execution.production",
        "fine",
        fine=50_000.0,
        filed=3,
        decided=7,
        served=9,
        disclosed=14,
        summary="重污染天气预警期间未按应急减排清单停产限产",
    ),
    Decision(
        "execution.production", "fine", fine=50_000.0, decided=None, served=None, disclosed=None
    ),
)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), CHINA_TZ)


def _day_after(first: date, limit: datetime, days: int | None) -> date | None:
    """The day ``days`` after ``first``, if its office hours are over before ``limit``."""
    if days is None:
        return None
    found = first + timedelta(days=days)
    return found if _at(found, 17) < limit else None


def _cases(session: Session, rule: str) -> list[InspectionCase]:
    return list(
        session.scalars(
            select(InspectionCase)
            .where(
                InspectionCase.dedup_key.like(f"rule|{rule}|%"),
                InspectionCase.is_sample.is_(True),
            )
            .order_by(InspectionCase.first_seen_at, InspectionCase.id)
        )
    )


def load_sample_actions(sessions: sessionmaker[Session], plan: Plan, data_dir: Path) -> str:
    """Record :data:`DECISIONS` from the demo's earliest cases of each rule (once: an action from a
    case already recorded means the step ran)."""
    store = FileStore(data_dir)
    limit = clock.now()
    with sessions() as session:
        if session.scalar(
            select(EnforcementAction.id).where(EnforcementAction.case_number.is_not(None)).limit(1)
        ):
            return "示例执法记录 sample actions from cases: 已加载 already loaded"
    moment = clock.FrozenClock(limit)
    recorded = decided = disclosed = 0
    taken: dict[str, int] = {}
    with clock.use(moment), transaction(sessions) as session:
        for number, decision in enumerate(DECISIONS, start=FIRST_NUMBER):
            found = _cases(session, decision.rule)
            index = taken.get(decision.rule, 0)
            if index >= len(found):
                continue
            taken[decision.rule] = index + 1
            case = found[index]
            first = case.first_seen_at.astimezone(CHINA_TZ).date()
            day = partial(_day_after, first, limit)
            filed = day(decision.filed)
            if filed is None:
                continue
            moment.moment = _at(filed)
            values: dict[str, Any] = prefill(session, case)
            # The issuing unit is the bureau, whichever unit the case was for (工信委's execution
            # cases): the person corrects the prefilled unit.
            values["unit_code"] = BUREAU.scope
            decided_on = day(decision.decided)
            values.update(
                key=f"XMHF-{filed.year}-{number:04d}",
                document_number=f"新环罚决字〔{filed.year}〕{number}号",
                legal_basis=SAMPLE_BASES[decision.action_type],
                action_type=decision.action_type,
                fine_amount=decision.fine,
                note=NOTE,
            )
            if decision.daily is not None:
                values.update(
                    daily_amount=decision.daily,
                    daily_from=first + timedelta(days=1),
                    daily_until=first + timedelta(days=decision.daily_days),
                )
            # Saved as the register's samples are (marked 示例), then moved on like any entry.
            (record,) = service.save_samples(
                session, BUREAU, KIND, [service.row_of(KIND, values)]
            ).records
            recorded += 1
            for event, field, when in (
                ("decide", "decided_on", decided_on),
                ("serve", "served_on", day(decision.served) if decided_on else None),
            ):
                if when is None:
                    break
                moment.moment = _at(when)
                values[field] = when
                service.save_entry(
                    session, BUREAU, KIND, service.row_of(KIND, values), plan=plan,
                    expect="existing",
                )  # fmt: skip
                service.take_step(
                    session, BUREAU, KIND, record.id,
                    service.StepInput(event=event, note=f"示例 / sample: {event}"),
                    store=store, plan=plan,
                )  # fmt: skip
                decided += event == "decide"
            published = day(decision.disclosed) if decided_on else None
            if published is not None:
                moment.moment = _at(published)
                values.update(disclosed_on=published, public_summary=decision.summary)
                service.save_entry(
                    session, BUREAU, KIND, service.row_of(KIND, values), plan=plan,
                    expect="existing",
                )  # fmt: skip
                disclosed += 1
    return (
        f"示例执法记录 sample actions from cases: +{recorded} 条 actions（{decided} 已决定 decided，"
        f"{disclosed} 已公开 disclosed）"
    )
