"""The same refusal is the same kind on every face: a record looked up by a key that does not exist
is ``NotFound`` (404 on the page and the API, exit code 3 on the command line), a duplicate or a
step the stored state forbids is ``Conflict`` (409, exit code 5) — decided by the service, never by
a face reading the message.
"""

from __future__ import annotations

import html
import io
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lantian.auth import passwords
from lantian.auth.models import AuditEntry
from lantian.auth.service import add_user, create_token, get_user
from lantian.cli import run
from lantian.config import Settings, get_settings
from lantian.db.engine import session_factory, transaction
from lantian.errors import Conflict, NotFound, ServiceError
from lantian.scheduler.service import JobBusy
from lantian.supervision.service import get_case
from lantian.web.app import create_app
from lantian.web.i18n import localize

pytestmark = pytest.mark.db
PASSWORD = "灰霾退散-2017-blue"
MISSING_CASE = 987654


@pytest.fixture(autouse=True)
def fast_hashes() -> Iterator[None]:
    with passwords.using_hasher(
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    ):
        yield


class Admin:
    """The administrator ``admin`` on the page (signed in), the API (a token) and the CLI."""

    def __init__(self, engine: Engine, tmp_path: Path) -> None:
        self.sessions = session_factory(engine)
        with transaction(self.sessions) as session:
            add_user(session, username="admin", role="administrator", password=PASSWORD,
                     actor="test")  # fmt: skip
            _row, self.token = create_token(session, "admin", "kinds", actor="test")
        self.client = TestClient(create_app(Settings(data_dir=tmp_path), engine))
        login = self.client.get("/login")
        found = re.search(r'name="csrf" value="([^"]*)"', login.text)
        assert found
        signed_in = self.client.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "csrf": found.group(1)},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        found = re.search(r'name="csrf" value="([^"]*)"', self.client.get("/account").text)
        assert found
        self.csrf = found.group(1)

    def post(self, path: str, **fields: str) -> tuple[int, str]:
        answer = self.client.post(path, data={"csrf": self.csrf, **fields}, follow_redirects=False)
        return answer.status_code, html.unescape(answer.text)

    def api(self, path: str) -> tuple[int, dict[str, object]]:
        answer = self.client.get(path, headers={"Authorization": f"Bearer {self.token}"})
        return answer.status_code, answer.json()

    def cli(
        self, capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None
    ) -> tuple[int, str]:
        capsys.readouterr()
        if stdin is not None:
            saved = sys.stdin
            sys.stdin = io.StringIO(stdin)
            try:
                exit_code = run(list(args))
            finally:
                sys.stdin = saved
        else:
            exit_code = run(list(args))
        return exit_code, " ".join(capsys.readouterr().err.split())

    def audit_count(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.fixture
def admin(
    db_engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Admin]:
    monkeypatch.setenv("LANTIAN_DATABASE_URL", db_url)
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "400")  # one line per message on stderr
    get_settings.cache_clear()
    yield Admin(db_engine, tmp_path)
    get_settings.cache_clear()


def _raised(admin: Admin, call: Callable[[Session], object]) -> ServiceError:
    """What the service itself says (nothing is written)."""
    with pytest.raises(ServiceError) as caught, admin.sessions() as session:
        call(session)
    return caught.value


def test_an_unknown_case_is_not_found_on_the_page_the_api_and_the_cli(
    admin: Admin, capsys: pytest.CaptureFixture[str]
) -> None:
    error = _raised(admin, lambda session: get_case(session, MISSING_CASE))
    assert type(error) is NotFound

    page_status = admin.client.get(f"/cases/{MISSING_CASE}").status_code
    api_status, body = admin.api(f"/api/v1/cases/{MISSING_CASE}")
    assert (page_status, api_status) == (404, 404)
    assert isinstance(body["error"], dict) and body["error"]["code"] == "not_found"

    # Taking a step of it: the service's own lookup, the same kind.
    exit_code, err = admin.cli(capsys, "cases", "step", str(MISSING_CASE), "accept")
    assert exit_code == 3 and error.message in err
    exit_code, _err = admin.cli(capsys, "cases", "show", str(MISSING_CASE))
    assert exit_code == 3


