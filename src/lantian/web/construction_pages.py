"""The dust blacklist of contractors (扬尘污染“黑名单”, plan task 28): the list, and the office's
form putting a contractor on it with the reason. The construction sites' register marks a
blacklisted contractor's sites on its list and pages (:mod:`lantian.sources.kinds.construction`).

Mounted before the registers' generic pages: its path lies under the construction sites' list.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import NotAllowed, ServiceError
from lantian.sources.kinds import construction
from lantian.timeutil import to_china
from lantian.web import i18n
from lantian.web.access import require_account, require_csrf
from lantian.web.rendering import flash, render

router = APIRouter(include_in_schema=False)
PATH = "/sources/construction_site/blacklist"


def _context(request: Request, who: Principal, values: dict[str, str], error: str | None) -> Any:
    with request.app.state.sessions() as session:
        rows = construction.blacklist(session)
        listed = [
            {
                "contractor": row.contractor,
                "reason": row.reason,
                "listed_by": row.listed_by,
                "listed_at": f"{to_china(row.listed_at):%Y-%m-%d %H:%M}",
                "sites": list(
                    session.execute(
                        select(
                            construction.ConstructionSite.id,
                            construction.ConstructionSite.key,
                            construction.ConstructionSite.name,
                        )
                        .where(construction.ConstructionSite.contractor == row.contractor)
                        .order_by(construction.ConstructionSite.key)
                    )
                ),
            }
            for row in rows
        ]
    return {
        "listed": listed,
        "may_blacklist": construction.may_blacklist(who),
        "values": values,
        "error": error,
        "clause": construction.CLAUSE_BLACKLIST,
    }


@router.get(PATH, response_class=HTMLResponse)
def blacklist_page(request: Request, who: Principal = Depends(require_account)) -> Response:
    """The contractors on the blacklist, each with its reason and its sites."""
    return render(request, "construction_blacklist.html", _context(request, who, {}, None))


class BlacklistForm(BaseModel):
    contractor: str = ""
    reason: str = ""


@router.post(PATH, dependencies=[Depends(require_csrf)])
def blacklist_submit(
    request: Request,
    form: Annotated[BlacklistForm, Form()],
    who: Principal = Depends(require_account),
) -> Response:
    """The office puts a contractor on the blacklist (one service function, audited)."""
    if not construction.may_blacklist(who):
        raise NotAllowed("无权将施工单位列入黑名单 / your role may not blacklist a contractor")
    values = form.model_dump()
    try:
        entry = construction.blacklist_input(values)
        with transaction(request.app.state.sessions) as session:
            construction.blacklist_contractor(session, who, entry)
    except ServiceError as error:
        message = i18n.request_localize(request, error.message)
        return render(
            request,
            "construction_blacklist.html",
            _context(request, who, values, message),
            error.http_status,
        )
    flash(
        request,
        i18n.request_localize(
            request, f"已列入黑名单：{entry.contractor} / the contractor is blacklisted"
        ),
    )
    return RedirectResponse(PATH, status_code=303)
