"""`lantian users …`, `lantian tokens …`, `lantian audit …`: accounts, API tokens and the audit log.

Changes made here are audited like any other; the actor is ``cli:<OS user>`` (who ran the
command on the server) unless ``--by NAME`` says on whose behalf.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from lantian.auth import audit, service
from lantian.auth.models import ROLES
from lantian.db.base import utc_now
from lantian.db.engine import transaction
from lantian.db_cli import current_sessions as _sessions
from lantian.errors import InputError
from lantian.timeutil import to_china

users_app = typer.Typer(help="用户账户 / user accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="API 令牌 / API tokens for machine clients.", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志 / the audit log.", no_args_is_help=True)
console = Console()

BY_OPTION = typer.Option(None, "--by", help="on whose behalf (default: cli:<OS user>)")
REASON_OPTION = typer.Option(None, "--reason", help="why (kept in the audit log)")


def cli_actor(by: str | None) -> str:
    """``--by`` if given, else ``cli:<OS user>``."""
    if by and by.strip():
        return by.strip()
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        name = f"uid{os.getuid()}"
    return f"cli:{name}"


def _read_new_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise InputError("标准输入没有密码 / no password on standard input")
        return line.rstrip("\r\n")
    return str(
        typer.prompt("密码 / password", hide_input=True, confirmation_prompt="再次输入 / repeat")
    )


@users_app.command("add")
def add_user(
    username: str = typer.Argument(..., help="login name (lower case)"),
    role: str = typer.Option(..., "--role", help=f"one of: {', '.join(ROLES)}"),
    scope: str | None = typer.Option(
        None, "--scope", help="unit code (unit role) or area code (township role)"
    ),
    name: str | None = typer.Option(None, "--name", help="显示名 / display name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from standard input (for scripts)"
    ),
    must_change: bool = typer.Option(
        False, "--must-change-password", help="ask for a new password at first sign-in"
    ),
    by: str | None = BY_OPTION,
) -> None:
    """添加用户 / Add an account (the password is asked twice, hidden)."""
    service.check_new_account(username, role, scope, name)  # before asking for a password
    password = _read_new_password(password_stdin)
    with transaction(_sessions()) as session:
        user = service.add_user(
            session,
            username=username,
            role=role,
            password=password,
            actor=cli_actor(by),
            scope=scope,
            display_name=name,
            must_change_password=must_change,
        )
        scope_text = f" ({user.scope})" if user.scope else ""
    console.print(f"[green]✓[/green] 已添加 added {user.username}: {user.role}{scope_text}")


def _state(active: bool, locked_until: Any) -> str:
    if not active:
        return "[red]停用 disabled[/red]"
    if locked_until is not None and locked_until > utc_now():
        return f"[yellow]锁定至 locked until {to_china(locked_until):%H:%M}[/yellow]"
    return "[green]正常 active[/green]"


@users_app.command("list")
def list_users() -> None:
    """列出用户 / List the accounts."""
    with _sessions()() as session:
        users = service.list_users(session)
    table = Table(
        "用户名 username",
        "显示名 name",
        "角色 role",
        "范围 scope",
        "状态 state",
        "须改密码 must change",
        "创建 created (UTC+8)",
        title=f"用户 / users ({len(users)})",
    )
    for user in users:
        table.add_row(
            user.username,
            user.display_name,
            user.role,
            user.scope or "",
            _state(user.active, user.locked_until),
            "✓" if user.must_change_password else "",
            f"{to_china(user.created_at):%Y-%m-%d %H:%M}",
        )
    console.print(table)


def _set_active(username: str, active: bool, by: str | None, reason: str | None) -> None:
    with transaction(_sessions()) as session:
        user = service.set_active(session, username, active, actor=cli_actor(by), reason=reason)
    state = "已启用 enabled" if user.active else "已停用 disabled"
    console.print(f"[green]✓[/green] {user.username} {state}")


@users_app.command("disable")
def disable_user(
    username: str = typer.Argument(...),
    by: str | None = BY_OPTION,
    reason: str | None = REASON_OPTION,
) -> None:
    """停用账户（并结束其会话）/ Disable an account and end its sessions."""
    _set_active(username, False, by, reason)


@users_app.command("enable")
def enable_user(
    username: str = typer.Argument(...),
    by: str | None = BY_OPTION,
    reason: str | None = REASON_OPTION,
) -> None:
    """启用账户 / Enable an account again."""
    _set_active(username, True, by, reason)


@users_app.command("reset-password")
def reset_password(
    username: str = typer.Argument(...),
    by: str | None = BY_OPTION,
    reason: str | None = REASON_OPTION,
) -> None:
    """重置密码（显示一次临时密码）/ Reset to a temporary password, shown once."""
    with transaction(_sessions()) as session:
        temporary = service.reset_password(session, username, actor=cli_actor(by), reason=reason)
    console.print(f"临时密码 / temporary password for {service.normalise_username(username)}:")
    # Plain print: Rich could wrap or colour it, and it must be copied exactly.
    print(temporary)
    console.print(
        "仅显示这一次；用户登录后须立即修改 / shown only now; the user must change it at sign-in"
    )


@users_app.command("unlock")
def unlock_user(
    username: str = typer.Argument(...),
    by: str | None = BY_OPTION,
    reason: str | None = REASON_OPTION,
) -> None:
    """解除登录锁定 / End an account's sign-in lock now (audited)."""
    with transaction(_sessions()) as session:
        user = service.unlock(session, username, actor=cli_actor(by), reason=reason)
    console.print(f"[green]✓[/green] {user.username} 已解锁 unlocked")