def test_an_unknown_user_is_not_found_on_the_page_and_the_cli(
    admin: Admin, capsys: pytest.CaptureFixture[str]
) -> None:
    error = _raised(admin, lambda session: get_user(session, "nobody"))
    assert type(error) is NotFound
    before = admin.audit_count()

    status, text = admin.post("/admin/users/nobody/reset", reason="walk")
    # The page speaks its language (Chinese) only; the command line both (issue 14).
    assert status == 404 and localize(error.message, "zh") in text
    assert localize(error.message, "en") not in text
    exit_code, err = admin.cli(capsys, "users", "reset-password", "nobody")
    assert exit_code == 3 and error.message in err
    exit_code, err = admin.cli(capsys, "tokens", "revoke", "feedfacecafe")
    assert exit_code == 3 and "no token feedfacecafe" in err
    assert admin.audit_count() == before


def test_an_unknown_job_is_not_found_and_a_busy_one_is_a_conflict(
    admin: Admin, capsys: pytest.CaptureFixture[str]
) -> None:
    status, text = admin.post("/admin/jobs/no.such.job/run")
    assert status == 404 and "没有任务 'no.such.job'" in text and "no job" not in text
    exit_code, err = admin.cli(capsys, "jobs", "run", "no.such.job")
    assert exit_code == 3 and "no job 'no.such.job'" in err
    # Another process holding the lease is a clash with stored state, not bad input.
    assert issubclass(JobBusy, Conflict) and JobBusy.http_status == 409 and JobBusy.exit_code == 5


def test_a_duplicate_user_is_a_conflict_on_the_page_and_the_cli(
    admin: Admin, capsys: pytest.CaptureFixture[str]
) -> None:
    error = _raised(
        admin,
        lambda session: add_user(
            session, username="admin", role="leader", password=PASSWORD, actor="test"
        ),
    )
    assert type(error) is Conflict and error.field == "username"
    before = admin.audit_count()

    status, text = admin.post("/admin/users", username="admin", role="leader")
    assert status == 409 and localize(error.message, "zh") in text
    assert localize(error.message, "en") not in text
    exit_code, err = admin.cli(
        capsys, "users", "add", "admin", "--role", "leader", "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )  # fmt: skip
    assert exit_code == 5 and error.message in err
    assert admin.audit_count() == before


def test_issuing_a_second_warning_is_a_conflict_shown_on_the_warnings_page(admin: Admin) -> None:
    fields = {"action": "issue", "level": "blue", "areas": "410183100", "reason": "演练 drill"}
    assert admin.post("/office/warnings/decide", **fields)[0] == 303
    before = admin.audit_count()
    status, text = admin.post("/office/warnings/decide", **fields)
    # The office's page again (not an error page), with the reason, answered 409.
    assert status == 409 and "已有蓝色预警在执行，请用升级/降级/解除" in text
    assert 'action="/office/warnings/decide"' in text
    assert admin.audit_count() == before


def test_a_refused_warning_decision_keeps_what_was_typed(admin: Admin) -> None:
    """Issuing without a level: 422, the problem beside the level, the reason and areas kept."""
    fields = {"action": "issue", "level": "", "areas": "410183101", "reason": "预报明日重污染"}
    before = admin.audit_count()
    status, text = admin.post("/office/warnings/decide", **fields)
    assert status == 422 and admin.audit_count() == before
    assert 'data-error-for="level"' in text and "预报明日重污染</textarea>" in text
    assert re.search(r'value="410183101" checked', text)
    assert not re.search(r'value="410183100" checked', text)  # unchecked stays unchecked
