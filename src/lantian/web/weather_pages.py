"""The effect of the measures net of weather (issue 18): ``/results/weather``.

The observed and the weather-normalised change of a pollutant over the campaign period against
the same days a year before, the part due to weather, their uncertainty, the daily series as a
chart and the method; and the upload of a station file of hourly weather. The figures come from
:mod:`lantian.weather.service`; this module parses and renders.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import Invalid, NotAllowed
from lantian.files import FileStore, upload_read_limit
from lantian.overview.service import may_see_overview
from lantian.tabular import Rejected
from lantian.weather import service
from lantian.weather.imports import WEATHER_SPEC, import_weather, may_import
from lantian.weather.normalise import Normalisation
from lantian.web.access import require_account, require_csrf
from lantian.web.plan_state import current_plan
from lantian.web.rendering import flash, render

router = APIRouter(include_in_schema=False)
PAGE = "/results/weather"


def _require_reader(who: Principal) -> None:
    # Figures of the whole city for those who read the whole campaign (as the overview).
    if not may_see_overview(who):
        raise NotAllowed(
            "气象归一化页供市领导和攻坚办使用 / the weather normalisation is for leaders and the office"
        )


def _page(
    request: Request,
    who: Principal,
    pollutant: str = "PM2.5",
    period: str = "",
    baseline: str = "",
    error: str = "",
    problems: tuple[str, ...] = (),
    status: int = 200,
) -> HTMLResponse:
    settings = request.app.state.settings
    model = service.model_settings(settings)
    result: Normalisation | None = None
    message = error
    span = base = None
    code = "pm2_5"
    with request.app.state.sessions() as session:
        stored = service.stored_weather(session)
        try:
            code = service.pollutant_code(pollutant or "PM2.5")
            span = (
                service.parse_span(period, "period")
                if period
                else service.campaign_span(current_plan(request))
            )
            if span is None:
                raise Invalid(
                    "计划没有攻坚时段，请填写时段 / the plan has no campaign period: give one"
                )
            base = (
                service.parse_span(baseline, "baseline") if baseline else service.year_before(span)
            )
            if stored and not error:
                result = service.normalise_cached(
                    session, code, span, base, model, settings.weather_training_margin_days
                )
        except Invalid as exc:
            message = message or exc.message
            status = status if error else exc.http_status
    context: dict[str, Any] = {
        "result": result,
        "chart": (
            service.chart_data(result) | {"unit": "mg/m³" if code == "co" else "µg/m³"}
            if result is not None
            else None
        ),
        "pollutant": service.POLLUTANT_LABELS[code],
        "unit": "mg/m³" if code == "co" else "µg/m³",
        "pollutants": list(service.POLLUTANT_LABELS.values()),
        "period": str(span) if span else period,
        "baseline": str(base) if base else baseline,
        "model": model,
        "stored": stored,
        "may_import": may_import(who),
        "columns": WEATHER_SPEC.headers,
        "error": message,
        "problems": problems,
    }
    response: HTMLResponse = render(request, "results_weather.html", context, status)
    return response


@router.get(PAGE, response_class=HTMLResponse)
def weather_page(
    request: Request,
    pollutant: str = "PM2.5",
    period: str = "",
    baseline: str = "",
    who: Principal = Depends(require_account),
) -> HTMLResponse:
    _require_reader(who)
    return _page(request, who, pollutant, period, baseline)


@router.post(f"{PAGE}/import", dependencies=[Depends(require_csrf)], response_model=None)
async def weather_import(
    request: Request,
    file: UploadFile | None = File(None),
    who: Principal = Depends(require_account),
) -> Response:
    """Upload a station file of hourly weather (all rows or none; every bad row shown)."""
    if not may_import(who):
        raise NotAllowed("无权导入气象数据 / not allowed to import weather data")
    try:
        if file is None or not file.filename:
            raise Invalid("请选择文件 / choose a file", field="file")
        content = await file.read(upload_read_limit())
        store = FileStore(request.app.state.settings.ensure_data_dir())
        with transaction(request.app.state.sessions) as session:
            result = import_weather(session, who, content, file.filename, store=store)
    except Rejected as refused:
        return _page(
            request,
            who,
            error=refused.message.split("\n", 1)[0],
            problems=tuple(str(p) for p in refused.problems[:50]),
            status=422,
        )
    except Invalid as exc:
        return _page(request, who, error=exc.message, status=exc.http_status)
    flash(request, f"已导入 imported {result.filename}: {result.rows} 行 rows")
    return RedirectResponse(PAGE, status_code=303)
