"""`lantian db …`: create, upgrade and inspect the database schema."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lantian.config import get_settings
from lantian.db import migrate
from lantian.db.engine import create_db_engine, session_factory

db_app = typer.Typer(help="数据库 / database schema and migrations.", no_args_is_help=True)
console = Console()


def require_current_schema(engine: Engine) -> None:
    """Stop with a clear message (exit 2) unless the database schema is the newest."""
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current != head:
        console.print(
            f"[red]数据库结构不是最新 ({current or '空 empty'} ≠ {head})；请先运行 `lantian db upgrade`。\n"
            "The database schema is not the newest; run `lantian db upgrade` first.[/red]"
        )
        raise typer.Exit(2)


def current_sessions() -> sessionmaker[Session]:
    """Sessions on the configured database, once its schema is found current (for commands)."""
    engine = create_db_engine(get_settings().effective_database_url)
    require_current_schema(engine)
    return session_factory(engine)


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """创建或升级数据库 / Create or upgrade the database to the newest schema."""
    settings = get_settings()
    settings.ensure_data_dir()
    engine = create_db_engine(settings.effective_database_url)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision)
    after = migrate.current_revision(engine)
    engine.dispose()
    if before == after:
        console.print(f"[green]数据库已是最新 / database already at {after}[/green]")
    else:
        console.print(
            f"[green]数据库已升级 / database upgraded: {before or '(empty)'} → {after}[/green]"
        )


@db_app.command("current")
def current() -> None:
    """显示数据库版本 / Show the schema revision of the database and the newest one."""
    engine = create_db_engine(get_settings().effective_database_url)
    console.print(f"current: {migrate.current_revision(engine) or '(empty)'}")
    console.print(f"head:    {migrate.head_revision()}")
    engine.dispose()


@db_app.command("revision")
def revision(message: str = typer.Option(..., "-m", "--message")) -> None:
    """(开发者) 由模型生成迁移 / (developers) autogenerate a migration from the models."""
    engine = create_db_engine(get_settings().effective_database_url)
    migrate.make_revision(engine, message)
    engine.dispose()


# --- backups (lantian.db.backup) ----------------------------------------------------------------


def _print_report(report: object) -> None:
    from lantian.db.backup import VerifyReport

    assert isinstance(report, VerifyReport)
    if report.ok:
        console.print(
            f"[green]校验通过 / verified: {report.files_checked} files ({report.bytes_checked} "
            f"bytes) match their SHA-256; {report.tables_checked} tables hold the recorded rows; "
            f"audit chain intact ({report.audit_entries} entries, head {report.audit_head_hash})"
            "[/green]"
        )
        return
    console.print("[red]校验失败 / verification FAILED:[/red]")
    for problem in report.problems:
        console.print(f"[red]  - {problem}[/red]", soft_wrap=True)


def _fail(error: Exception) -> typer.Exit:
    from lantian.errors import ServiceError

    console.print(f"[red]{error}[/red]", soft_wrap=True)
    return typer.Exit(error.exit_code if isinstance(error, ServiceError) else 1)


@db_app.command("backup")
def backup(
    out: Path = typer.Argument(..., help="the backup file to write (a .tar)"),
    verify: bool = typer.Option(False, "--verify", help="check the written backup whole"),
) -> None:
    """备份数据库与文件 / Back up the database and the kept files into one archive (online)."""
    from lantian.db import backup as backups
    from lantian.errors import ServiceError

    settings = get_settings()
    url = settings.effective_database_url
    try:
        result = backups.make_backup(url, settings.data_dir, out)
    except ServiceError as error:
        raise _fail(error) from error
    facts = backups.describe(result.manifest)
    console.print(
        f"[green]备份完成 / backup written: {result.path}[/green]\n"
        f"  {facts['backend']}, revision {facts['revision']}, {facts['tables']} tables, "
        f"{facts['rows']} rows, {facts['files']} files\n"
        f"  audit head (keep it outside): {facts['audit_head'][0]}:{facts['audit_head'][1]}\n"
        f"  backup SHA-256: {result.sha256}",
        soft_wrap=True,
    )
    if verify:
        _verify(result.path, url)


def _verify(path: Path, url: str) -> None:
    from lantian.db import backup as backups
    from lantian.errors import ServiceError

    try:
        report = backups.verify_backup(path, scratch_url=url)
    except ServiceError as error:
        raise _fail(error) from error
    _print_report(report)
    if not report.ok:
        raise typer.Exit(3)


@db_app.command("verify-backup")
def verify_backup(path: Path = typer.Argument(..., help="the backup file")) -> None:
    """校验备份 / Check a backup: every file's hash, the database's rows and its audit chain.

    A PostgreSQL backup is loaded into a temporary database on the configured server."""
    _verify(path, get_settings().effective_database_url)


@db_app.command("restore")
def restore(
    path: Path = typer.Argument(..., help="the backup file"),
    force: bool = typer.Option(
        False, "--force", help="overwrite a database that holds rows and differing files"
    ),
) -> None:
    """恢复备份 / Restore a backup into the configured (empty) database and data folder, then
    verify what was restored."""
    from lantian.db import backup as backups
    from lantian.errors import ServiceError

    settings = get_settings()
    try:
        result = backups.restore_backup(
            path, settings.effective_database_url, settings.data_dir, force=force
        )
    except ServiceError as error:
        raise _fail(error) from error
    facts = backups.describe(result.manifest)
    console.print(
        f"[green]恢复完成 / restored {facts['backend']} backup of {facts['created_at']}: "
        f"revision {facts['revision']}, {facts['rows']} rows, {result.files_written} files[/green]"
    )
    _print_report(result.report)
    if facts["revision"] != migrate.head_revision():
        console.print(
            f"[yellow]备份的数据库结构较旧，请运行 `lantian db upgrade` / the backup's schema is "
            f"{facts['revision']}, this lantian's is {migrate.head_revision()}: run `lantian db "
            "upgrade`[/yellow]"
        )
