"""What the API fuzzing (tests/web/test_api_fuzz.py) found, each fixed: the regression tests.

* The OpenAPI schema documented only FastAPI's own validation error (``HTTPValidationError``, a
  shape the API never sends) and none of 400, 401, 403, 404, 409 or 503, so every refusal was an
  answer outside the schema; it now documents the one error shape and every error status.
* Ids and offsets beyond any database integer reached the database (a 503 or a 500); they are
  now invalid input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema_rs
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.auth.service import add_user, create_token
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.web.api.errors import ERROR_REF, ERROR_STATUSES
from lantian.web.app import create_app

PASSWORD = "灰霾退散-2017-blue"


def test_every_api_operation_documents_the_error_shape(tmp_path: Path) -> None:
    schema = create_app(Settings(data_dir=tmp_path)).openapi()
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        if path.startswith("/api/")
        for method, operation in methods.items()
    ]
    assert len(operations) >= 30
    for path, method, operation in operations:
        for status in ("400", "401", "403", "404", "409", "422", "503"):
            documented = operation["responses"].get(status)
            assert documented, f"{method.upper()} {path} does not document {status}"
            assert documented["content"]["application/json"]["schema"] == ERROR_REF
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert set(ERROR_STATUSES) == {"400", "401", "403", "404", "409", "422", "503"}


def test_real_refusals_fit_the_documented_shape(db_engine: Engine, tmp_path: Path) -> None:
    """A refusal of each kind, as the API really sends it, validates against the schema's
    ErrorResponse — which allows no member beside the shape's own."""
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        add_user(
            session, username="office", role="campaign_office", scope=None, password=PASSWORD,
            actor="test",
        )  # fmt: skip
        add_user(
            session, username="jinshui", role="township", scope="410105", password=PASSWORD,
            actor="test",
        )  # fmt: skip
        _row, token = create_token(session, "office", "schema test", actor="test")
        _row, township_token = create_token(session, "jinshui", "schema test", actor="test")
    client = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
    bearer = {"Authorization": f"Bearer {token}"}
    schema = client.get("/api/openapi.json").json()
    validator = jsonschema_rs.validator_for({**ERROR_REF, "components": schema["components"]})
    township = {"Authorization": f"Bearer {township_token}"}
    broken_form = {"Content-Type": "multipart/form-data; boundary=x", **bearer}
    refusals: list[tuple[int, str, Any]] = [
        (401, "invalid_token", client.get("/api/v1/me", headers={"Authorization": "Bearer lt_x"})),
        (401, "http_401", client.get("/api/v1/cases")),
        (403, "forbidden", client.get("/api/v1/emissions/lists", headers=township)),
        (404, "not_found", client.get("/api/v1/cases/999999", headers=bearer)),
        (404, "not_found", client.get("/api/v1/sources/no_such_kind", headers=bearer)),
        (422, "invalid_request", client.get("/api/v1/monitoring/stations?limit=0")),
        (
            400,
            "http_400",
            client.post(
                "/api/v1/sources/scattered_enterprise/import",
                content=b"--x\r\n-1--x--\r\n",
                headers=broken_form,
            ),
        ),
    ]
    for status, code, response in refusals:
        body = response.json()
        assert (response.status_code, body["error"]["code"]) == (status, code), body
        assert validator.is_valid(body), body
    assert not validator.is_valid({"error": {"code": "x", "message": "y", "stack": "…"}})
    assert not validator.is_valid({"detail": [{"loc": ["query"], "msg": "bad"}]})


