"""Operational endpoints: health check and version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from lantian import __version__
from lantian.db.engine import ping
from lantian.db.migrate import current_revision, head_revision
from lantian.web.access import principal

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="健康检查 / health check")
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers and its schema is the newest; 503 otherwise, with the reason."""
    engine = request.app.state.engine
    body: dict[str, Any] = {"version": __version__, "database": engine.dialect.name}
    try:
        ping(engine)
        revision = current_revision(engine)
    except SQLAlchemyError as error:
        body |= {"status": "error", "reason": f"数据库无法连接 / database unreachable: {error}"}
        return JSONResponse(body, status_code=503)
    head = head_revision()
    body |= {"schema_revision": revision, "schema_head": head}
    if revision != head:
        body |= {
            "status": "error",
            "reason": "数据库结构不是最新 / schema not at head: run `lantian db upgrade`",
        }
        return JSONResponse(body, status_code=503)
    body["status"] = "ok"
    return JSONResponse(body)


class Me(BaseModel):
    """Who the request authenticates as (a token's or session's account, or the public)."""

    username: str | None
    role: str
    scope: str | None


@router.get("/api/v1/me", response_model=Me, summary="当前身份 / who am I")
def me(request: Request) -> Me:
    """Lets a machine client check its API token (``Authorization: Bearer lt_…``)."""
    who = principal(request)
    return Me(username=who.username, role=who.role, scope=who.scope)
