"""报送事项: every duty of the plan as items (issue 18) — a unit's or township's own items with the
form to submit one, the office's table by duty and state with the items to review, the file of an
item, and the dashboard tile. The service is :mod:`lantian.campaign.duties`; pages only parse and
render."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from lantian import clock
from lantian.auth.permissions import Action, Principal, can, resource
from lantian.campaign import duties, service
from lantian.campaign.models import DutyItem
from lantian.db.engine import transaction
from lantian.errors import InputError, NotAllowed, NotFound
from lantian.files import FileStore
from lantian.language import N_
from lantian.web.access import MACHINE_ROLES, require_account, require_csrf
from lantian.web.campaign_pages import _as_of, _no_plan, _render, _reporter_of
from lantian.web.tiles import Tile, register_tile

router = APIRouter(include_in_schema=False)

STATE_LABELS = {
    "open": N_("not yet due"),
    "overdue": N_("overdue"),
    "submitted": N_("awaiting review"),
    "returned": N_("returned"),
    "accepted": N_("accepted"),
    "recorded": N_("in the register"),
}
EVERY_LABELS = {"day": N_("daily"), "week": N_("weekly"), "month": N_("monthly")}
#: The order a reporter's items are listed in: what needs doing first.
_STATE_ORDER = {
    "returned": 0, "overdue": 1, "open": 2, "submitted": 3, "accepted": 4, "recorded": 5
}  # fmt: skip


def _reads_all(who: Principal) -> bool:
    return can(who, Action.READ, resource("progress_report"))


@router.get("/campaign/duties", response_class=HTMLResponse)
def duties_page(
    request: Request,
    who: Principal = Depends(require_account),
    as_of: str | None = None,
    duty: str | None = None,
) -> HTMLResponse:
    """A unit's or township's own items (and the submit form); for the office and leaders the
    table by duty and state, the items awaiting review and the overdue ones by reporter."""
    day = _as_of(request, as_of)
    own = _reporter_of(who)
    if own is None and not _reads_all(who):
        raise NotAllowed("无权查看报送事项 / you may not see the duties")
    with request.app.state.sessions() as session:
        context = service.current_plan(session)
        if context is None:
            return _no_plan(request)
        items = duties.duty_board(session, context, day, reporter=own, duty_key=duty or None)
        summaries = duties.summarise(items)
        mine = sorted(items, key=lambda i: (_STATE_ORDER[i.state], i.due, i.duty.key))
        return _render(
            request,
            "campaign_duties.html",
            {
                "plan": context,
                "as_of": day.isoformat(),
                "own": own,
                "reporter_name": context.reporter_name(*own) if own else "",
                "mine": mine if own else [],
                "to_submit": [
                    i
                    for i in mine
                    if i.state not in ("accepted", "recorded")
                    and i.duty.key not in duties.REGISTER_REPORTS
                ]
                if own
                else [],
                "summaries": summaries,
                "states": duties.ITEM_STATES,
                "state_labels": STATE_LABELS,
                "every_labels": EVERY_LABELS,
                "waiting": [i for i in items if i.state == "submitted"] if not own else [],
                "overdue": duties.overdue_by_reporter(items) if not own else [],
                "can_review": can(who, Action.REVIEW, resource("progress_report")),
                "duty_filter": duty or "",
                "all_duties": duties.plan_duties(context),
            },
        )


class DutySubmitForm(BaseModel):
    """The fields of the submit form (the CSRF token is checked apart): ``item`` is
    ``duty_key@period_start``, ``reporter`` ``unit:CODE`` or ``area:CODE``."""

    item: str
    reporter: str
    text: str = ""


@router.post("/campaign/duties/submit", dependencies=[Depends(require_csrf)])
async def duty_submit(
    request: Request,
    form: Annotated[DutySubmitForm, Form()],
    who: Principal = Depends(require_account),
    attachment: UploadFile | None = File(default=None),
) -> Response:
    duty_key, _, period_text = form.item.partition("@")
    kind, _, code = form.reporter.partition(":")
    try:
        period = date.fromisoformat(period_text)
    except ValueError:
        raise InputError(f"{form.item}: 报送期无效 / not a duty period", field="item") from None
    upload = None
    if attachment is not None and attachment.filename:
        content = await attachment.read(service.MAX_EVIDENCE_BYTES + 1)
        upload = service.EvidenceUpload(attachment.filename, content)
    with transaction(request.app.state.sessions) as session:
        context = service.require_plan(session)
        duties.submit_duty(
            session,
            context,
            who,
            duty_key=duty_key,
            reporter_kind=kind,
            reporter_code=code,
            period_start=period,
            text=form.text,
            upload=upload,
            data_dir=request.app.state.settings.ensure_data_dir(),
        )
    return RedirectResponse("/campaign/duties", status_code=303)


class DutyReviewForm(BaseModel):
    decision: str
    comment: str = ""


@router.post("/campaign/duties/{item_id}/review", dependencies=[Depends(require_csrf)])
def duty_review(
    request: Request,
    form: Annotated[DutyReviewForm, Form()],
    item_id: int,
    who: Principal = Depends(require_account),
) -> Response:
    with transaction(request.app.state.sessions) as session:
        duties.review_duty(session, who, item_id, form.decision, form.comment)
    return RedirectResponse("/campaign/duties", status_code=303)


@router.get("/campaign/duties/{item_id}/file")
def duty_file(
    request: Request, item_id: int, who: Principal = Depends(require_account)
) -> Response:
    """The file of an item, for the office, leaders and the unit or area that submitted it, after
    checking its SHA-256."""
    with request.app.state.sessions() as session:
        row = session.get(DutyItem, item_id)
        if row is None or row.file_path is None or row.file_sha256 is None:
            raise NotFound("没有该文件 / no such file")
        owner = resource(
            "progress_report",
            units=[row.reporter_code] if row.reporter_kind == "unit" else [],
            areas=[row.reporter_code] if row.reporter_kind == "area" else [],
        )
        if not can(who, Action.READ, owner) or (
            not _reads_all(who) and _reporter_of(who) != (row.reporter_kind, row.reporter_code)
        ):
            raise NotAllowed("无权查看该文件 / this file is outside your scope")
        path, sha256, name = row.file_path, row.file_sha256, row.file_name or "file"
    content = FileStore(request.app.state.settings.ensure_data_dir()).read(path, sha256)
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quoted(name)}"},
    )


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@register_tile
def duties_tile(session: Session, who: Principal) -> Tile | None:
    """The dashboard's duties tile: a unit's or township's items to do (overdue or returned);
    for the office and leaders the overdue items and those awaiting review."""
    if who.role in MACHINE_ROLES:
        return None
    context = service.current_plan(session)
    if context is None:
        return None
    own = _reporter_of(who)
    if own is None and not _reads_all(who):
        return None
    day = service.judged_day(context, clock.today())
    items = duties.duty_board(session, context, day, reporter=own)
    overdue = sum(1 for i in items if i.state in ("overdue", "returned"))
    waiting = sum(1 for i in items if i.state == "submitted")
    return Tile(
        key="duties",
        label_zh="报送事项" if own is None else "我的报送事项",
        label_en="Duties" if own is None else "My duties",
        value=str(overdue),
        detail_zh=f"截至 {day.isoformat()}：逾期或退回 {overdue} 项，待审核 {waiting} 项",
        detail_en=f"as of {day.isoformat()}: {overdue} overdue or returned, {waiting} to review",
        href="/campaign/duties",
        tone="alert" if overdue else "good",
    )
