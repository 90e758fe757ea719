"""Every route with every role, checked against the role table in docs/access.md.

The table is the documentation people read; this test keeps it true. A route of the application
that the table does not list fails the test, so a new page cannot go undocumented.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher, Type
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.routing import Mount, Route

from lantian.auth import passwords
from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring import service as monitoring
from lantian.monitoring.areas import assign_station_areas, read_boundaries
from lantian.web.app import create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"
PASSWORD = "灰霾退散-2017-blue"
SCOPES = {"unit": "hbj", "township": "410105"}


def read_table() -> tuple[list[str], list[tuple[str, str, dict[str, int]]]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- route-table:start -->")[1].split("<!-- route-table:end -->")[0]
    lines = [line.strip() for line in block.strip().splitlines()]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = header[1:]
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        method, target = cells[0].split(" ", 1)
        rows.append((method, target, {role: int(cells[1 + i]) for i, role in enumerate(roles)}))
    return roles, rows


@pytest.fixture(autouse=True)
def fast_hashes() -> Iterator[None]:
    with passwords.using_hasher(
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    ):
        yield


@pytest.fixture
def app_and_roles(db_engine: Engine, tmp_path: Path) -> tuple[object, list[str]]:
    roles, _rows = read_table()
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
        monitoring.upsert_stations(session, stations)
        assign_station_areas(session, read_boundaries(), actor="test")
        for role in [*roles, "walk-target"]:
            if role == "public":
                continue
            add_user(
                session,
                username=role.replace("_", "-") if role != "walk-target" else role,
                role=role if role != "walk-target" else "leader",
                scope=SCOPES.get(role),
                password=PASSWORD,
                actor="test",
            )
    return create_app(Settings(data_dir=tmp_path), db_engine), roles


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", path) + "$")


def _endpoints(routes: list[object]) -> Iterator[APIRoute | Route]:
    """Every endpoint, looking inside included routers (FastAPI wraps them) and skipping the
    static-file mount."""
    for route in routes:
        if isinstance(route, APIRoute | Route):
            yield route
        elif isinstance(route, Mount):
            continue
        else:
            included = getattr(route, "original_router", None)
            assert included is not None, f"unknown kind of route {route!r}"
            yield from _endpoints(list(included.routes))


def test_the_table_lists_every_route() -> None:
    app = create_app(Settings())
    _roles, rows = read_table()
    listed = [(method, urlsplit(target).path) for method, target, _ in rows]
    endpoints = list(_endpoints(list(app.routes)))
    assert len(endpoints) >= len({(m, p) for m, p in listed}) - 3
    for route in endpoints:
        for method in sorted((route.methods or set()) - {"HEAD"}):
            pattern = _pattern(route.path)
            assert any(m == method and pattern.match(p) for m, p in listed), (
                f"{method} {route.path} is missing from the table in docs/access.md"
            )


def test_every_role_gets_the_documented_answer(app_and_roles: tuple[object, list[str]]) -> None:
    app, roles = app_and_roles
    _roles, rows = read_table()
    mismatches = []
    for role in roles:
        client = TestClient(app)  # type: ignore[arg-type]
        csrf = ""
        if role != "public":
            login = client.get("/login")
            token = re.search(r'name="csrf" value="([^"]*)"', login.text)
            assert token
            answer = client.post(
                "/login",
                data={
                    "username": role.replace("_", "-"),
                    "password": PASSWORD,
                    "csrf": token.group(1),
                },
                follow_redirects=False,
            )
            assert answer.status_code == 303, role
            account = client.get("/account")
            found = re.search(r'name="csrf" value="([^"]*)"', account.text)
            csrf = found.group(1) if found else ""
        for method, target, expected in rows:
            if method == "GET":
                got = client.get(target, follow_redirects=False).status_code
            else:
                form = {"csrf": csrf, "current_password": "wrong-password-1", "new_password": "x"}
                form |= {"repeat_password": "x", "active": "1", "username": ""}
                got = client.post(target, data=form, follow_redirects=False).status_code
            if got != expected[role]:
                mismatches.append(f"{role}: {method} {target} → {got}, table says {expected[role]}")
    assert not mismatches, "\n".join(mismatches)
