"""The office's station registry page: the stations, and a form to register one.

The form is a thin face of :func:`lantian.monitoring.stations.register_station`, like
``POST /api/v1/monitoring/stations``, ``lantian stations add`` and ``lantian import stations``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid
from lantian.monitoring.stations import parse_station, register_station, registered_stations
from lantian.web.access import require_account, require_csrf
from lantian.web.api.monitoring import station_areas
from lantian.web.rendering import flash, render

router = APIRouter(include_in_schema=False)


class StationForm(BaseModel):
    """The form's fields as sent (text); :func:`parse_station` reads them into the service's
    typed input, so the form refuses what the API and the command line refuse, in the same words.
    """

    code: str = ""
    name: str = ""
    city: str = ""
    tier: str = ""
    area_code: str = ""
    longitude: str = ""
    latitude: str = ""
    status: str = "operating"
    pollutants: str = ""
    reporting_interval_s: str = "3600"
    csrf: str = ""


def _page(
    request: Request, form: StationForm | None = None, error: str = "", status: int = 200
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        stations = registered_stations(session)
    context: dict[str, Any] = {
        "stations": stations,
        "areas": station_areas(request),
        "form": form or StationForm(),
        "error": error,
    }
    return render(request, "office_stations.html", context, status)


@router.get("/office/stations", response_class=HTMLResponse)
def stations_page(request: Request, _who: Principal = Depends(require_account)) -> HTMLResponse:
    return _page(request)


@router.post("/office/stations", dependencies=[Depends(require_csrf)], response_model=None)
def stations_register(
    request: Request,
    form: Annotated[StationForm, Form()],
    who: Principal = Depends(require_account),
) -> Response:
    fields = form.model_dump(exclude={"csrf"})
    try:
        station = parse_station(fields)
        with transaction(request.app.state.sessions) as session:
            register_station(session, who, station, station_areas(request))
    except (Invalid, Conflict) as error:
        # Nothing was written: the form again, with what was typed and why it was refused.
        return _page(request, form, error.message, error.http_status)
    flash(request, f"已登记站点 {station.code} / station {station.code} registered")
    return RedirectResponse("/office/stations", status_code=303)
