"""`/api/v1/warnings`: the active warning (public), forecast versions and decisions (issue 7).

Reading the active warning needs no login (the public page shows it). Forecast imports and
decisions are writes: an API token (``Authorization: Bearer lt_…``) or a signed-in browser session
with its CSRF token in ``X-CSRF-Token``; the role is checked by the service with
``can(principal, "write", resource("warning", areas=...))``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import InputError
from lantian.warnings.models import ForecastIssueRow, WarningDecisionRow
from lantian.warnings.notify import NotifySettings
from lantian.warnings.rules import WarningRules
from lantian.warnings.rules import plan_rules as rules_of_plan
from lantian.warnings.service import (
    active_warning,
    count_decisions,
    count_forecast_issues,
    decide_and_notify,
    import_forecasts,
    list_decisions,
    list_forecast_issues,
)
from lantian.web.access import require_api_account, require_api_writer
from lantian.web.api.pagination import Limit, Offset, Page
from lantian.web.plan_state import current_plan

router = APIRouter(prefix="/api/v1/warnings", tags=["warnings 重污染天气预警"])
#: A warning's scope: a city or county (6 digits) or a township (9 digits).
AREA_CODE = r"^[0-9]{6}([0-9]{3})?$"
MAX_CSV_BYTES = 5_000_000


def plan_rules(request: Request) -> WarningRules:
    """The warning scheme of the plan the app runs on (read once, with the plan)."""
    return rules_of_plan(current_plan(request))


#: Whoever writes: an API token's account, or the session's account with its CSRF token
#: (header ``X-CSRF-Token``).
writer = require_api_writer


def reader(request: Request) -> Principal:
    """Forecasts and decisions are internal: any signed-in account or token reads them."""
    return require_api_account(request, "read forecasts and decisions")


class ActiveWarningOut(BaseModel):
    level: str
    name_zh: str
    name_en: str
    response_zh: str
    colour: str = Field(description="#RRGGBB")
    since: datetime
    updated: datetime
    areas: list[str] = Field(description="9-digit NBS township codes")
    areas_text: str = Field("", description="where it applies, as the notice says: 全市 or names")
    reason: str
    reduction_zh: str
    notice_text: str


class ActiveOut(BaseModel):
    scope: str
    active: bool
    warning: ActiveWarningOut | None


@router.get("/active", response_model=ActiveOut, summary="当前预警 / the warning in force")
def get_active(
    request: Request,
    # Typed as the area code it is: free text reached the database, where PostgreSQL refuses a
    # NUL character (a 503 the API fuzzing found, tests/web/test_api_fuzz_findings.py).
    scope: str | None = Query(None, pattern=AREA_CODE, description="6- or 9-digit area code"),
) -> ActiveOut:
    rules = plan_rules(request)
    chosen = scope or rules.city_code
    with request.app.state.sessions() as session:
        view = active_warning(session, rules, chosen, current_plan(request).area_names())
    if view is None:
        return ActiveOut(scope=chosen, active=False, warning=None)
    return ActiveOut(
        scope=chosen,
        active=True,
        warning=ActiveWarningOut(
            level=view.level,
            name_zh=view.name_zh,
            name_en=view.name_en,
            response_zh=view.response_zh,
            colour=view.colour,
            since=view.since,
            updated=view.updated,
            areas=view.areas,
            areas_text=view.areas_text,
            reason=view.reason,
            reduction_zh=view.reduction_zh,
            notice_text=view.notice_text,
        ),
    )


class ForecastIssueOut(BaseModel):
    id: int
    area: str
    source: str
    issued_at: datetime
    revision: int
    resolution: str
    imported_by: str
    imported_at: datetime
    values: list[tuple[datetime, datetime, int | None, str]] = Field(
        description="(valid_start, valid_end, AQI, primary pollutant) per value"
    )


def _issue_out(row: ForecastIssueRow) -> ForecastIssueOut:
    return ForecastIssueOut(
        id=row.id,
        area=row.area,
        source=row.source,
        issued_at=row.issued_at,
        revision=row.revision,
        resolution=row.resolution,
        imported_by=row.imported_by,
        imported_at=row.imported_at,
        values=[(v.valid_start, v.valid_end, v.aqi, v.primary_pollutant) for v in row.values],
    )


@router.get("/forecasts", response_model=Page[ForecastIssueOut], summary="预报版本 / forecasts")
def get_forecasts(
    request: Request,
    area: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    _who: Principal = Depends(reader),
) -> Page[ForecastIssueOut]:
    with request.app.state.sessions() as session:
        rows = list_forecast_issues(session, area, limit, offset)
        items = [_issue_out(r) for r in rows]
        total = count_forecast_issues(session, area)
    return Page.of(items, total, limit, offset)


class ImportOut(BaseModel):
    new_issues: int
    revisions: int
    unchanged: int
    values: int


@router.post("/forecasts", response_model=ImportOut, summary="导入预报CSV / import forecasts")
async def post_forecasts(
    request: Request, name: str = "forecast.csv", who: Principal = Depends(writer)
) -> ImportOut:
    """Body: the forecast CSV (columns area, issued_at, valid_start, valid_end, aqi,
    primary_pollutant, source), UTF-8."""
    received = bytearray()
    async for chunk in request.stream():  # never more than the limit held in memory
        received += chunk
        if len(received) > MAX_CSV_BYTES:
            raise InputError(
                f"文件超过{MAX_CSV_BYTES}字节 / the file exceeds {MAX_CSV_BYTES} bytes"
            )
    raw = bytes(received)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: 须为UTF-8编码 / must be UTF-8") from exc
    with transaction(request.app.state.sessions) as session:
        result = import_forecasts(session, who, text, name)
    return ImportOut(**result.__dict__)


class DecisionIn(BaseModel):
    action: Literal["issue", "upgrade", "downgrade", "lift"]
    level: str | None = Field(None, description="blue / yellow / orange / red; none to lift")
    areas: list[str] = Field(description="9-digit township codes covered")
    reason: str
    scope: str | None = Field(
        None, pattern=AREA_CODE, description="default: the city (plan's city_code)"
    )
    effective_at: datetime | None = None


class DeliveryOut(BaseModel):
    channel: str
    target: str
    ok: bool
    detail: str


class DecisionOut(BaseModel):
    id: int
    episode_id: int
    action: str
    from_level: str | None
    to_level: str | None
    areas: list[str]
    reason: str
    decided_by: str
    decided_at: datetime
    effective_at: datetime
    notice_text: str
    deliveries: list[DeliveryOut] = Field(default_factory=list)


def _decision_out(row: WarningDecisionRow, deliveries: list[DeliveryOut]) -> DecisionOut:
    return DecisionOut(
        id=row.id,
        episode_id=row.episode_id,
        action=row.action,
        from_level=row.from_level,
        to_level=row.to_level,
        areas=row.areas,
        reason=row.reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        effective_at=row.effective_at,
        notice_text=row.notice_text,
        deliveries=deliveries,
    )


@router.post("/decisions", response_model=DecisionOut, summary="发布/变更/解除 / decide")
def post_decision(
    request: Request, body: DecisionIn, who: Principal = Depends(writer)
) -> DecisionOut:
    rules = plan_rules(request)
    if body.effective_at is not None and body.effective_at.tzinfo is None:
        raise InputError("effective_at 须带时区 / effective_at needs a time zone")
    settings: NotifySettings = (
        getattr(request.app.state, "notify_settings", None) or NotifySettings()
    )
    row, sent = decide_and_notify(
        request.app.state.sessions,
        who,
        rules,
        settings,
        action=body.action,
        scope=body.scope or rules.city_code,
        areas=body.areas,
        reason=body.reason,
        level=body.level,
        effective_at=body.effective_at,
        area_names=current_plan(request).area_names(),
    )
    return _decision_out(row, [DeliveryOut(**d.__dict__) for d in sent])


@router.get("/decisions", response_model=Page[DecisionOut], summary="预警决定 / decisions")
def get_decisions(
    request: Request, limit: Limit = 50, offset: Offset = 0, _who: Principal = Depends(reader)
) -> Page[DecisionOut]:
    with request.app.state.sessions() as session:
        items = [_decision_out(r, []) for r in list_decisions(session, limit, offset)]
        total = count_decisions(session)
    return Page.of(items, total, limit, offset)
