"""What the industrial registers (fugitive emissions, tasks 18–19; VOCs, task 20) share: the link
to an enterprise of the emission inventory by its 统一社会信用代码, the office's step putting a firm
that is not compliant by its deadline on the winter staggered-production list (an order of
:mod:`lantian.emissions`), and the rule finding a firm producing while ordered to stop.

Not a kind itself (no ``KIND``): :func:`lantian.sources.registry.kinds` skips it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from random import Random
from typing import TYPE_CHECKING

from pydantic import AfterValidator
from sqlalchemy import select

from lantian.emissions.staggered import StaggeredPlan, plan_staggered
from lantian.emissions.uscc import problem as credit_code_problem
from lantian.sources.registry import Breach, ChecklistItem, Facts, SampleContext, StepEffect
from lantian.tabular import Column
from lantian.timeutil import CHINA_TZ

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lantian.plan import Plan
    from lantian.sources.models import RegisterRecord

SAMPLE_NOTE = "示例数据 / sample"
#: The state an entry is in once the office has put it on the staggered-production list.
ORDERED = "staggered"


def _credit_code(value: str) -> str:
    reason = credit_code_problem(value)
    if reason is not None:
        raise ValueError(f"统一社会信用代码无效 / invalid credit code: {reason}")
    return value


#: A row's credit code: valid by GB 32100 (its existence in the inventory is checked by the
#: service, :attr:`lantian.sources.registry.RegisterKind.enterprise_field`).
CreditCode = AfterValidator(_credit_code)

CREDIT_CODE_COLUMN = Column(
    "credit_code",
    "credit code",
    "统一社会信用代码",
    aliases=("信用代码", "社会信用代码", "credit_code"),
    example="91410183MA3X00000X",
    note_zh="须为排放清单中已有企业的统一社会信用代码",
    note_en="the credit code of an enterprise of the emission inventory",
    width=22,
)

#: The field check's question while ordered to stop: is the firm idle (a fail: producing).
PRODUCTION_STOPPED = ChecklistItem(
    "production_stopped",
    "停产措施落实（未生产）",
    "ordered stop kept (not producing)",
    "任务19/20：实施停产整治，纳入冬季错峰生产方案",
)


def season_of(plan: StaggeredPlan, today: date) -> tuple[date, date]:
    """The heating season an order given on ``today`` binds: the current one from today when it
    has begun, else the next one (the plan's ``staggered.toml`` dates, e.g. 11-15 to 03-15)."""
    start_month, start_day = plan.season_start
    end_month, end_day = plan.season_end

    def end_after(day: date) -> date:
        end = date(day.year, end_month, end_day)
        return end if end >= day else date(day.year + 1, end_month, end_day)

    if plan.in_heating_season(today):
        return today, end_after(today)
    start = date(today.year, start_month, start_day)
    if start < today:
        start = date(today.year + 1, start_month, start_day)
    return start, end_after(start)


def order_effect(
    kind_key: str, clause: str, lines: Callable[[Session, RegisterRecord], Sequence[str]]
) -> StepEffect:
    """The effect of the office's ``order_staggering`` step: an order of the emissions module
    (:func:`lantian.emissions.service.order_staggering`) for the entry's enterprise — the
    ``lines`` chosen (none: the whole enterprise), for the heating season it binds, with the step's
    note as the reason."""

    def effect(session: Session, actor: str, record: RegisterRecord, note: str, plan: Plan) -> None:
        from lantian import clock
        from lantian.emissions.service import StaggeringOrderInput, order_staggering

        first, last = season_of(plan_staggered(plan), clock.today())
        order_staggering(
            session,
            actor,
            StaggeringOrderInput(
                credit_code=str(getattr(record, "credit_code", "")),
                reason=note,
                clause=clause,
                source_kind=kind_key,
                source_key=record.key,
                from_date=first,
                until=last,
                lines=list(lines(session, record)),
                sample=record.is_sample,
            ),
        )

    return effect


def producing_while_ordered(kind_zh: str, clause: str) -> Callable[[Facts], Breach | None]:
    """The rule: an entry put on the staggered-production list found producing (the newest check
    since the order, in the heating season, fails ``production_stopped``) — for accountability."""

    def check(facts: Facts) -> Breach | None:
        record = facts.record
        if record.state != ORDERED:
            return None
        plan = facts.plan_in_force()
        # A plan without staggered rules has no heating season: the order binds every day.
        season = plan_staggered(plan) if plan.staggered is not None else None
        for found in facts.checks:
            if found.checked_at < record.state_since:
                break
            entry = (found.items or {}).get(PRODUCTION_STOPPED.key)
            if entry is None:
                continue
            day = found.checked_at.astimezone(CHINA_TZ).date()
            if entry["result"] != "fail" or (
                season is not None and not season.in_heating_season(day)
            ):
                return None
            return Breach(
                title=f"{kind_zh}责令错峰停产期间仍在生产：{record.name}",
                description=f"{day} 核查发现纳入冬季错峰生产方案的企业 {record.key} 仍在生产 / "
                "a firm on the staggered-production list was found producing in the heating season",
                observed_at=found.checked_at,
                severity="major",
                accountability=True,
            )
        return None

    check.__doc__ = f"producing while ordered to stop ({clause})"
    return check


def inventory_enterprises(
    context: SampleContext, industries: frozenset[str]
) -> list[tuple[str, str, str, str]]:
    """The inventory's enterprises of ``industries`` the sample entries name: (credit code, name,
    area code, industry), in code order — the demo loads the sample inventory first."""
    if context.session is None:
        return []
    from lantian.emissions.models import Enterprise

    rows = context.session.execute(
        select(Enterprise.credit_code, Enterprise.name, Enterprise.area_code, Enterprise.industry)
        .where(Enterprise.industry.in_(sorted(industries)))
        .order_by(Enterprise.credit_code)
    ).all()
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]


def place(rng: Random) -> tuple[float, float]:
    """A sample position inside Xinmi's outline (WGS-84)."""
    return round(113.25 + rng.random() * 0.3, 5), round(34.42 + rng.random() * 0.17, 5)


def area_name(context: SampleContext, code: str) -> str:
    return dict(context.areas).get(code, "")


def split_items(text: str) -> list[str]:
    """Items of a cell separated by ``；`` ``;`` or new lines (what a township's sheet has)."""
    for separator in ("；", ";", "\r\n", "\n"):
        text = text.replace(separator, "\n")
    return [part.strip() for part in text.split("\n") if part.strip()]
