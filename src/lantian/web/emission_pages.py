"""Pages of the emissions domain (sign-in required): reduction lists by level with their shortfalls,
one plan per factory, Excel import and export, and the list in force for a warning level.

Seed tasks 37–39 and 41. The pages are thin: they check permissions, call
:mod:`lantian.emissions.service` and render.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from lantian.auth.permissions import Principal, can, resource
from lantian.db.engine import transaction
from lantian.emissions import excel, service
from lantian.emissions.models import Enterprise, ReductionList
from lantian.emissions.sheets import factory_sheet
from lantian.emissions.staggered import obligations, plan_staggered
from lantian.emissions.targets import (
    POLLUTANTS,
    Pollutant,
    ReductionTargets,
    plan_targets,
)
from lantian.errors import InputError, NotAllowed, NotFound
from lantian.files import upload_read_limit
from lantian.plan import WarningLevel
from lantian.sources import service as source_service
from lantian.web import i18n
from lantian.web.access import require_account, require_csrf
from lantian.web.plan_state import current_plan
from lantian.web.rendering import render

router = APIRouter(include_in_schema=False)
#: Rows shown per level on a list page (the Excel export has them all).
MAX_ROWS = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _targets(request: Request) -> ReductionTargets:
    return plan_targets(current_plan(request))


def _level(request: Request, key: str | None) -> WarningLevel:
    """The level ``key`` names in the plan's warning scheme (a page of another level: not found);
    without a key, the scheme's highest level."""
    levels = current_plan(request).levels
    if key is None:
        return levels.levels[-1]
    try:
        return levels.get(key)
    except InputError:
        raise NotFound(f"未知预警级别 {key} / unknown level") from None


