"""`/api/v1/campaign`: the plan's tasks and targets, for a signed-in account (scope enforced)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.campaign import service
from lantian.errors import NotFound
from lantian.web.access import require_api_account
from lantian.web.api.pagination import Limit, Offset, Page

router = APIRouter(prefix="/api/v1/campaign", tags=["campaign 攻坚计划"])


class TaskOut(BaseModel):
    ref: str = Field(description='"8" or "12(1)"')
    number: int
    item: int | None
    section_number: int
    section_title: str
    title: str
    text: str = Field(description="the plan's words")
    leaders: list[str]
    lead_units: list[str] = Field(description="unit codes (units.csv)")
    cooperating_units: list[str]
    responsible_areas: dict[str, Any] | None
    deadlines: list[dict[str, Any]]
    status: str = Field(description="not_started, in_progress, completed or behind")
    missed_deadlines: list[date]
    late_reports: int


class TargetOut(BaseModel):
    key: str
    task_ref: str | None
    indicator: str
    comparator: str
    value: float
    unit: str
    measure: str = Field(
        description="cumulative (sum of reports), level (mean of latest) or floor (every "
        "report judged; the worst shown)"
    )
    due_on: date | None
    source_text: str
    actual: float | None
    met: bool | None
    reports: int
    overdue: bool


def _account(request: Request) -> Principal:
    return require_api_account(request, "read the plan")


def _context(session: Any) -> service.PlanContext:
    context = service.current_plan(session)
    if context is None:
        raise NotFound("尚未导入计划 / no plan loaded: run `lantian plan load`")
    return context


@router.get("/tasks", response_model=Page[TaskOut])
def tasks(
    request: Request,
    limit: Limit = 100,
    offset: Offset = 0,
    leader: str | None = None,
    unit: str | None = None,
    area: str | None = None,
    section: int | None = None,
    status: str | None = None,
    as_of: date | None = None,
) -> Page[TaskOut]:
    """The tasks the account may read, filtered like the task matrix."""
    who = _account(request)
    with request.app.state.sessions() as session:
        context = _context(session)
        day = as_of or service.judged_day(context, clock.today())
        views = service.visible_views(context, service.task_views(session, context, day), who)
        views = service.filter_views(
            context, views, leader=leader, unit=unit, area=area, section=section, status=status
        )
    items = [
        TaskOut(
            ref=v.task.ref,
            number=v.task.number,
            item=v.task.item,
            section_number=v.task.section_number,
            section_title=v.task.section_title,
            title=v.task.title,
            text=v.task.text,
            leaders=v.task.leaders,
            lead_units=v.task.lead_units,
            cooperating_units=v.task.cooperating_units,
            responsible_areas=v.task.responsible_areas,
            deadlines=v.task.deadlines,
            status=v.status,
            missed_deadlines=[m.due for m in v.missed],
            late_reports=v.late_reports,
        )
        for v in views[offset : offset + limit]
    ]
    return Page[TaskOut].of(items, len(views), limit, offset)


@router.get("/targets", response_model=Page[TargetOut])
def targets(
    request: Request, limit: Limit = 100, offset: Offset = 0, as_of: date | None = None
) -> Page[TargetOut]:
    """Every quantified target with its roll-up from the progress reports."""
    _account(request)
    with request.app.state.sessions() as session:
        context = _context(session)
        progress = service.target_progress(
            session, context, as_of or service.judged_day(context, clock.today())
        )
    items = [
        TargetOut(
            key=p.target.key,
            task_ref=p.target.task_ref,
            indicator=p.target.indicator,
            comparator=p.target.comparator,
            value=p.target.value,
            unit=p.target.unit,
            measure=p.target.measure,
            due_on=p.target.due_on,
            source_text=p.target.source_text,
            actual=p.rollup.actual,
            met=p.rollup.met,
            reports=p.rollup.values,
            overdue=p.overdue,
        )
        for p in progress[offset : offset + limit]
    ]
    return Page[TargetOut].of(items, len(progress), limit, offset)
