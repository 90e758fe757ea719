"""The FastAPI application: JSON API under ``/api``, server-rendered pages, packaged static files."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from lantian import __version__, clock
from lantian.auth.permissions import can, resource
from lantian.auth.sessions import SessionSigner
from lantian.briefings.service import may_read as may_read_briefings
from lantian.campaign.service import may_read_accountability
from lantian.config import Settings, get_settings
from lantian.db.engine import create_db_engine, session_factory
from lantian.errors import NotAllowed, ServiceError
from lantian.language import N_
from lantian.logs import get_logger
from lantian.overview.service import may_see_overview
from lantian.plan import plan_in_force
from lantian.supervision.rules import may_read_duty
from lantian.web import (
    account_admin,
    account_pages,
    assessment_pages,
    briefing_pages,
    campaign_pages,
    cems_pages,
    construction_pages,
    dustfall_pages,
    duty_item_pages,
    emission_pages,
    execution_pages,
    i18n,
    job_pages,
    machinery_pages,
    office,
    office_warnings,
    overview_pages,
    pages,
    penalty_pages,
    review_pages,
    security,
    source_pages,
    station_pages,
    supervision_pages,
    system,
    warning_pages,
    weather_pages,
)
from lantian.web.access import (
    MACHINE_ROLES,
    InvalidToken,
    LoginRequired,
    PasswordChangeRequired,
    login_redirect,
    principal,
    session_csrf,
)
from lantian.web.api import campaign as campaign_api
from lantian.web.api import emissions as emissions_api
from lantian.web.api import monitoring as monitoring_api
from lantian.web.api import penalties as penalties_api
from lantian.web.api import public as public_api
from lantian.web.api import sources as sources_api
from lantian.web.api import supervision as supervision_api
from lantian.web.api import warnings as warnings_api
from lantian.web.api.errors import document_errors
from lantian.web.clock_notice import clock_context, format_cn_minute
from lantian.web.formatting import FILTERS, format_number, is_photo, pollutant_label
from lantian.web.input_guard import refuse_nul_characters
from lantian.web.rendering import render, take_flashes

WEB_DIR = Path(__file__).parent
#: Swagger UI's files, vendored under static/vendor (see its README): /api/docs works offline.
SWAGGER_UI = "vendor/swagger-ui-5.35.0"
log = get_logger("lantian.web")


def _page_context(request: Request) -> dict[str, Any]:
    """Every page knows who is signed in, carries the session's CSRF token in its forms and
    speaks the chosen language."""
    return {
        "who": principal(request),
        "csrf": session_csrf(request),
        "flashes": take_flashes(request),
        **clock_context(),
        **i18n.language_context(request),
    }


ERROR_TITLES = {
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    422: N_("Invalid input"),
}


def _error_page(
    request: Request, status: int, message: str, *, element_id: str = "error"
) -> Response:
    """An error for people: the site's frame, what went wrong, and a way back."""
    signed_in = not principal(request).is_public
    context = {
        "status": status,
        "title": ERROR_TITLES.get(status, N_("Error")),
        "message": i18n.request_localize(request, message),
        "element_id": element_id,
        "back_href": "/office" if signed_in else "/",
        "back": N_("Back to the office") if signed_in else N_("Back to the real-time page"),
    }
    response: Response = render(request, "error.html", context, status)
    return response


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the application for ``settings`` (default: the process settings)."""
    settings = settings or get_settings()
    owns_engine = engine is None
    engine = engine or create_db_engine(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="lantian 蓝天",
        version=__version__,
        description="大气污染防治攻坚平台 API / air-pollution campaign platform API",
        docs_url=None,  # served below from the vendored Swagger UI, never from a CDN
        swagger_ui_oauth2_redirect_url=None,  # no OAuth2 flows: one route fewer to guard
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        # No text of the platform holds NUL, which PostgreSQL refuses (web/input_guard.py).
        dependencies=[Depends(refuse_nul_characters)],
    )
    app.state.settings = settings
    app.state.secret_key = settings.session_secret()
    app.state.session_signer = SessionSigner(app.state.secret_key)
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    # The plan is read once, here, not per request (restart after editing the plan).
    app.state.plan = plan_in_force(settings)
    app.state.templates = _templates()
    # "As of" runs (LANTIAN_AS_OF): every request of this app reckons from the chosen instant.
    app.state.clock = clock.AsOfClock(settings.as_of) if settings.as_of else None
    _add_middleware(app)
    security.install(app)  # headers, cookie flags, sign-in throttle (docs/security.md)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    _add_exception_handlers(app)
    _add_request_error_handlers(app)
    _include_routers(app)
    _add_docs_and_icon(app)
    # The schema documents the one error shape every refusal is answered in (web/api/errors.py).
    document_errors(app)
    return app


def _add_docs_and_icon(app: FastAPI) -> None:
    """``/api/docs`` with Swagger UI from the package (no CDN, no online validator) and
    ``/favicon.ico``, which browsers ask of every site."""
    openapi_url = app.openapi_url or "/api/openapi.json"

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> Response:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} · API",
            swagger_js_url=f"/static/{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"/static/{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(
            WEB_DIR / "static" / "favicon.ico",
            media_type="image/x-icon",
            headers={"Cache-Control": "public, max-age=86400"},
        )


def _templates() -> Jinja2Templates:
    """The page templates with the filters and globals every page uses."""
    templates = Jinja2Templates(directory=WEB_DIR / "templates", context_processors=[_page_context])
    templates.env.filters["cn_minute"] = format_cn_minute
    templates.env.filters["number"] = format_number
    templates.env.filters["pollutant_label"] = pollutant_label
    templates.env.filters["is_photo"] = is_photo
    templates.env.filters.update(FILTERS)  # codes by their labels: area, industry, actor …
    templates.env.globals["version"] = __version__
    # Templates ask the permission table, never a role's name: {% if can(who, "write", resource("station")) %}
    templates.env.globals["can"] = can
    templates.env.globals["resource"] = resource
    # …and the domain's own rules where the table has no row for them.
    templates.env.globals["may_read_accountability"] = may_read_accountability
    templates.env.globals["may_read_duty"] = may_read_duty
    templates.env.globals["may_see_overview"] = may_see_overview
    templates.env.globals["may_read_briefings"] = may_read_briefings
    # A machine account (a device) uses no page: the navigation offers it none.
    templates.env.globals["uses_pages"] = lambda who: who.role not in MACHINE_ROLES
    i18n.install(templates.env)
    # Root-relative links keep pages working behind a reverse proxy and never name a host.
    templates.env.globals["static_url"] = lambda path: f"/static/{path}"
    return templates


def _add_middleware(app: FastAPI) -> None:
    """The flash-message session, the request language and the request log."""
    # Flash messages ride in a signed cookie of their own (itsdangerous), never in the URL.
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.secret_key,
        session_cookie="lantian_flash",
        same_site="lax",
    )
    app.add_middleware(i18n.RequestLanguage)

    @app.middleware("http")
    async def log_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        as_of = request.app.state.clock
        if as_of is None:
            response = await call_next(request)
        else:
            with clock.use(as_of):
                response = await call_next(request)
        log.info(
            "http_request",
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response


def _add_exception_handlers(app: FastAPI) -> None:
    """The one mapping of errors to responses: JSON for the API, a page for people."""

    @app.exception_handler(SQLAlchemyError)
    async def database_unavailable(request: Request, error: SQLAlchemyError) -> Response:
        # A missing schema or an unreachable server is an operator's problem, not a crash.
        log.error("database_error", path=request.url.path, error=str(error))
        message = (
            "数据库不可用或未初始化，请运行 `lantian db upgrade` / the database is unavailable "
            "or not initialised: run `lantian db upgrade`"
        )
        message = i18n.request_localize(request, message)
        if request.url.path.startswith("/api"):
            return JSONResponse(
                {"error": {"code": "database_unavailable", "message": message}}, status_code=503
            )
        return PlainTextResponse(message, status_code=503)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        # One error shape for the API; a plain page for people.
        if request.url.path.startswith("/api"):
            code = "not_found" if error.status_code == 404 else f"http_{error.status_code}"
            return JSONResponse(
                {
                    "error": {
                        "code": code,
                        "message": i18n.request_localize(request, str(error.detail)),
                    }
                },
                status_code=error.status_code,
            )
        return _error_page(request, error.status_code, str(error.detail))

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, error: ServiceError) -> Response:
        # The one mapping of the error taxonomy to HTTP: the status comes from the class
        # (Invalid 422, NotFound 404, NotAllowed 403, Conflict 409), never from the text.
        message = i18n.request_localize(request, error.message)
        if request.url.path.startswith("/api"):
            body = error.as_json()
            body["error"]["message"] = message
            return JSONResponse(body, status_code=error.http_status)
        element_id = "forbidden" if isinstance(error, NotAllowed) else "error"
        return _error_page(request, error.http_status, message, element_id=element_id)


def _add_request_error_handlers(app: FastAPI) -> None:
    """Requests refused before a route runs: invalid input, no session, a bad API token."""

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        # One error shape for every failure: what, where, why.
        details = [
            {"where": ".".join(str(part) for part in item["loc"]), "why": item["msg"]}
            for item in error.errors()
        ]
        message = "; ".join(f"{d['where']}: {d['why']}" for d in details)
        return JSONResponse(
            {
                "error": {
                    "code": "invalid_request",
                    "message": i18n.request_localize(request, "请求参数有误 / invalid request")
                    + f": {message}",
                    "details": details,
                }
            },
            status_code=422,
        )

    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, error: LoginRequired) -> Response:
        return login_redirect(error.next_path)

    @app.exception_handler(PasswordChangeRequired)
    async def password_change_required(
        _request: Request, error: PasswordChangeRequired
    ) -> Response:
        return RedirectResponse(f"/account?next={quote(error.next_path)}", status_code=303)

    @app.exception_handler(InvalidToken)
    async def invalid_token(request: Request, _error: InvalidToken) -> Response:
        return JSONResponse(
            {
                "error": {
                    "code": "invalid_token",
                    "message": i18n.request_localize(
                        request,
                        "API 令牌无效、已撤销或已过期 / the API token is unknown, revoked or expired",
                    ),
                }
            },
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="lantian"'},
        )


def _include_routers(app: FastAPI) -> None:
    app.include_router(system.router)
    app.include_router(account_pages.router)
    app.include_router(account_admin.router)
    app.include_router(job_pages.router)
    app.include_router(i18n.router)
    app.include_router(office.router)
    app.include_router(overview_pages.router)
    app.include_router(supervision_pages.router)
    app.include_router(review_pages.router)
    # The blacklist's path lies under the construction sites' list: mounted before it.
    app.include_router(construction_pages.router)
    app.include_router(penalty_pages.router)
    app.include_router(briefing_pages.router)
    app.include_router(machinery_pages.router)
    app.include_router(dustfall_pages.router)
    app.include_router(cems_pages.router)
    app.include_router(source_pages.router)
    app.include_router(sources_api.router)
    app.include_router(campaign_pages.router)
    app.include_router(duty_item_pages.router)
    app.include_router(monitoring_api.router)
    app.include_router(campaign_api.router)
    app.include_router(emission_pages.router)
    app.include_router(emissions_api.router)
    app.include_router(public_api.router)
    app.include_router(penalties_api.router)
    app.include_router(supervision_api.router)
    app.include_router(warnings_api.router)
    app.include_router(warning_pages.router)
    app.include_router(office_warnings.router)
    app.include_router(execution_pages.router)
    app.include_router(assessment_pages.router)
    app.include_router(weather_pages.router)
    app.include_router(station_pages.router)
    app.include_router(pages.router)
