"""The administrator's jobs page: who sees it, who may run a job now, and the run it records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lantian.auth import passwords
from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.scheduler.models import JobRun
from lantian.scheduler.registry import all_jobs
from lantian.web.app import create_app

pytestmark = pytest.mark.db

PASSWORD = "灰霾退散-2017-blue"
ROLES = {"admin": "administrator", "office": "campaign_office", "leader": "leader",
         "inspector": "inspector"}  # fmt: skip


@pytest.fixture(autouse=True)
def fast_hashes() -> Iterator[None]:
    with passwords.using_hasher(
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    ):
        yield


@pytest.fixture
def app(db_engine: Engine, tmp_path: Path) -> FastAPI:
    with transaction(session_factory(db_engine)) as session:
        for username, role in ROLES.items():
            add_user(session, username=username, role=role, password=PASSWORD, actor="test")
    return create_app(Settings(data_dir=tmp_path), db_engine)


def signed_in(app: FastAPI, username: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    token = re.search(r'name="csrf" value="([^"]*)"', client.get("/login").text)
    assert token
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    found = re.search(r'name="csrf" value="([^"]*)"', client.get("/account").text)
    assert found
    return client, found.group(1)


def manual_runs(app: FastAPI) -> list[JobRun]:
    with app.state.sessions() as session:
        return list(session.scalars(select(JobRun).where(JobRun.cause == "manual")))


def test_the_page_lists_every_job_and_only_the_administrator_may_run_one(app: FastAPI) -> None:
    admin, admin_csrf = signed_in(app, "admin")
    page = admin.get("/admin/jobs")
    assert page.status_code == 200
    for job in all_jobs():
        assert f'data-job="{job.name}"' in page.text and job.description_zh in page.text
    assert "尚未运行" in page.text and 'action="/admin/jobs/audit.verify/run"' in page.text
    for reader in ("office", "leader"):
        client, csrf = signed_in(app, reader)
        shown = client.get("/admin/jobs")
        assert shown.status_code == 200 and 'data-job="cases.escalate"' in shown.text
        assert "/run" not in shown.text  # read-only: no run button
        refused = client.post("/admin/jobs/audit.verify/run", data={"csrf": csrf})
        assert refused.status_code == 403
    inspector, csrf = signed_in(app, "inspector")
    assert inspector.get("/admin/jobs").status_code == 403
    assert inspector.post("/admin/jobs/audit.verify/run", data={"csrf": csrf}).status_code == 403
    assert TestClient(app).get("/admin/jobs", follow_redirects=False).status_code == 303
    assert manual_runs(app) == []
    # The administrator without the form token is refused too.
    assert admin.post("/admin/jobs/audit.verify/run", data={"csrf": "x"}).status_code == 403
    ran = admin.post("/admin/jobs/audit.verify/run", data={"csrf": admin_csrf})
    assert ran.status_code == 200 and 'id="job-result"' in ran.text
    assert "审计链完整" in ran.text
    [run] = manual_runs(app)
    assert (run.job_name, run.triggered_by, run.outcome) == ("audit.verify", "admin", "succeeded")
    after = admin.get("/admin/jobs").text
    row = after.split('data-job="audit.verify"')[1].split("</tr>")[0]
    assert "成功" in row and "admin" in row
    missing = admin.post("/admin/jobs/no.such/run", data={"csrf": admin_csrf})
    assert missing.status_code == 404
