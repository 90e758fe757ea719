"""The office's view of the weekly machinery patrol reports (task 24: "各单位每周将巡查、检查结果及
处罚情况报市攻坚办；市攻坚办 … 对各单位巡查、处罚情况进行督查和通报"): every reporting unit against
every campaign week, each cell on time, late, missing or not yet due, and each week's share reported
on time (judged per week, never averaged). Read from
:func:`lantian.sources.kinds.machinery_patrols.week_grid`.

Mounted before the registers' generic pages: its path lies under the register's list.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.sources.kinds import machinery_patrols
from lantian.sources.service import READ_ALL_ROLES
from lantian.web import i18n
from lantian.web.access import require_account
from lantian.web.plan_state import current_plan
from lantian.web.rendering import render

router = APIRouter(include_in_schema=False)
PATH = "/sources/machinery_patrols/weeks"


def _grid(
    request: Request, who: Principal
) -> tuple[machinery_patrols.WeekGrid, list[machinery_patrols.Reporter]]:
    """The grid, and the reporters ``who`` sees: the office, leaders and inspectors every unit,
    a township or a unit its own row (its scope)."""
    plan = current_plan(request)
    with request.app.state.sessions() as session:
        grid = machinery_patrols.week_grid(session, plan, clock.today())
    shown = [
        r
        for r in grid.reporters
        if who.role in READ_ALL_ROLES or (who.scope is not None and r.code == who.scope)
    ]
    return grid, shown


@router.get(PATH + ".xlsx")
def weeks_workbook(request: Request, who: Principal = Depends(require_account)) -> Response:
    """The same grid as an Excel workbook (the office's circular, 通报)."""
    grid, shown = _grid(request, who)
    data = machinery_patrols.grid_workbook(grid, shown)
    name = f"machinery-patrols-{clock.today()}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(PATH, response_class=HTMLResponse)
def weeks_page(request: Request, who: Principal = Depends(require_account)) -> Response:
    """Who reported which week: the office, leaders and inspectors see every unit; a township or
    a unit sees its own row (its scope)."""
    grid, shown = _grid(request, who)
    today = clock.today()
    zh = i18n.language_of(request) == "zh"
    labels = {
        key: (zh_text if zh else en_text)
        for key, (zh_text, en_text) in machinery_patrols.STATUS_LABELS.items()
    }
    rows = [
        {
            "code": reporter.code,
            "name": reporter.name,
            "cells": [grid.cells[(reporter.code, week)] for week in grid.weeks],
            "missing": sum(
                1 for week in grid.weeks if grid.cells[(reporter.code, week)].status == "missing"
            ),
        }
        for reporter in shown
    ]
    shares = {share.week: share for share in grid.shares}
    return render(
        request,
        "machinery_weeks.html",
        {
            "weeks": grid.weeks,
            "rows": rows,
            "shares": [shares.get(week) for week in grid.weeks],
            "labels": labels,
            "worst": min((s.share for s in grid.shares), default=None),
            "clause": machinery_patrols.CLAUSE_WEEKLY,
            "days": machinery_patrols.report_days(),
            "today": today,
        },
    )
