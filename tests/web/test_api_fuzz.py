"""Property-based fuzzing of every ``/api/v1`` operation from the OpenAPI schema (issue 20).

Schemathesis turns the application's own schema (``/api/openapi.json``) into Hypothesis strategies:
for each operation, requests that fit the schema (positive) and requests that break it (negative).
Each generated request is sent, in process, anonymously and with an API token of every role of the
access table (docs/access.md), to the real application over a database holding real data: the
route walk's data (tests/web/test_route_walk.py: one account per role, the Zhengzhou stations in
their districts, the default plan with its progress reports, cases, the emission lists, register
entries with photos) and a CNEMC day of the Zhengzhou stations. Every answer must

* not be a server error (5xx);
* if it is an error, be in the one error shape (``{"error": {"code", "message", …}}``,
  :mod:`lantian.errors`, :mod:`lantian.web.api.errors`);
* conform to the schema: a documented status, content type, headers and body (Schemathesis's
  response conformance checks);
* never be a success for a role that the access table refuses on that operation (every row of the
  table for the operation says 401 or 403 for the role).

The run is bounded and reproducible: a fixed number of examples per operation and mode,
derandomized (the same cases every run, as CI needs), no example database. The summary line
(operations fuzzed, cases tried, calls made, server errors) goes into the terminal summary's
"figures" section (``tests/conftest.py``) so the figure can be quoted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from starlette.routing import Route

from lantian.auth.service import create_token
from lantian.db.engine import session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.cnemc_import import import_cnemc_file
from tests.web.test_route_walk import _endpoints, build_walk_app, read_table

DAY_FILE = "data/cnemc/national_daily/china_sites_20190220.csv"
#: Examples per operation and generation mode; each is sent once per role (8 roles).
EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Tally:
    operations: int = 0
    cases: int = 0
    calls: int = 0
    server_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    #: The first example of each kind of problem of each operation.
    problems: dict[str, str] = field(default_factory=dict)

    def problem(self, kind: str, example: str) -> None:
        self.problems.setdefault(kind, example)


@dataclass(frozen=True)
class FuzzTarget:
    app: FastAPI
    #: role → the ``Authorization`` header of an API token of that role's account (public: none).
    headers: dict[str, dict[str, str]]
    #: (method, route path) → the roles the access table refuses on every row of that operation.
    refused: dict[tuple[str, str], frozenset[str]]


def refused_roles(app: FastAPI) -> dict[tuple[str, str], frozenset[str]]:
    """For each operation, the roles that every row of the access table naming it refuses (401
    or 403): the route walk's notion of who may do what, resolved the way the router resolves
    a path (the first route that matches)."""
    roles, rows = read_table()
    routes = [r for r in _endpoints(list(app.routes)) if isinstance(r, Route)]
    answers: dict[tuple[str, str], list[dict[str, int]]] = {}
    for method, target, expected in rows:
        path = urlsplit(target.split(" ")[0]).path
        route = next(
            (r for r in routes if method in (r.methods or set()) and r.path_regex.match(path)),
            None,
        )
        assert route is not None, f"docs/access.md: {method} {path} resolves to no route"
        answers.setdefault((method, route.path), []).append(expected)
    return {
        operation: frozenset(
            role for role in roles if all(row[role] in (401, 403) for row in expected_rows)
        )
        for operation, expected_rows in answers.items()
    }


@pytest.fixture
def fuzz_target(db_engine: Engine, tmp_path: Path, shared_dir: Path) -> FuzzTarget:
    app, roles = build_walk_app(db_engine, tmp_path / "data")
    sessions = session_factory(db_engine)
    stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
    import_cnemc_file(sessions, shared_dir / DAY_FILE, tmp_path / "data", stations)
    headers: dict[str, dict[str, str]] = {"public": {}}
    with transaction(sessions) as session:
        for role in roles:
            if role == "public":
                continue
            _row, token = create_token(session, role.replace("_", "-"), "fuzzing", actor="test")
            headers[role] = {"Authorization": f"Bearer {token}"}
    return FuzzTarget(app, headers, refused_roles(app))


def error_shape_problem(body: Any) -> str | None:
    """Why ``body`` is not the one error shape (``lantian.errors.ServiceError.as_json``), or None."""
    if not isinstance(body, dict) or set(body) != {"error"}:
        return "the body is not {'error': {…}}"
    error = body["error"]
    if not isinstance(error, dict):
        return "'error' is not an object"
    if not isinstance(error.get("code"), str) or not error["code"]:
        return "'error.code' is not a non-empty string"
    if not isinstance(error.get("message"), str) or not error["message"]:
        return "'error.message' is not a non-empty string"
    extra = set(error) - {"code", "message", "field", "problems", "details"}
    if extra:
        return f"'error' has unknown members {sorted(extra)}"
    return None


def fuzz(target: FuzzTarget, tally: Tally) -> None:
    """Fuzz every ``/api/v1`` operation of the target's schema."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", target.app)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/api/v1/")
    ]
    clients = {role: ASGIClient(target.app) for role in target.headers}
    for operation in operations:
        fuzz_operation(operation, target, clients, tally)


