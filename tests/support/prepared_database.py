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
    """This process's filled databases: (key, backend) → the filled database's URL."""

    root: Path
    worker: str
    filled: dict[tuple[str, str], str] = field(default_factory=dict)
    postgres_admin_url: str | None = None

    def sqlite_copy(self, key: str, template: Path, load: Loader, target: Path) -> str:
        """A copy (at ``target``) of the SQLite database filled by ``load`` once."""
        source = self.filled.get((key, "sqlite"))
        if source is None:
            folder = self.root / f"{_safe(key)}-sqlite"
            folder.mkdir(parents=True)
            path = folder / "filled.sqlite3"
            shutil.copyfile(template, path)
            load(f"sqlite:///{path}", folder / "data")
            source = self.filled[(key, "sqlite")] = str(path)
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"

    @contextmanager
    def postgres_copy(self, key: str, admin_url: str, template: str, load: Loader) -> Iterator[str]:
        """A new database copied from the one filled by ``load`` once, dropped afterwards."""
        self.postgres_admin_url = admin_url
        filled = self.filled.get((key, "postgresql"))
        if filled is None:
            name = f"prepared_{_safe(key)}_{self.worker}"
            _admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            _admin(admin_url, f"CREATE DATABASE {name} TEMPLATE {template}")
            folder = self.root / f"{_safe(key)}-postgresql"
            folder.mkdir(parents=True)
            load(_url(admin_url, name), folder / "data")
            filled = self.filled[(key, "postgresql")] = name
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

    def close(self) -> None:
        if self.postgres_admin_url is None:
            return
        for (_key, backend), name in self.filled.items():
            if backend == "postgresql":
                _admin(self.postgres_admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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
