"""Every route with every role, checked against the role table in docs/access.md.

The table is the documentation people read; this test keeps it true. A route of the application
that the table does not list fails the test, so a new page cannot go undocumented.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.routing import Mount, Route

from lantian.auth.permissions import Principal
from lantian.auth.service import add_user
from lantian.campaign.demo import load_sample_progress
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.emissions.sample import load_emission_demo
from lantian.files import FileStore
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring import service as monitoring
from lantian.monitoring.areas import assign_station_areas, read_boundaries
from lantian.monitoring.registry import load_station_registry, read_station_registry
from lantian.plan import DEFAULT_PLAN_DIR, default_plan
from lantian.sources import service as sources
from lantian.sources.kinds.scattered import KIND as SCATTERED
from lantian.supervision.service import CaseDraft, EvidenceFile, record_case
from lantian.web.app import create_app

PLAN = DEFAULT_PLAN_DIR
DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"
PASSWORD = "灰霾退散-2017-blue"
SCOPES = {"unit": "hbj", "township": "410183100"}  # 新密市城关镇


def read_table() -> tuple[list[str], list[tuple[str, str, dict[str, int]]]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- route-table:start -->")[1].split("<!-- route-table:end -->")[0]
    lines = [line.strip() for line in block.strip().splitlines()]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = header[1:]
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        # "POST /path field=value&field=value": the form a post sends besides its CSRF token.
        method, target = cells[0].split(" ", 1)
        rows.append((method, target, {role: int(cells[1 + i]) for i, role in enumerate(roles)}))
    return roles, rows


def build_walk_app(db_engine: Engine, data_dir: Path) -> tuple[FastAPI, list[str]]:
    """An app over a database holding one account per role and one thing of each kind to open:
    the demo city's stations placed in their districts, the plan's stations, and an inspection
    case in 城关镇 (the township account's own area, unit hbj) and one in 米村镇, each with a
    piece of evidence."""
    roles, _rows = read_table()
    sessions = session_factory(db_engine)
    now = datetime(2026, 11, 1, 9, tzinfo=UTC)
    with transaction(sessions) as session:
        stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
        monitoring.upsert_stations(session, stations, actor="test")
        assign_station_areas(session, read_boundaries(), actor="test")
        load_station_registry(session, read_station_registry(PLAN / "stations.csv"), actor="test")
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
        office = Principal("campaign-office", "campaign_office")
        for area, unit in (("410183100", "hbj"), ("410183101", "zjj")):
            record_case(
                session,
                office,
                CaseDraft(
                    source="inspection_team",
                    title=f"扬尘 walk case {area}",
                    area_code=area,
                    unit_code=unit,
                    deadline=now + timedelta(days=5),
                ),
                now,
                evidence=[EvidenceFile("photo.jpg", b"\xff\xd8 walk evidence")],
                data_dir=data_dir,
            )
    # The default plan with its sample progress reports (one of them carries evidence).
    load_sample_progress(sessions, PLAN, data_dir)
    # The sample inventory and its least-cost reduction list, put in force (list 1).
    with transaction(sessions) as session:
        load_emission_demo(session, PLAN)
    # A scattered-polluting firm in 城关镇 (entry 1) and one in 米村镇 (entry 2), each checked with
    # a photo (files 1 and 2).
    with transaction(sessions) as session:
        add_walk_register_entries(session, data_dir)
    return create_app(Settings(data_dir=data_dir), db_engine), roles


def add_walk_register_entries(session: Session, data_dir: Path) -> None:
    office = Principal("campaign-office", "campaign_office")
    rows = "\n".join(
        [
            "编号,名称,乡镇代码,责任单位代码,完成时限,处置类别",
            "SLW-WALK-1,城关镇走查厂,410183100,hbj,2030-09-30,取缔",
            "SLW-WALK-2,米村镇走查厂,410183101,zjj,2030-09-30,取缔",
        ]
    ).encode("utf-8")
    store = FileStore(data_dir)
    plan = default_plan()
    sources.import_register(session, office, SCATTERED, rows, "walk.csv", plan=plan, store=store)
    for record_id in (1, 2):
        sources.record_check(
            session, office, SCATTERED, record_id,
            sources.CheckInput(items={"idle": "pass"}),
            files=[sources.UploadedFile("site.jpg", b"\xff\xd8 walk photo")], store=store,
        )  # fmt: skip


@pytest.fixture
def app_and_roles(db_engine: Engine, tmp_path: Path) -> tuple[FastAPI, list[str]]:
    return build_walk_app(db_engine, tmp_path)


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
    listed = [(method, urlsplit(target.split(" ")[0]).path) for method, target, _ in rows]
    endpoints = list(_endpoints(list(app.routes)))
    # …and no row of the table names a route the application no longer has.
    served = [(m, _pattern(e.path)) for e in endpoints for m in (e.methods or set())]
    for method, path in listed:
        assert any(m == method and pattern.match(path) for m, pattern in served), (
            f"docs/access.md lists {method} {path}, which the application does not serve"
        )
    for route in endpoints:
        for method in sorted((route.methods or set()) - {"HEAD"}):
            pattern = _pattern(route.path)
            assert any(m == method and pattern.match(p) for m, p in listed), (
                f"{method} {route.path} is missing from the table in docs/access.md"
            )


def walk(app: FastAPI, roles: list[str]) -> dict[tuple[str, str], dict[str, int]]:
    """Sign in as each role and request every row of the table: (method, target) → role → status."""
    _roles, rows = read_table()
    answers: dict[tuple[str, str], dict[str, int]] = {}
    for role in roles:
        client = TestClient(app)
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
        for method, target, _expected in rows:
            if method == "GET":
                got = client.get(target, follow_redirects=False).status_code
            else:
                path, _, body = target.partition(" ")
                form = {"csrf": csrf, **dict(parse_qsl(body, keep_blank_values=True))}
                # JSON endpoints take the session's token in a header instead of the form.
                headers = {"X-CSRF-Token": csrf}
                got = client.request(
                    method, path, data=form, headers=headers, follow_redirects=False
                ).status_code
            answers.setdefault((method, target), {})[role] = got
    return answers


def test_every_role_gets_the_documented_answer(app_and_roles: tuple[FastAPI, list[str]]) -> None:
    app, roles = app_and_roles
    _roles, rows = read_table()
    answers = walk(app, roles)
    mismatches = [
        f"{role}: {method} {target} → {answers[(method, target)][role]}, table says {expected[role]}"
        for method, target, expected in rows
        for role in roles
        if answers[(method, target)][role] != expected[role]
    ]
    assert not mismatches, "\n".join(mismatches)


CSRF_REFUSAL = re.compile(r"表单令牌|CSRF")


def test_every_state_change_refuses_a_request_without_its_csrf_token(
    app_and_roles: tuple[FastAPI, list[str]],
) -> None:
    """Issue 20: every POST/PUT/PATCH/DELETE of the table — pages and the JSON API alike — sent
    with a signed-in session but without the session's CSRF token, or with another session's, is
    refused with the CSRF error (403) before it does anything. Requests with an API token
    (``Authorization: Bearer``) need none by design: no cookie rides along with them, so no other
    site can make a browser send one. ``POST /login`` has no session yet: its double-submit token
    is proved in tests/web/test_signin.py."""
    app, roles = app_and_roles
    _roles, rows = read_table()
    clients: dict[str, tuple[TestClient, str]] = {}
    for role in roles:
        if role == "public":
            continue
        client = TestClient(app)
        login = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]*)"', login.text)
        assert token
        client.post(
            "/login",
            data={"username": role.replace("_", "-"), "password": PASSWORD, "csrf": token.group(1)},
            follow_redirects=False,
        )
        found = re.search(r'name="csrf" value="([^"]*)"', client.get("/account").text)
        clients[role] = (client, found.group(1) if found else "")
    other_sessions_token = clients["administrator"][1]
    writes = [(m, t, e) for m, t, e in rows if m != "GET" and not t.startswith("/login")]
    assert len(writes) > 50
    unguarded = []
    for method, target, expected in writes:
        # The role the table lets furthest (the one that does not get 403), else the administrator.
        role = next((r for r in roles if r in clients and expected[r] != 403), "administrator")
        client, own_token = clients[role]
        path, _, body = target.partition(" ")
        form = dict(parse_qsl(body, keep_blank_values=True))
        for token in ("", other_sessions_token if role != "administrator" else own_token[::-1]):
            headers = {"X-CSRF-Token": token} if token else {}
            answer = client.request(
                method, path, data={**form, "csrf": token}, headers=headers, follow_redirects=False
            )
            if answer.status_code != 403 or not CSRF_REFUSAL.search(answer.text):
                unguarded.append(f"{role}: {method} {target} → {answer.status_code}")
    assert not unguarded, "\n".join(unguarded)
