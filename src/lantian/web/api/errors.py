"""The one error shape of the API, documented in the OpenAPI schema.

Every refusal of an ``/api`` route is answered by the handlers of :mod:`lantian.web.app` in one
shape, ``{"error": {"code", "message"[, "field"][, "problems"][, "details"]}}``
(:meth:`lantian.errors.ServiceError.as_json`; ``details`` for a request the schema refuses). FastAPI
documents only its own validation error (``HTTPValidationError``), which the API never sends, and
none of the other statuses an operation can answer. :func:`document_errors` puts the real shape
and statuses into ``/api/openapi.json`` so that a client generated from the schema, and the
fuzzing of every operation against it (tests/web/test_api_fuzz.py), see what the API really says.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field


class RequestProblem(BaseModel):
    """One problem of a request the schema refuses: where (``query.limit``) and why."""

    model_config = ConfigDict(extra="forbid")

    where: str
    why: str


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        description="machine-readable kind: invalid_input, invalid_request, not_found, forbidden, "
        "conflict, invalid_token, database_unavailable, http_<status>"
    )
    message: str = Field(description="for people, Chinese first, English second")
    field: str | None = Field(None, description="the input field at fault")
    problems: list[str | dict[str, Any]] | None = Field(
        None, description="one entry per problem (a file's bad rows, a form's bad fields)"
    )
    details: list[RequestProblem] | None = Field(
        None, description="what the schema refused in the request"
    )


class ErrorResponse(BaseModel):
    """The one error shape of every ``/api`` answer that is not a success."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorBody


#: What each error status of an API operation means (lantian.errors and lantian.web.app).
ERROR_STATUSES = {
    "400": "请求无法读取（如损坏的表单）/ the request cannot be read (a broken form body)",
    "401": "没有或无效的 API 令牌 / no session or API token, or an invalid one",
    "403": "角色或范围不允许 / the role or scope does not allow this",
    "404": "不存在或不可见 / no such thing, or out of sight",
    "409": "与现有数据冲突 / clashes with what is already there",
    "422": "输入有误 / invalid input",
    "503": "数据库不可用 / the database is unavailable",
}
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
#: FastAPI's own validation error schemas, which no response of this application uses.
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def document_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` document the one error shape on every ``/api`` operation."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(error_components())
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith("/api/"):
                continue
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    responses[status] = {
                        "description": description,
                        "content": {"application/json": {"schema": ERROR_REF}},
                    }
        if "HTTPValidationError" not in str(schema.get("paths")):
            for name in FASTAPI_VALIDATION_SCHEMAS:
                components.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def error_components() -> dict[str, Any]:
    """The JSON schemas of :class:`ErrorResponse` and the models it refers to."""
    schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    return {**definitions, "ErrorResponse": schema}
