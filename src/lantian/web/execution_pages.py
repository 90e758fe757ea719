"""The warning episode's page (seed tasks 37–39, 41): per enterprise of the reduction list in
force, did it cut production and freight on the warning days (checked, complied, breached, no
data), with the cases its breaches opened; and the upload of the facts the checks read.

The page computes read-only (:func:`lantian.execution.service.check_episode` without opening
cases); cases are opened by the daily job ``execution.check`` and ``lantian execution check``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lantian.auth.permissions import Principal, can, resource
from lantian.db.engine import transaction
from lantian.errors import Invalid, NotAllowed
from lantian.execution import service
from lantian.execution.imports import KIND_LABELS, SPECS, import_facts
from lantian.files import FileStore, upload_read_limit
from lantian.tabular import Rejected
from lantian.web.access import require_account, require_csrf
from lantian.web.plan_state import current_plan
from lantian.web.rendering import flash, render

router = APIRouter(include_in_schema=False)


def _may_import(who: Principal) -> bool:
    """Only who may change the inventory's enterprises everywhere imports their facts (the
    service checks each row's enterprise again)."""
    return can(who, "write", resource("emission_source"))


def _page(
    request: Request,
    who: Principal,
    episode_id: int,
    error: str = "",
    problems: tuple[str, ...] = (),
    status: int = 200,
) -> HTMLResponse:
    plan = current_plan(request)
    with request.app.state.sessions() as session:
        result = service.check_episode(session, episode_id, plan)
    rows = [
        row
        for row in result.rows
        if can(who, "read", resource("emission_source", area=row.area_code))
    ]
    context: dict[str, Any] = {
        "result": result,
        "rows": rows,
        "hidden": len(result.rows) - len(rows),
        "counts": {s: sum(1 for r in rows if r.status == s) for s in service.STATUSES},
        "statuses": service.STATUSES,
        "levels": {level.key: level for level in plan.levels},
        "kinds": KIND_LABELS,
        "may_import": _may_import(who),
        "error": error,
        "problems": problems,
    }
    response: HTMLResponse = render(request, "execution_episode.html", context, status)
    return response


@router.get("/office/warnings/episodes/{episode_id}", response_class=HTMLResponse)
def episode_page(
    request: Request, episode_id: int, who: Principal = Depends(require_account)
) -> HTMLResponse:
    return _page(request, who, episode_id)


@router.post(
    "/office/warnings/episodes/{episode_id}/import",
    dependencies=[Depends(require_csrf)],
    response_model=None,
)
async def import_page(
    request: Request,
    episode_id: int,
    kind: str = Form(""),
    file: UploadFile | None = File(None),
    who: Principal = Depends(require_account),
) -> Response:
    """Upload electricity use, gate records or a fleet (all rows or none; every bad row shown)."""
    if not _may_import(who):
        raise NotAllowed("无权导入企业数据 / not allowed to import enterprise facts")
    try:
        if kind not in SPECS:
            raise Invalid("请选择数据类型 / choose what the file holds", field="kind")
        if file is None or not file.filename:
            raise Invalid("请选择文件 / choose a file", field="file")
        content = await file.read(upload_read_limit())
        store = FileStore(request.app.state.settings.ensure_data_dir())
        with transaction(request.app.state.sessions) as session:
            result = import_facts(session, who, kind, content, file.filename, store=store)
    except Rejected as refused:
        return _page(
            request,
            who,
            episode_id,
            refused.message.split("\n", 1)[0],
            tuple(str(p) for p in refused.problems),
            422,
        )
    except Invalid as exc:
        return _page(request, who, episode_id, exc.message, status=exc.http_status)
    flash(request, f"已导入 imported {result.filename}: {result.rows} 行 rows")
    return RedirectResponse(f"/office/warnings/episodes/{episode_id}", status_code=303)