@tokens_app.command("create")
def create_token(
    username: str = typer.Argument(..., help="the account the token acts as"),
    name: str = typer.Option(..., "--name", help="what the token is for"),
    by: str | None = BY_OPTION,
) -> None:
    """创建 API 令牌（只显示一次）/ Create an API token; the secret is shown once."""
    with transaction(_sessions()) as session:
        row, token = service.create_token(session, username, name, actor=cli_actor(by))
        prefix = row.prefix
    console.print(f"令牌 / token {prefix} for {service.normalise_username(username)}:")
    print(token)
    console.print("仅显示这一次，请妥善保存 / shown only now: store it safely")


@tokens_app.command("list")
def list_tokens(username: str | None = typer.Argument(None, help="only this account's")) -> None:
    """列出令牌（不含密钥）/ List tokens (never their secrets)."""
    with _sessions()() as session:
        rows = service.list_tokens(session, username)
    table = Table(
        "前缀 prefix",
        "用户 user",
        "名称 name",
        "创建 created",
        "最近使用 last used",
        "状态 state",
        title="API 令牌 / tokens",
    )
    for token, owner in rows:
        table.add_row(
            token.prefix,
            owner,
            token.name,
            f"{to_china(token.created_at):%Y-%m-%d %H:%M}",
            f"{to_china(token.last_used_at):%Y-%m-%d %H:%M}" if token.last_used_at else "",
            "[red]已吊销 revoked[/red]" if token.revoked_at else "[green]有效 valid[/green]",
        )
    console.print(table)


@tokens_app.command("revoke")
def revoke_token(
    prefix: str = typer.Argument(..., help="the token's prefix (tokens list)"),
    by: str | None = BY_OPTION,
    reason: str | None = REASON_OPTION,
) -> None:
    """吊销令牌 / Revoke a token."""
    with transaction(_sessions()) as session:
        service.revoke_token(session, prefix, actor=cli_actor(by), reason=reason)
    console.print(f"[green]✓[/green] 已吊销 revoked {prefix}")


def _parse_checkpoint(text: str) -> tuple[int, str]:
    entry_id, _, digest = text.partition(":")
    if not entry_id.isdigit() or len(digest) != 64:
        raise InputError(f"检查点 {text!r} 应为 ID:HASH / a checkpoint is ID:HASH (64 hex digits)")
    return int(entry_id), digest.lower()


@audit_app.command("verify")
def verify(
    checkpoint: list[str] | None = typer.Option(
        None, "--checkpoint", help="ID:HASH of a head kept outside the database (repeatable)"
    ),
) -> None:
    """校验审计链 / Recompute the hash chain; exit 1 at the first broken entry."""
    checkpoints = dict(_parse_checkpoint(item) for item in checkpoint or [])
    with _sessions()() as session:
        result = audit.verify(session, checkpoints)
    if result.broken is None:
        entries = f"{result.entries} {'entry' if result.entries == 1 else 'entries'}"
        console.print(f"[green]审计链完整 / chain intact, {entries}[/green]")
        if result.head_id is not None:
            console.print(f"head: {result.head_id}:{result.head_hash}")
        return
    where = f"entry {result.broken.entry_id}" if result.broken.entry_id else "the anchor"
    console.print(
        f"[red]审计链已被破坏 / chain broken at {where} ({result.broken.kind}): "
        f"{result.broken.detail}[/red]"
    )
    console.print(f"{result.entries} entries verified before the break")
    raise typer.Exit(1)


def _compact(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@audit_app.command("show")
def show(limit: int = typer.Option(20, "--limit", min=1, help="how many, newest first")) -> None:
    """显示最近的审计记录 / Show the newest audit entries."""
    with _sessions()() as session:
        entries = audit.newest(session, limit)
    table = Table(
        "#",
        "时间 at (UTC+8)",
        "操作人 actor",
        "操作 action",
        "对象 entity",
        "修改前 before",
        "修改后 after",
        "理由 reason",
        title="审计日志 / audit log",
    )
    for entry in entries:
        table.add_row(
            str(entry.id),
            f"{to_china(entry.at):%Y-%m-%d %H:%M:%S}",
            entry.actor,
            entry.action,
            f"{entry.entity_type} {entry.entity_id}",
            _compact(entry.before),
            _compact(entry.after),
            entry.reason or "",
        )
    console.print(table)
