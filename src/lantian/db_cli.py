"""`lantian db …`: create, upgrade and inspect the database schema."""

from __future__ import annotations

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