def fuzz_operation(
    operation: APIOperation, target: FuzzTarget, clients: dict[str, ASGIClient], tally: Tally
) -> None:
    """EXAMPLES positive and negative cases of one operation, each sent as every role."""
    tally.operations += 1
    label = f"{operation.method.upper()} {operation.path}"
    refused = target.refused.get((operation.method.upper(), operation.path))
    if refused is None:
        tally.problem(f"{label}: not in docs/access.md", "no row of the table names it")
        refused = frozenset()
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=2 * EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def send_as_every_role(case: schemathesis.Case) -> None:
        tally.cases += 1
        for role, headers in target.headers.items():
            client = clients[role]
            client.cookies.clear()
            where = f"{label} as {role}: {case.as_curl_command()}"
            tally.calls += 1
            try:
                response = case.call(session=client, headers=headers)
            except Exception as crash:  # the app raised: a server would answer 500
                tally.server_errors += 1
                tally.statuses[500] = tally.statuses.get(500, 0) + 1
                tally.problem(f"{label}: raised {type(crash).__name__}", f"{where} → {crash}")
                continue
            status = response.status_code
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if status >= 500:
                tally.server_errors += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as found:
                for failure in found.exceptions:
                    tally.problem(f"{label}: {failure.title}", f"{where} → {failure.message}")
            except Failure as failure:
                tally.problem(f"{label}: {failure.title}", f"{where} → {failure.message}")
            if status >= 400:
                try:
                    body = json.loads(response.content)
                except ValueError:
                    body = None
                shape = error_shape_problem(body)
                if shape:
                    tally.problem(f"{label}: {shape}", f"{where} → {response.text[:300]}")
            if role in refused and 200 <= status < 300:
                tally.problem(f"{label}: answers {role}", f"{where} → {status}, table says no")

    send_as_every_role()


def test_every_api_operation_survives_fuzzing(
    fuzz_target: FuzzTarget, db_backend: str, record_property: Callable[[str, object], None]
) -> None:
    tally = Tally()
    fuzz(fuzz_target, tally)
    summary = (
        f"API fuzzing ({db_backend}): {tally.operations} operations fuzzed, {tally.cases} cases "
        f"tried, {tally.calls} calls (as {len(fuzz_target.headers)} roles), "
        f"{tally.server_errors} server errors, statuses "
        + ", ".join(f"{status}×{count}" for status, count in sorted(tally.statuses.items()))
    )
    # The figure for the note: the terminal summary's "figures" section (tests/conftest.py).
    record_property("figure", summary)
    assert tally.operations >= 30
    found = "\n".join(f"- {kind}\n  {example}" for kind, example in tally.problems.items())
    assert tally.server_errors == 0, found
    assert not tally.problems, f"{len(tally.problems)} problems:\n{found}"
