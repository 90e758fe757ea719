"""The office's data review in the browser (数据审核): the values the automatic QC flagged, a
person's decision on each with the reason, and the monthly sign-off of a station's data — the web
face of ``lantian review``, through the same service functions (:mod:`lantian.monitoring.review`).

HJ 633-2012 §5.1.5: real-time values are provisional; they are confirmed (audited) in the first
days of the next month. Only the office (``review`` on ``measurement``) uses these pages.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from lantian import clock
from lantian.auth.permissions import Action, Principal, can, resource
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed, NotFound
from lantian.monitoring import review
from lantian.timeutil import to_china
from lantian.web.access import require_account, require_csrf
from lantian.web.rendering import BLANK_FORM, FilledForm, done, filled_form, render

router = APIRouter(include_in_schema=False)


def may_review(who: Principal) -> bool:
    """Whether ``who`` reviews monitoring data (the navigation offers the page to them only)."""
    return can(who, Action.REVIEW, resource("measurement"))


def _reviewer(who: Principal) -> str:
    if not may_review(who):
        raise NotAllowed("数据审核由攻坚办办理 / data review is the office's")
    return who.username or "?"


def _month(text: str | None) -> date:
    """The month asked for (``YYYY-MM``), or the last one ended (the month now being confirmed)."""
    if not text:
        this_month = clock.today().replace(day=1)
        return (this_month.replace(day=1) - date.resolution).replace(day=1)
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise Invalid(f"month={text}: 月份格式应为 YYYY-MM / use YYYY-MM", field="month") from None


def _page(
    request: Request,
    month: date,
    station: str,
    *,
    filled: FilledForm = BLANK_FORM,
    refused_id: int | None = None,
    status: int = 200,
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        queue, total = review.review_queue(session, month, station_code=station or None)
        standing = review.month_standing(session, month)
    context: dict[str, Any] = {
        "month": month,
        "station": station,
        "queue": queue,
        "total": total,
        "standing": standing,
        "filled": filled,
        "refused_id": refused_id,
        "china": lambda moment: to_china(moment).strftime("%Y-%m-%d %H:%M") if moment else "",
        "back": _back(month, station),
    }
    response: HTMLResponse = render(request, "review.html", context, status)
    return response


def _back(month: date, station: str) -> str:
    query = {"month": f"{month:%Y-%m}", **({"station": station} if station else {})}
    return f"/office/review?{urlencode(query)}"


@router.get("/office/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    month: str | None = None,
    station: str = "",
    who: Principal = Depends(require_account),
) -> HTMLResponse:
    """The month's QC queue and every station's sign-off."""
    _reviewer(who)
    return _page(request, _month(month), station.strip())


class ValueDecisionForm(BaseModel):
    """A person's decision on one flagged value (the CSRF token is checked apart)."""

    valid: str = ""
    value: str = ""
    reason: str = ""
    month: str = ""
    station: str = ""


@router.post("/office/review/values/{measurement_id}", dependencies=[Depends(require_csrf)])
def decide_value(
    request: Request,
    measurement_id: int,
    form: Annotated[ValueDecisionForm, Form()],
    who: Principal = Depends(require_account),
) -> Response:
    """Record the decision as a new review version (the raw value is kept), as
    ``lantian review value`` does."""
    reviewer = _reviewer(who)
    month = _month(form.month or None)
    try:
        if form.valid not in ("1", "0"):
            raise Invalid("须选择有效或无效 / choose valid or invalid", field="valid")
        corrected = None
        if form.value.strip():
            try:
                corrected = float(form.value)
            except ValueError:
                raise Invalid(f"“{form.value}” 不是数字 / is not a number", field="value") from None
        if not form.reason.strip():
            raise Invalid("须写明理由 / give the reason", field="reason")
        with transaction(request.app.state.sessions) as session:
            review.review_measurement(
                session, measurement_id, valid=form.valid == "1", reviewer=reviewer,
                reason=form.reason, corrected_value=corrected,
            )  # fmt: skip
    except (Invalid, Conflict, NotFound) as error:
        filled = filled_form(request, form.model_dump(), error, ("valid", "value", "reason"))
        return _page(request, month, form.station, filled=filled, refused_id=measurement_id,
                     status=error.http_status)  # fmt: skip
    verdict = "有效 valid" if form.valid == "1" else "无效 invalid"
    return done(request, _back(month, form.station),
                f"已审核数据 #{measurement_id}：{verdict} / value #{measurement_id} reviewed")  # fmt: skip


class MonthSignOffForm(BaseModel):
    """The monthly sign-off of one station (the CSRF token is checked apart)."""

    station_code: str = ""
    month: str = ""
    note: str = ""
    station: str = ""


@router.post("/office/review/months", dependencies=[Depends(require_csrf)])
def sign_off_month(
    request: Request,
    form: Annotated[MonthSignOffForm, Form()],
    who: Principal = Depends(require_account),
) -> Response:
    """Sign off a station's month (provisional → audited), as ``lantian review audit`` does."""
    auditor = _reviewer(who)
    month = _month(form.month or None)
    try:
        with transaction(request.app.state.sessions) as session:
            review.audit_month(
                session, form.station_code, month, auditor, form.note.strip() or None
            )
    except (Invalid, Conflict, NotFound) as error:
        filled = filled_form(request, form.model_dump(), error, ("note",))
        return _page(request, month, form.station, filled=filled, status=error.http_status)
    return done(request, _back(month, form.station),
                f"{form.station_code} {month:%Y-%m} 已审核确认 / signed off")  # fmt: skip
