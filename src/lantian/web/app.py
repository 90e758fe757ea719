"""The FastAPI application: JSON API under ``/api``, server-rendered pages, packaged static files."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lantian import __version__
from lantian.auth.sessions import SessionSigner
from lantian.config import Settings, get_settings
from lantian.db.engine import create_db_engine, session_factory
from lantian.errors import InputError
from lantian.logs import get_logger
from lantian.plan import plan_in_force
from lantian.timeutil import format_cn_hour
from lantian.web import (
    account_admin,
    account_pages,
    campaign_pages,
    emission_pages,
    i18n,
    job_pages,
    office,
    office_warnings,
    pages,
    supervision_pages,
    system,
    warning_pages,
)
from lantian.web.access import (
    Forbidden,
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
from lantian.web.api import public as public_api
from lantian.web.api import supervision as supervision_api
from lantian.web.api import warnings as warnings_api
from lantian.web.formatting import format_number, pollutant_label

WEB_DIR = Path(__file__).parent
log = get_logger("lantian.web")


def _page_context(request: Request) -> dict[str, Any]:
    """Every page knows who is signed in, carries the session's CSRF token in its forms and
    speaks the chosen language."""
    return {
        "who": principal(request),
        "csrf": session_csrf(request),
        **i18n.language_context(request),
    }


ERROR_TITLES = {
    403: ("无权访问", "Forbidden"),
    404: ("未找到", "Not found"),
    405: ("不允许的方法", "Method not allowed"),
}


def _error_page(
    request: Request, status: int, message: str, *, element_id: str = "error"
) -> Response:
    """An error for people: the site's frame, what went wrong, and a way back."""
    title = ERROR_TITLES.get(status, ("出错了", "Error"))
    signed_in = not principal(request).is_public
    context = {
        "status": status,
        "title_zh": title[0],
        "title_en": title[1],
        "message": message,
        "element_id": element_id,
        "back_href": "/office" if signed_in else "/",
        "back_zh": "返回工作台" if signed_in else "返回实时发布",
        "back_en": "Back to the office" if signed_in else "Back to the real-time page",
    }
    response: Response = request.app.state.templates.TemplateResponse(
        request, "error.html", context, status_code=status
    )
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
        docs_url="/api/docs",
        swagger_ui_oauth2_redirect_url=None,  # no OAuth2 flows: one route fewer to guard
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.secret_key = settings.session_secret()
    app.state.session_signer = SessionSigner(app.state.secret_key)
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    # The plan is read once, here, not per request (restart after editing the plan).
    app.state.plan = plan_in_force(settings)
    templates = Jinja2Templates(directory=WEB_DIR / "templates", context_processors=[_page_context])
    templates.env.filters["cn_hour"] = format_cn_hour
    templates.env.filters["number"] = format_number
    templates.env.filters["pollutant_label"] = pollutant_label
    templates.env.globals["version"] = __version__
    templates.env.globals["t"] = i18n.translate
    templates.env.globals["tt"] = i18n.translate_both
    # Root-relative links keep pages working behind a reverse proxy and never name a host.
    templates.env.globals["static_url"] = lambda path: f"/static/{path}"
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @app.middleware("http")
    async def log_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "http_request",
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response

    @app.exception_handler(SQLAlchemyError)
    async def database_unavailable(request: Request, error: SQLAlchemyError) -> Response:
        # A missing schema or an unreachable server is an operator's problem, not a crash.
        log.error("database_error", path=request.url.path, error=str(error))
        message = (
            "数据库不可用或未初始化，请运行 `lantian db upgrade` / the database is unavailable "
            "or not initialised: run `lantian db upgrade`"
        )
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
                {"error": {"code": code, "message": str(error.detail)}},
                status_code=error.status_code,
            )
        return _error_page(request, error.status_code, str(error.detail))

    @app.exception_handler(InputError)
    async def input_error(_request: Request, error: InputError) -> Response:
        return JSONResponse(
            {"error": {"code": "invalid_input", "message": str(error)}}, status_code=422
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> Response:
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
                    "message": f"请求参数有误 / invalid request: {message}",
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
    async def invalid_token(_request: Request, _error: InvalidToken) -> Response:
        return JSONResponse(
            {
                "error": {
                    "code": "invalid_token",
                    "message": "API 令牌无效、已撤销或已过期 / the API token is unknown, revoked "
                    "or expired",
                }
            },
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="lantian"'},
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse(
                {"error": {"code": "forbidden", "message": error.message}}, status_code=403
            )
        return _error_page(request, 403, error.message, element_id="forbidden")

    app.include_router(system.router)
    app.include_router(account_pages.router)
    app.include_router(account_admin.router)
    app.include_router(job_pages.router)
    app.include_router(i18n.router)
    app.include_router(office.router)
    app.include_router(supervision_pages.router)
    app.include_router(campaign_pages.router)
    app.include_router(monitoring_api.router)
    app.include_router(campaign_api.router)
    app.include_router(emission_pages.router)
    app.include_router(emissions_api.router)
    app.include_router(public_api.router)
    app.include_router(supervision_api.router)
    app.include_router(warnings_api.router)
    app.include_router(warning_pages.router)
    app.include_router(office_warnings.router)
    app.include_router(pages.router)
    return app