def _render(request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    response: HTMLResponse = render(request, template, context)
    return response


def _visible(who: Principal, enterprise: Enterprise) -> bool:
    return can(who, "read", resource("emission_source", area=enterprise.area_code))


def _require_list_read(who: Principal, reduction_list: ReductionList) -> None:
    areas = {m.enterprise.area_code for m in reduction_list.measures}
    if not can(who, "read", resource("reduction_list", areas=areas)):
        raise NotAllowed("无权查看该清单 / not allowed to read this list")


@router.get("/emissions", response_class=HTMLResponse)
def lists_page(
    request: Request, who: Principal = Depends(require_account), error: str | None = None
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        lists = service.all_lists(session)
        rows = [
            {
                "id": item.id,
                "name": item.name,
                "status": item.status,
                "method": item.method,
                "year": item.inventory_year,
                "created": item.created_at,
                "by": item.created_by,
                "note": item.note or "",
                "sample": item.sample,
            }
            for item in lists
        ]
    return _render(
        request,
        "emissions_lists.html",
        {
            "who": who,
            "lists": rows,
            "can_write": can(who, "write", resource("reduction_list")),
            "error": error,
        },
    )


@router.get("/emissions/in-force")
def in_force(
    request: Request, level: str | None = None, who: Principal = Depends(require_account)
) -> Response:
    """Where an active warning links: the list in force, opened at the warning's level."""
    chosen = _level(request, level)
    with request.app.state.sessions() as session:
        current = service.list_in_force(session)
    if current is None:
        raise NotFound("没有生效的减排清单 / no reduction list is in force")
    return RedirectResponse(f"/emissions/lists/{current.id}?level={chosen.key}", 303)


@router.get("/emissions/lists/{list_id}", response_class=HTMLResponse)
def list_page(
    request: Request,
    list_id: int,
    level: str | None = None,
    who: Principal = Depends(require_account),
) -> HTMLResponse:
    chosen = _level(request, level)
    targets = _targets(request)
    with request.app.state.sessions() as session:
        stored, result = service.check_stored_list(session, list_id, targets)
        _require_list_read(who, stored)
        measures = [
            m for m in stored.measures if m.level == chosen.key and _visible(who, m.enterprise)
        ]
        measures.sort(key=lambda m: -(m.cost or 0.0))
        rows = [
            {
                "name": m.enterprise.name,
                "code": m.enterprise.credit_code,
                "area": m.enterprise.area_code,
                "industry": m.enterprise.industry,
                "grade": m.enterprise.grade or "—",
                "kind": excel.KIND_LABELS.get(m.kind, m.kind),
                "cut": m.output_cut,
                "is_limit": m.kind == "limit",
                "reductions": [getattr(m, p.value) for p in POLLUTANTS],
                "cost": m.cost,
            }
            for m in measures[:MAX_ROWS]
        ]
        ratio_rows = [
            {
                "level": lv,
                "cells": [
                    {
                        "ratio": result.ratios[lv.key].get(p, 0.0),
                        "target": targets.target(lv.key, p),
                        "tonnes": result.reductions[lv.key][p],
                    }
                    for p in POLLUTANTS
                ],
                "trade": targets.trades_at(lv.key),
                "trade_sum": result.ratios[lv.key].get(POLLUTANTS[0], 0.0)
                + result.ratios[lv.key].get(POLLUTANTS[1], 0.0),
                "shortfalls": [s.message() for s in result.shortfalls_at(lv.key)],
                "cost": sum(m.cost or 0.0 for m in stored.measures if m.level == lv.key),
                "count": sum(1 for m in stored.measures if m.level == lv.key),
            }
            for lv in targets.levels
        ]
        context = {
            "who": who,
            "item": stored,
            "level": chosen,
            "levels": targets.levels.levels,
            "pollutants": POLLUTANTS,
            "ratio_rows": ratio_rows,
            "rows": rows,
            "hidden": max(0, len(measures) - MAX_ROWS),
            "passes": result.passes,
            "not_cumulative": len(result.not_cumulative),
            "can_write": can(who, "write", resource("reduction_list")),
            "targets": targets,
            "other": [
                f"{targets.levels.get(lv).label}: "
                + "，".join(f"{Pollutant(p).label} {v:.3f} t/d" for p, v in values.items())
                for lv, values in (stored.other_reductions or {}).items()
            ],
        }
    return _render(request, "emissions_list.html", context)


@router.get("/emissions/lists/{list_id}/export.xlsx")
def export_list(
    request: Request, list_id: int, who: Principal = Depends(require_account)
) -> Response:
    targets = _targets(request)
    with request.app.state.sessions() as session:
        stored, result = service.check_stored_list(session, list_id, targets)
        if not can(who, "read", resource("reduction_list")):
            raise NotAllowed("无权导出整张清单 / not allowed to export the whole list")
        content = excel.export_list(
            f"重污染天气应急减排项目清单（{stored.name}）",
            excel.rows_of_list(stored),
            targets.levels,
            result,
            targets,
        )
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="reduction-list-{list_id}.xlsx"'},
    )


class ChangeStatusForm(BaseModel):
    """The fields of the form posted to ``change_status`` (the CSRF token is checked apart)."""

    status: str


@router.post("/emissions/lists/{list_id}/status", dependencies=[Depends(require_csrf)])
def change_status(
    request: Request,
    form: Annotated[ChangeStatusForm, Form()],
    list_id: int,
    who: Principal = Depends(require_account),
) -> Response:
    if not can(who, "write", resource("reduction_list")):
        raise NotAllowed("无权修改清单 / not allowed to change lists")
    with transaction(request.app.state.sessions) as session:
        service.set_list_status(session, who.username or "?", list_id, form.status)
    return RedirectResponse(f"/emissions/lists/{list_id}", 303)


class ImportListForm(BaseModel):
    """The fields of the form posted to ``import_list`` (the CSRF token is checked apart)."""

    year: int
    name: str = ""


@router.post("/emissions/import", dependencies=[Depends(require_csrf)])
async def import_list(
    request: Request,
    form: Annotated[ImportListForm, Form()],
    file: UploadFile = File(...),
    who: Principal = Depends(require_account),
) -> Response:
    if not can(who, "write", resource("reduction_list")):
        raise NotAllowed("无权导入清单 / not allowed to import lists")
    content = await file.read(upload_read_limit())
    targets = _targets(request)
    try:
        with transaction(request.app.state.sessions) as session:
            stored = excel.import_list(
                session,
                who.username or "?",
                content,
                name=form.name.strip() or (file.filename or "import"),
                plan=targets.plan,
                inventory_year=form.year,
                levels=targets.levels,
            )
            list_id = stored.id
    except InputError as error:
        return lists_page(request, who, error=str(error))
    return RedirectResponse(f"/emissions/lists/{list_id}", 303)


@router.get("/emissions/enterprises/{credit_code}", response_class=HTMLResponse)
def enterprise_page(
    request: Request,
    credit_code: str,
    list_id: int | None = None,
    who: Principal = Depends(require_account),
) -> HTMLResponse:
    plan = current_plan(request)
    rules = plan_staggered(plan)
    zh = i18n.language_of(request) == "zh"
    with request.app.state.sessions() as session:
        enterprise = service.get_enterprise(session, credit_code)
        if not _visible(who, enterprise):
            raise NotAllowed("无权查看该企业 / not allowed to read this enterprise")
        chosen = service.get_list(session, list_id) if list_id else service.list_in_force(session)
        measures = (
            {m.level: m for m in chosen.measures if m.enterprise_id == enterprise.id}
            if chosen
            else {}
        )
        daily = service.enterprise_daily(enterprise)
        context = {
            "who": who,
            "enterprise": enterprise,
            "daily": [daily[p] for p in POLLUTANTS],
            "pollutants": POLLUTANTS,
            "lines": [
                {
                    "name": line.name,
                    "process": line.process or "—",
                    "fuel": line.fuel or "—",
                    "amounts": [getattr(line, p.value) for p in POLLUTANTS],
                    "sources": [getattr(line, f"{p.value}_source") for p in POLLUTANTS],
                }
                for line in enterprise.lines
            ],
            "duties": enterprise.duties,
            "list": chosen,
            "measures": [
                {
                    "level": lv,
                    "measure": measures.get(lv.key),
                    "kind": excel.KIND_LABELS.get(measures[lv.key].kind, "")
                    if lv.key in measures
                    else "",
                    "reductions": [getattr(measures[lv.key], p.value) for p in POLLUTANTS]
                    if lv.key in measures
                    else None,
                }
                for lv in plan.levels
            ],
            "obligations": [o.describe() for o in obligations(service.facts_of(enterprise), rules)],
            "orders": list(enterprise.staggering_orders),
            "register_entries": [
                {
                    "kind": kind.key,
                    "kind_name": kind.zh if zh else kind.en,
                    "id": record.id,
                    "key": record.key,
                    "state": (
                        kind.lifecycle.state(record.state).zh
                        if zh
                        else kind.lifecycle.state(record.state).en
                    ),
                }
                for kind, record in source_service.entries_of_enterprise(
                    session, who, enterprise.credit_code
                )
            ],
        }
    return _render(request, "emissions_enterprise.html", context)


@router.get("/emissions/enterprises/{credit_code}/sheet.{suffix}")
def enterprise_sheet(
    request: Request,
    credit_code: str,
    suffix: str,
    list_id: int,
    who: Principal = Depends(require_account),
) -> Response:
    if suffix not in ("docx", "xlsx"):
        raise NotFound("只提供 .docx 与 .xlsx / only .docx and .xlsx")
    plan = current_plan(request)
    rules = plan_staggered(plan)
    with request.app.state.sessions() as session:
        enterprise = service.get_enterprise(session, credit_code)
        if not _visible(who, enterprise):
            raise NotAllowed("无权查看该企业 / not allowed to read this enterprise")
        content = factory_sheet(session, credit_code, list_id, rules, f".{suffix}", plan.levels)
    return Response(
        content,
        media_type=DOCX if suffix == "docx" else XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="plan-{credit_code}-{list_id}.{suffix}"'
        },
    )
