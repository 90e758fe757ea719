"""`lantian users|tokens|audit`, driven through the real command line (in process and as a process)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from lantian.cli import app
from lantian.config import get_settings
from lantian.errors import InputError
from tests.auth.test_audit import tamper
from tests.support.cli import run_lantian

PASSWORD = "新密市蓝天保卫战-2017"


def test_users_tokens_and_audit(lantian: Callable[..., Result], db_engine: Engine) -> None:
    run = lantian
    added = run("users", "add", "admin", "--role", "administrator", "--name", "管理员",
                input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output  # the prompt hides what is typed
    mismatch = run("users", "add", "lisi", "--role", "leader", input=f"{PASSWORD}\nother\n" * 3)
    assert mismatch.exit_code != 0
    scoped = run("users", "add", "quliang", "--role", "township", "--scope", "410183100",
                 "--password-stdin", "--by", "admin", input=f"{PASSWORD}\n")  # fmt: skip
    assert scoped.exit_code == 0, scoped.output
    unscoped = run("users", "add", "chengguan", "--role", "township", "--password-stdin",
                   input=f"{PASSWORD}\n")  # fmt: skip
    assert isinstance(unscoped.exception, InputError) and "scope" in str(unscoped.exception)
    asked = run("users", "add", "chengguan", "--role", "township", input=f"{PASSWORD}\n" * 2)
    assert "password" not in asked.output  # refused before the password is asked

    listed = run("users", "list")
    assert listed.exit_code == 0
    assert "quliang" in listed.output and "410183100" in listed.output and "管理员" in listed.output
    assert "argon2" not in listed.output

    reset = run("users", "reset-password", "quliang", "--reason", "忘记密码")
    assert reset.exit_code == 0, reset.output
    temporary = reset.output.splitlines()[1].strip()
    assert len(temporary) == 16
    assert run("users", "disable", "quliang").exit_code == 0
    assert "停用 disabled" in run("users", "list").output

    token = run("tokens", "create", "admin", "--name", "报表系统")
    assert token.exit_code == 0, token.output
    secret = token.output.splitlines()[1].strip()
    assert secret.startswith("lt_")
    tokens = run("tokens", "list")
    assert "报表系统" in tokens.output and secret not in tokens.output
    prefix = secret.split("_")[1]
    assert run("tokens", "revoke", prefix, "--reason", "停用").exit_code == 0
    assert "revoked" in run("tokens", "list", "admin").output

    shown = run("audit", "show", "--limit", "10")
    assert shown.exit_code == 0
    for action in (
        "user.add",
        "user.password_reset",
        "user.disable",
        "token.create",
        "token.revoke",
    ):
        assert action in shown.output
    assert "cli:" in shown.output and "忘记密码" in shown.output
    assert temporary not in shown.output and secret not in shown.output

    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "chain intact, 6 entries" in verified.output
    head = verified.output.split("head: ")[1].split()[0]
    assert run("audit", "verify", "--checkpoint", head).exit_code == 0

    tamper(db_engine, "UPDATE audit_log SET reason = '按规定' WHERE id = 3")
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert "entry 3" in broken.output and "edited" in broken.output


def test_unmigrated_database_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANTIAN_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "lantian db upgrade" in result.output


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_as_a_process_with_production_hashes(db_url: str, tmp_path: Path) -> None:
    """The installed command, as an administrator scripts it: real argon2 parameters, exit codes."""

    def lantian(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return run_lantian(args, tmp_path, stdin=stdin, timeout=60, LANTIAN_DATABASE_URL=db_url)

    added = lantian("users", "add", "admin", "--role", "administrator", "--password-stdin",
                    stdin=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    weak = lantian("users", "add", "lisi", "--role", "leader", "--password-stdin", stdin="lisi\n")
    assert (
        weak.returncode == 1
        and "至少需要 10 个字符" in weak.stderr
        and "10 characters" in weak.stderr
    )
    verified = lantian("audit", "verify")
    assert verified.returncode == 0 and "chain intact, 1 entry" in verified.stdout

    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users")).scalar_one()
    engine.dispose()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_users_unlock_ends_a_lock_and_is_audited(
    lantian: Callable[..., Result], db_engine: Engine
) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from lantian import clock
    from lantian.auth import service
    from lantian.auth.models import AuditEntry, User
    from lantian.db.engine import session_factory, transaction

    added = lantian("users", "add", "quliang", "--role", "township", "--scope", "410183100",
                    "--password-stdin", input=f"{PASSWORD}\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    sessions = session_factory(db_engine)
    now = clock.now()
    for _ in range(service.MAX_FAILED_LOGINS):
        with transaction(sessions) as session:
            last = service.authenticate(session, "quliang", "wrong-password!", now)
    assert last.outcome is service.LoginOutcome.LOCKED
    assert "锁定至 locked until" in lantian("users", "list").output
    unlocked = lantian("users", "unlock", "quliang", "--reason", "本人确认")
    assert unlocked.exit_code == 0, unlocked.output
    with transaction(sessions) as session:
        assert service.authenticate(session, "quliang", PASSWORD, now + timedelta(seconds=1)).ok
    again = lantian("users", "unlock", "quliang")  # nothing locked: nothing recorded
    assert again.exit_code == 0
    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "quliang")).one()
        assert (user.failed_logins, user.locked_until) == (0, None)
        entries = list(
            session.scalars(select(AuditEntry).where(AuditEntry.action == "user.unlock"))
        )
    assert len(entries) == 1 and entries[0].reason == "本人确认"
    assert entries[0].actor.startswith("cli:") and entries[0].after["locked_until"] is None
    assert lantian("audit", "verify").exit_code == 0
