"""The administrator's page of scheduled jobs: each job's schedule, last run and result, next run
and failures; an administrator may run a job at once (the office and leaders only read)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from lantian.auth.permissions import Action, Principal, can, resource
from lantian.scheduler.service import JobBusy, Scheduler
from lantian.timeutil import to_china
from lantian.web.access import Forbidden, check_csrf, require_account

router = APIRouter(include_in_schema=False)

JOBS = resource("scheduled_job")


def _require_job_reader(who: Principal = Depends(require_account)) -> Principal:
    if not can(who, Action.READ, JOBS):
        raise Forbidden("无权查看定时任务 / you may not see the scheduled jobs")
    return who


def _require_job_runner(who: Principal = Depends(require_account)) -> Principal:
    if not can(who, Action.WRITE, JOBS):
        raise Forbidden("只有管理员可以立即运行任务 / only an administrator runs a job now")
    return who


def _minute(moment: datetime) -> str:
    """A run's time to the minute, China time (runs do not fall on the hour)."""
    return f"{to_china(moment):%Y-%m-%d %H:%M}"


def _scheduler(request: Request) -> Scheduler:
    return Scheduler(request.app.state.sessions, request.app.state.settings)


def _jobs_page(
    request: Request,
    who: Principal,
    *,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    scheduler = _scheduler(request)
    context: dict[str, Any] = {
        "states": scheduler.states(),
        "now": scheduler.clock(),
        "minute": _minute,
        "may_run": can(who, Action.WRITE, JOBS),
        "message": message,
        "error": error,
    }
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "jobs.html", context, status_code=status
    )
    return response


@router.get("/admin/jobs", response_class=HTMLResponse)
def jobs(request: Request, who: Principal = Depends(_require_job_reader)) -> HTMLResponse:
    """Every scheduled job with its last and next run."""
    return _jobs_page(request, who)


@router.post("/admin/jobs/{name}/run", response_class=HTMLResponse)
def run_job(
    request: Request,
    name: str,
    csrf: str = Form(""),
    who: Principal = Depends(_require_job_runner),
) -> HTMLResponse:
    """Run one job now, recorded as a manual run by the administrator."""
    check_csrf(request, csrf)
    scheduler = _scheduler(request)
    if name not in scheduler.jobs:
        return _jobs_page(request, who, error=f"没有任务 {name} / no job {name}", status=404)
    try:
        run = scheduler.run_now(name, who.username or "")
    except JobBusy as busy:
        return _jobs_page(request, who, error=str(busy), status=409)
    if run.error is not None:
        return _jobs_page(request, who, error=f"{name}: {run.error}")
    return _jobs_page(request, who, message=f"{name}: {run.summary}")