def test_numbers_beyond_any_database_id_are_invalid_input(
    db_engine: Engine, tmp_path: Path
) -> None:
    """Found by the API fuzzing: an id or offset beyond what a database integer holds reached the
    database — PostgreSQL refused it (out of range) and the API answered 503 "database
    unavailable"; SQLite's driver raised OverflowError, a 500. Such a number names nothing: the
    API refuses it as invalid input (422) on both backends, and the largest id is still a plain
    not-found."""
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        add_user(
            session, username="office", role="campaign_office", scope=None, password=PASSWORD,
            actor="test",
        )  # fmt: skip
        _row, token = create_token(session, "office", "overflow test", actor="test")
    client = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
    bearer = {"Authorization": f"Bearer {token}"}
    huge = 2136118394253810860032
    for target in (
        f"/api/v1/cases/{huge}",
        f"/api/v1/cases/{2**31}",
        f"/api/v1/emissions/lists/{2**31}/check",
        f"/api/v1/sources/scattered_enterprise/{huge}",
        f"/api/v1/monitoring/stations?offset={huge}",
        f"/api/v1/warnings/decisions?offset={2**63}",
        f"/api/v1/cases?offset={2**31}",
    ):
        answer = client.get(target, headers=bearer)
        assert answer.status_code == 422, (target, answer.text)
        assert answer.json()["error"]["code"] == "invalid_request", target
    largest = 2**31 - 1
    for target in (
        f"/api/v1/cases/{largest}",
        f"/api/v1/emissions/lists/{largest}/check",
        f"/api/v1/sources/scattered_enterprise/{largest}",
    ):
        answer = client.get(target, headers=bearer)
        assert answer.status_code == 404, (target, answer.text)
    page = client.get(f"/api/v1/monitoring/stations?offset={largest}", headers=bearer)
    assert page.status_code == 200
    assert page.json()["items"] == []


def test_nul_characters_and_days_beyond_the_calendar_are_invalid_input(
    db_engine: Engine, tmp_path: Path
) -> None:
    """Found by the API fuzzing: a NUL character in a query parameter reached PostgreSQL, which
    refused the statement (a 503 "database unavailable"), and a report day of 0001-01-01 raised
    OverflowError (a 500). Both are invalid input now (lantian.web.input_guard, the monitoring
    API's day bounds), in the one error shape; the same requests without them still answer."""
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        add_user(
            session, username="office", role="campaign_office", scope=None, password=PASSWORD,
            actor="test",
        )  # fmt: skip
        _row, token = create_token(session, "office", "nul test", actor="test")
    client = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
    bearer = {"Authorization": f"Bearer {token}"}
    day = "start=2019-02-19&end=2019-02-20"
    refused = [
        client.get("/api/v1/warnings/active?scope=%00"),
        client.get("/api/v1/warnings/active?scope=41%00", headers=bearer),
        client.get("/api/v1/sources/scattered_enterprise?q=%00", headers=bearer),
        client.get("/api/v1/warnings/forecasts?area=%00", headers=bearer),
        client.get(f"/api/v1/monitoring/transmission-rates?{day}&station=%00"),
        client.get("/api/v1/monitoring/transmission-rates?start=0001-01-01&end=0001-01-01"),
        client.get("/api/v1/monitoring/source-transmission-rates?start=9999-12-31&end=9999-12-31"),
        client.post(
            "/api/v1/monitoring/stations",
            json={"code": "1316A", "name": "bad\u0000name", "city": "郑州", "tier": "national"},
            headers=bearer,
        ),
        client.post(
            "/api/v1/sources/scattered_enterprise/1/steps",
            data={"event": "walk", "note": "a\x00b"},
            headers=bearer,
        ),
    ]
    for answer in refused:
        assert answer.status_code == 422, (answer.request.url, answer.text)
        assert set(answer.json()["error"]) >= {"code", "message"}, answer.text
    assert client.get("/api/v1/warnings/active?scope=410100").status_code == 200
    assert client.get(f"/api/v1/monitoring/transmission-rates?{day}").status_code == 200
    assert client.get("/api/v1/sources/scattered_enterprise?q=a", headers=bearer).status_code == 200
    # NUL bytes inside an uploaded file are no text of the request: a photo keeps them.
    photo = client.post(
        "/api/v1/sources/scattered_enterprise/1/checks",
        data={"check": "{}"},
        files={"files": ("site.jpg", b"\xff\xd8\x00\x00 photo", "image/jpeg")},
        headers=bearer,
    )
    assert "NUL" not in photo.text
