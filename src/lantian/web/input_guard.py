"""Refuse a NUL character in any text a request carries, before a route reads it.

PostgreSQL's text cannot hold NUL (U+0000); a query parameter, form field or JSON string carrying
one reached the database, which refused the statement, and the request was answered 503 "the
database is unavailable" — a server error where the input is wrong, found by the API fuzzing
(tests/web/test_api_fuzz.py; tests/web/test_api_fuzz_findings.py). No text of the platform has a
use for NUL, so every request with one is invalid input (422), on every backend alike. Uploaded
files are not text and are not looked into (a photo or a spreadsheet holds NUL bytes).
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from lantian.errors import Invalid

NUL = "\x00"


async def refuse_nul_characters(request: Request) -> None:
    """An application-wide dependency: :class:`Invalid` if the path, a query parameter, a form
    field or a JSON string carries NUL. FastAPI has read the body of a route with body
    parameters before dependencies run, so reading it here mostly costs nothing more."""
    texts: list[str] = [request.url.path]
    texts += [part for pair in request.query_params.multi_items() for part in pair]
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT", "PATCH"):
        # The body first: kept on the request, so that a route reading it raw afterwards (the
        # forecast import) still can — parsing the form alone would consume the stream. A route
        # with form parameters has had its form parsed by FastAPI already (kept on the request
        # too), its stream consumed: then the form is all there is to read.
        try:
            body = await request.body()
        except RuntimeError:
            body = b""
        if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            form = await request.form()
            for name, value in form.multi_items():
                texts.append(name)
                if not isinstance(value, UploadFile):
                    texts.append(value)
        elif "json" in content_type and b"\\u0000" in body:
            with suppress(ValueError):  # not JSON: the route refuses it as such
                texts += _strings(json.loads(body))
    if any(NUL in text for text in texts):
        raise Invalid("请求含有 NUL 字符 / the request contains a NUL character")


def _strings(value: Any) -> list[str]:
    """Every string (keys too) inside a parsed JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (key, *_strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []
