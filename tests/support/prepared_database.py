"""Databases filled once per test process and backend, each test getting its own copy.

Some tests read the same costly data (four national daily files imported, ≈ half a minute per
backend on a busy machine) and used to load it each for itself. ``prepared_database`` (the
fixture, tests/conftest.py) fills a copy of the migrated template once per process, backend and
key with a loader, and gives every test that asks a fresh copy of the filled database: a file
copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL. What one test writes no other
test sees, as with ``db_url``.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

#: Fills the database at the URL, with a data folder of its own; runs once per process and backend.
Loader = Callable[[str, Path], None]


@dataclass
class PreparedDatabases:
    """This process's filled databases of one backend: key → the filled database (a SQLite file,
    a PostgreSQL database's name). On PostgreSQL the fixture holding it depends on the server's,
    so that it is closed (its databases dropped) before the server stops."""

    root: Path
    worker: str
    #: SQLite: the migrated template file.
    sqlite_template: Path | None = None
    #: PostgreSQL: the server's admin URL and the migrated template database's name.
    postgres: tuple[str, str] | None = None
    filled: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def copy(self, key: str, load: Loader, target: Path) -> Iterator[str]:
        """The URL of a new copy of the database ``load`` filled once (SQLite: the file
        ``target``), thrown away afterwards."""
        if self.sqlite_template is not None:
            yield self._sqlite_copy(key, self.sqlite_template, load, target)
            return
        assert self.postgres is not None
        admin_url, template = self.postgres
        filled = self.filled.get(key)
        if filled is None:
            name = f"prepared_{_safe(key)}_{self.worker}"
            _admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            _admin(admin_url, f"CREATE DATABASE {name} TEMPLATE {template}")
            load(_url(admin_url, name), self._folder(key))
            filled = self.filled[key] = name
        copy = f"t_{_safe(key)}_{uuid.uuid4().hex[:12]}"
        # Whatever the loader left connected must go, or the copy is refused.
        _admin(
            admin_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{filled}' AND pid <> pg_backend_pid()",
        )
        _admin(admin_url, f"CREATE DATABASE {copy} TEMPLATE {filled}")
        try:
            yield _url(admin_url, copy)
        finally:
            _admin(admin_url, f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")

    def _sqlite_copy(self, key: str, template: Path, load: Loader, target: Path) -> str:
        source = self.filled.get(key)
        if source is None:
            folder = self._folder(key)
            path = folder / "filled.sqlite3"
            shutil.copyfile(template, path)
            load(f"sqlite:///{path}", folder / "data")
            source = self.filled[key] = str(path)
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"

    def _folder(self, key: str) -> Path:
        folder = self.root / _safe(key)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def close(self) -> None:
        if self.postgres is None:
            return
        for name in self.filled.values():
            _admin(self.postgres[0], f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _safe(key: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", key.lower())


def _url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(False)


def _admin(admin_url: str, statement: str) -> None:
    admin = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()
