"""The briefings page (``/briefings``): the issued weekly and monthly briefings to download as
Word, PDF and Excel, and, for the office, a form to make one on demand. The figures and files
come from :mod:`lantian.briefings.service`; these routes parse and render."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.briefings import service
from lantian.briefings.figures import previous_period
from lantian.briefings.models import FORMATS
from lantian.db.engine import transaction
from lantian.errors import Invalid, NotAllowed
from lantian.files import FileStore
from lantian.web.access import require_account, require_csrf
from lantian.web.plan_state import current_plan
from lantian.web.rendering import BLANK_FORM, FilledForm, done, filled_form, render
from lantian.web.tiles import Tile, register_tile

router = APIRouter(include_in_schema=False)
PATH = "/briefings"


def _store(request: Request) -> FileStore:
    return FileStore(Path(request.app.state.settings.ensure_data_dir()))


def _page(
    request: Request, who: Principal, filled: FilledForm = BLANK_FORM, status: int = 200
) -> Response:
    with request.app.state.sessions() as session:
        rows = service.list_briefings(session)
    week, _ = previous_period("weekly", clock.today())
    context = {
        "rows": rows,
        "formats": FORMATS,
        "may_make": service.may_make(who),
        "form": filled,
        "default_day": f"{week:%Y-%m-%d}",
    }
    return render(request, "briefings.html", context, status)


@router.get(PATH, response_class=HTMLResponse)
def briefings_page(request: Request, who: Principal = Depends(require_account)) -> Response:
    """The issued briefings, newest first, with their downloads."""
    service.require_reader(who)
    return _page(request, who)


class MakeForm(BaseModel):
    """The make-a-briefing form (the CSRF token is checked apart)."""

    kind: str = "weekly"
    day: str = ""


@router.post(PATH, dependencies=[Depends(require_csrf)], response_class=HTMLResponse)
def make_briefing(
    request: Request,
    form: Annotated[MakeForm, Form()],
    who: Principal = Depends(require_account),
) -> Response:
    """Make (or make again) the briefing of the week or month holding the day given."""
    if not service.may_make(who):
        raise NotAllowed("简报由攻坚办生成 / the office makes briefings")
    try:
        parsed = service.parse_request(form.kind, form.day)
        with transaction(request.app.state.sessions) as session:
            row = service.make_briefing(
                session, _store(request), current_plan(request), parsed, who.username or "?"
            )
            shown = f"{row.title} {row.document_number}"
    except Invalid as error:
        filled = filled_form(request, form.model_dump(), error, ("kind", "day"))
        return _page(request, who, filled, error.http_status)
    return done(request, PATH, f"已生成 {shown} / briefing made")


@router.get(PATH + "/{briefing_id}.{fmt}")
def download(
    request: Request, briefing_id: int, fmt: str, who: Principal = Depends(require_account)
) -> Response:
    """An issued briefing's Word, PDF or Excel file (checked against its hash)."""
    service.require_reader(who)
    with request.app.state.sessions() as session:
        row, content = service.briefing_file(session, _store(request), briefing_id, fmt)
        name = service.file_name(row, fmt)
    return Response(
        content,
        media_type=service.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="briefing-{row.kind}-'
            f"{row.first_day:%Y-%m-%d}.{fmt}\"; filename*=UTF-8''{quote(name)}"
        },
    )


@register_tile
def briefing_tile(session: Session, who: Principal) -> Tile | None:
    """The office page's tile for the accounts that read briefings: the newest one kept."""
    if not service.may_read(who):
        return None
    newest = service.list_briefings(session, limit=1)
    if not newest:
        return Tile(
            key="briefing-latest",
            label_zh="工作简报",
            label_en="Briefings",
            value="—",
            detail_zh="尚未生成简报",
            detail_en="no briefing made yet",
            href=PATH,
        )
    row = newest[0]
    return Tile(
        key="briefing-latest",
        label_zh="最新工作简报",
        label_en="Latest briefing",
        value=row.document_number,
        detail_zh=f"{row.first_day:%m月%d日}—{row.last_day:%m月%d日}，Word/PDF/Excel",
        detail_en=f"{row.first_day} – {row.last_day}, Word/PDF/Excel",
        href=PATH,
    )
