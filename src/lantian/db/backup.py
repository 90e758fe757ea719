"""Backups that restore: the database and the kept files in one archive, checked before and after.

A backup is one uncompressed tar file::

    manifest.json                      what is inside and how to check it (below)
    database/lantian.sqlite3           SQLite: a copy made with the online backup API
    database/lantian.pgdump            PostgreSQL: ``pg_dump --format=custom``
    data/<path under the data folder>  every kept file (lantian.files.FileStore: uploads,
                                       evidence, briefings, the Parquet archive …)

Both copies are consistent while the platform runs: SQLite's backup API copies one snapshot of the
database, and on PostgreSQL the manifest's counts and audit head are read in the very snapshot
``pg_dump --snapshot`` dumps. The manifest records the versions (lantian, the database server, the
dump tool), the Alembic revision, the rows of every table, the audit log's length and head hash
(:mod:`lantian.auth.audit`: the log is hash-chained), and the size and SHA-256 of the database copy
and of every file.

Verifying a backup (:func:`verify_backup`, ``lantian db verify-backup``) checks every member
against the manifest, refuses members the manifest does not list or names that leave the folder,
then loads the database copy into a scratch database (SQLite: a temporary file; PostgreSQL: a
temporary database on the same server) and recomputes the audit chain, the row counts and the
revision there. :func:`restore_backup` verifies first, refuses a target database that holds rows
(or a data folder whose files differ) unless forced, restores, and verifies the restored database
and files again.

Not in a backup: the cookie key ``<data folder>/secret_key`` (a secret; a restored platform makes a
new one and everyone signs in again) and the SQLite database's own files (copied through the API).
A manifest can be rewritten by whoever can rewrite the archive: keep the audit head hash printed at
backup time outside (``lantian audit verify --checkpoint ID:HASH``) to catch a forged history.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from lantian import clock
from lantian.db import migrate
from lantian.db.engine import create_db_engine
from lantian.errors import Conflict, Invalid
from lantian.files import sha256_of

#: The manifest's ``format``; a reader refuses any other.
FORMAT = "lantian-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/lantian.sqlite3"
POSTGRES_MEMBER = "database/lantian.pgdump"
DATA_PREFIX = "data/"

#: Files of the data folder a backup leaves out (see the module docstring).
SKIPPED_NAMES = frozenset({"secret_key"})
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")

#: Schemas lantian's migrations create on PostgreSQL (0010: the monthly partitions).
POSTGRES_SCHEMAS = ("public", "partitions")

_BLOCK = 1 << 20


class BackupDamaged(Conflict):
    """The backup does not match its manifest, or what it holds fails a check."""


class RestoreRefused(Conflict):
    """The target database or data folder holds data a restore would overwrite."""


class ToolMissing(Invalid):
    """``pg_dump`` / ``pg_restore`` cannot be found."""


# --- what a backup says about itself -------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseFacts:
    """What the manifest records of a database (and what a check recomputes)."""

    revision: str | None
    row_counts: dict[str, int]
    audit_entries: int
    audit_head_id: int | None
    audit_head_hash: str | None
    audit_problem: str | None


@dataclass
class VerifyReport:
    """The outcome of checking a backup or a restored database; ``problems`` empty means good."""

    backend: str
    files_checked: int = 0
    bytes_checked: int = 0
    audit_entries: int = 0
    audit_head_hash: str | None = None
    tables_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_bad(self) -> None:
        if self.problems:
            shown = "\n".join(f"  - {problem}" for problem in self.problems[:20])
            raise BackupDamaged(f"备份校验失败 / the backup failed verification:\n{shown}")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str
    manifest: dict[str, Any]


def backend_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise Invalid(f"不支持的数据库 / backups support SQLite and PostgreSQL, not {name}")
    return name


def database_facts(connection: Connection) -> DatabaseFacts:
    """Revision, rows per table and the audit chain's state, read on ``connection``."""
    from lantian.auth import audit

    tables = sorted(inspect(connection).get_table_names())
    counts = {
        table: int(connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())  # noqa: S608 — table names come from the database's own catalogue, quoted
        for table in tables
    }
    revision = None
    if "alembic_version" in tables:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if "audit_log" not in tables:
        return DatabaseFacts(revision, counts, 0, None, None, "the database has no audit log")
    session = Session(bind=connection)
    try:
        result = audit.verify(session)
    finally:
        session.close()
    problem = None
    if result.broken is not None:
        broken = result.broken
        problem = f"audit log broken at entry {broken.entry_id} ({broken.kind}): {broken.detail}"
    return DatabaseFacts(
        revision, counts, result.entries, result.head_id, result.head_hash, problem
    )


# --- PostgreSQL tools ----------------------------------------------------------------------------


def find_pg_tool(name: str) -> Path:
    """``pg_dump`` or ``pg_restore``: ``LANTIAN_PG_BIN``, then the newest Debian
    ``/usr/lib/postgresql/<v>/bin`` (a newer dump tool reads older servers), then ``PATH``."""
    candidates: list[Path] = []
    explicit = os.environ.get("LANTIAN_PG_BIN")
    if explicit:
        candidates.append(Path(explicit) / name)
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += [folder / name for folder in debian]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ToolMissing(
        f"找不到 {name}；请安装 PostgreSQL 客户端（Debian: apt-get install postgresql-client）或设置 "
        f"LANTIAN_PG_BIN / {name} was not found on LANTIAN_PG_BIN, /usr/lib/postgresql/*/bin or "
        "PATH: install the PostgreSQL client tools (Debian: postgresql-client)"
    )


def _libpq_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL tools; the password goes in the environment."""
    args = ["--no-password"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run_tool(command: list[str], env: Mapping[str, str]) -> str:
    completed = subprocess.run(  # noqa: S603 — a fixed tool path and arguments, no shell
        command, env=dict(env), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        tool = Path(command[0]).name
        raise BackupDamaged(
            f"{tool} 失败 / {tool} failed (exit {completed.returncode}): "
            f"{completed.stderr.strip()[-2000:]}"
        )
    return completed.stdout


def tool_version(tool: Path) -> str:
    return _run_tool([str(tool), "--version"], os.environ).strip()


# --- writing a backup ----------------------------------------------------------------------------


def data_files(
    data_dir: Path, database_url: str, skip: Path | None = None, skip_dir: Path | None = None
) -> list[Path]:
    """The data folder's files a backup keeps, sorted (see :data:`SKIPPED_NAMES`): never the
    backup being written (``skip``), its scratch folder (``skip_dir``), a file store's or a
    restore's unfinished files, or a lantian backup kept in the data folder."""
    if not data_dir.is_dir():
        return []
    skipped = {(data_dir / name).resolve() for name in SKIPPED_NAMES}
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        database = Path(parsed.database).resolve()
        skipped |= {Path(f"{database}{suffix}") for suffix in SQLITE_SUFFIXES}
    if skip is not None:
        skipped.add(skip.resolve())
    scratch = skip_dir.resolve() if skip_dir is not None else None
    kept = []
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.name.startswith(".incoming-"):
            continue
        resolved = path.resolve()
        if resolved in skipped or (scratch is not None and resolved.is_relative_to(scratch)):
            continue
        relative = path.relative_to(data_dir).parts
        if any(part.startswith((".restore-", "lantian-backup-")) for part in relative[:-1]):
            continue
        if path.name.endswith(".partial") or _is_backup(path):
            continue
        kept.append(path)
    return kept


def _is_backup(path: Path) -> bool:
    """A lantian backup (a tar whose first member is the manifest), kept in the data folder."""
    if path.suffix != ".tar":
        return False
    try:
        with tarfile.open(path, "r:") as archive:
            first = archive.next()
    except (tarfile.TarError, OSError):
        return False
    return first is not None and first.name == MANIFEST


def _add_file(archive: tarfile.TarFile, member: str, source: Path) -> None:
    info = archive.gettarinfo(str(source), arcname=member)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with source.open("rb") as handle:
        archive.addfile(info, handle)


def _add_bytes(archive: tarfile.TarFile, member: str, content: bytes) -> None:
    info = tarfile.TarInfo(member)
    info.size = len(content)
    info.mode = 0o600
    info.mtime = int(clock.now().timestamp())
    archive.addfile(info, io.BytesIO(content))


def _sqlite_snapshot(url: str, target: Path) -> DatabaseFacts:
    """Copy the SQLite database with the online backup API, then read the facts off the copy."""
    database = make_url(url).database
    if not database or database == ":memory:" or not Path(database).is_file():
        raise Invalid(f"没有 SQLite 数据库文件 / no SQLite database file at {database}")
    source = sqlite3.connect(database)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
    finally:
        copy.close()
        source.close()
    engine = create_db_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            return database_facts(connection)
    finally:
        engine.dispose()


def _postgres_snapshot(url: str, target: Path) -> tuple[DatabaseFacts, str]:
    """``pg_dump`` the database in a snapshot whose facts the manifest records."""
    pg_dump = find_pg_tool("pg_dump")
    parsed = make_url(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            facts = database_facts(connection)
            args, env = _libpq_args(parsed)
            _run_tool(
                [str(pg_dump), *args, "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot}", f"--file={target}", "--dbname", parsed.database or ""],
                env,
            )  # fmt: skip
            connection.rollback()
    finally:
        engine.dispose()
    return facts, tool_version(pg_dump)


def _server_version(url: str) -> str:
    if backend_of(url) == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SELECT version()")).scalar_one())
    finally:
        engine.dispose()


def _lantian_version() -> str:
    import lantian

    return str(lantian.__version__)


def make_backup(database_url: str, data_dir: Path, out: Path) -> BackupResult:
    """Write a backup of the database at ``database_url`` and of ``data_dir`` to ``out``."""
    backend = backend_of(database_url)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lantian-backup-", dir=out.parent) as scratch:
        copy = Path(scratch) / "database"
        if backend == "sqlite":
            facts, dump_tool, member = _sqlite_snapshot(database_url, copy), None, SQLITE_MEMBER
        else:
            facts, dump_tool = _postgres_snapshot(database_url, copy)
            member = POSTGRES_MEMBER
        files = data_files(data_dir, database_url, skip=out, skip_dir=Path(scratch))
        listed: list[dict[str, Any]] = []
        for path in files:
            relative = path.relative_to(data_dir).as_posix()
            listed.append(
                {"path": relative, "size": path.stat().st_size, "sha256": sha256_of(path)}
            )
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": clock.now().isoformat(),
            "lantian_version": _lantian_version(),
            "python_version": sys.version.split()[0],
            "backend": backend,
            "server_version": _server_version(database_url),
            "dump_tool": dump_tool,
            "alembic_revision": facts.revision,
            "alembic_head": migrate.head_revision(),
            "row_counts": facts.row_counts,
            "audit": {
                "entries": facts.audit_entries,
                "head_id": facts.audit_head_id,
                "head_hash": facts.audit_head_hash,
                "problem": facts.audit_problem,
            },
            "database": {"member": member, "size": copy.stat().st_size, "sha256": sha256_of(copy)},
            "files": listed,
        }
        partial = out.with_name(f".{out.name}.{uuid.uuid4().hex}.partial")
        try:
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
                _add_bytes(archive, MANIFEST, _manifest_bytes(manifest))
                _add_file(archive, member, copy)
                for path, entry in zip(files, listed, strict=True):
                    _add_file(archive, DATA_PREFIX + entry["path"], path)
            partial.chmod(0o600)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return BackupResult(out, sha256_of(out), manifest)


def _manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


# --- reading and checking a backup ---------------------------------------------------------------


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and "" not in path.parts[:-1]


@contextlib.contextmanager
def opened_backup(path: Path) -> Iterator[tuple[tarfile.TarFile, dict[str, Any]]]:
    """The archive and its manifest; refuses anything that is not a lantian backup."""
    if not path.is_file():
        raise Invalid(f"找不到备份文件 / no backup file at {path}")
    try:
        archive = tarfile.open(path, "r:")  # noqa: SIM115 — closed below, after the caller's block
    except tarfile.TarError as error:
        raise BackupDamaged(f"不是备份文件 / {path} is not a lantian backup: {error}") from error
    try:
        try:
            member = archive.getmember(MANIFEST)
            handle = archive.extractfile(member)
            assert handle is not None
            manifest = json.loads(handle.read().decode("utf-8"))
        except (KeyError, ValueError, AssertionError, tarfile.TarError) as error:
            raise BackupDamaged(
                f"备份缺少可读的清单 / {path} has no readable {MANIFEST}: {error}"
            ) from error
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupDamaged(
                f"未知的备份格式 / {path}: unknown backup format {manifest.get('format')!r}"
                if isinstance(manifest, dict)
                else f"{path}: the manifest is not an object"
            )
        yield archive, manifest
    finally:
        archive.close()


def _hash_member(archive: tarfile.TarFile, member: tarfile.TarInfo, copy_to: Path | None) -> str:
    digest = hashlib.sha256()
    handle = archive.extractfile(member)
    assert handle is not None
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(copy_to.open("wb")) if copy_to is not None else None
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
            if out is not None:
                out.write(block)
    return digest.hexdigest()


def check_members(
    archive: tarfile.TarFile,
    manifest: Mapping[str, Any],
    report: VerifyReport,
    *,
    database_copy: Path | None = None,
    files_into: Path | None = None,
) -> dict[str, Path]:
    """Check every member against the manifest; copy the database to ``database_copy`` and the
    files into ``files_into`` (staged names, returned by relative path) while hashing them."""
    expected: dict[str, tuple[int, str]] = {
        DATA_PREFIX + entry["path"]: (int(entry["size"]), str(entry["sha256"]))
        for entry in manifest.get("files", [])
    }
    database = manifest.get("database", {})
    expected[str(database.get("member"))] = (
        int(database.get("size", -1)),
        str(database.get("sha256")),
    )
    staged: dict[str, Path] = {}
    seen: set[str] = set()
    for member in archive.getmembers():
        name = member.name
        if name == MANIFEST:
            continue
        if not _safe_member_name(name) or not member.isfile():
            report.problems.append(f"refused member {name!r}: not a plain file inside the backup")
            continue
        if name not in expected:
            report.problems.append(f"member {name} is not listed in the manifest")
            continue
        if name in seen:
            report.problems.append(f"member {name} appears twice")
            continue
        seen.add(name)
        size, digest = expected[name]
        target = None
        if name == database.get("member"):
            target = database_copy
        elif files_into is not None:
            target = files_into / f"{len(staged):08d}"
        actual = _hash_member(archive, member, target)
        if member.size != size or actual != digest:
            report.problems.append(
                f"{name}: content differs from the manifest (SHA-256 {actual[:12]}…, "
                f"manifest {digest[:12]}…): the file was changed after the backup"
            )
            continue
        if name == database.get("member"):
            continue
        report.files_checked += 1
        report.bytes_checked += member.size
        if target is not None:
            staged[name[len(DATA_PREFIX) :]] = target
    for name in sorted(set(expected) - seen):
        report.problems.append(f"{name} is listed in the manifest but missing from the backup")
    return staged


def compare_facts(facts: DatabaseFacts, manifest: Mapping[str, Any], report: VerifyReport) -> None:
    """The database's revision, row counts and audit chain against the manifest."""
    report.audit_entries = facts.audit_entries
    report.audit_head_hash = facts.audit_head_hash
    report.tables_checked = len(facts.row_counts)
    if facts.audit_problem is not None:
        report.problems.append(facts.audit_problem)
    audit = manifest.get("audit", {})
    if (facts.audit_entries, facts.audit_head_hash) != (
        audit.get("entries"),
        audit.get("head_hash"),
    ):
        report.problems.append(
            f"audit log has {facts.audit_entries} entries ending in {facts.audit_head_hash}; the "
            f"manifest recorded {audit.get('entries')} ending in {audit.get('head_hash')}"
        )
    if facts.revision != manifest.get("alembic_revision"):
        report.problems.append(
            f"schema revision {facts.revision} ≠ {manifest.get('alembic_revision')} in the manifest"
        )
    recorded: dict[str, int] = manifest.get("row_counts", {})
    for table in sorted(set(recorded) | set(facts.row_counts)):
        have, want = facts.row_counts.get(table), recorded.get(table)
        if have != want:
            report.problems.append(f"table {table}: {have} rows, the manifest recorded {want}")


def verify_backup(path: Path, scratch_url: str | None = None) -> VerifyReport:
    """Check a backup whole: members against the manifest, then the database copy loaded into a
    scratch database (its audit chain, row counts and revision).

    A PostgreSQL dump is loaded into a temporary database created (and dropped) on the server of
    ``scratch_url`` (a URL whose user may ``CREATE DATABASE``; the configured database's server).
    """
    with opened_backup(path) as (archive, manifest), tempfile.TemporaryDirectory() as scratch:
        report = VerifyReport(str(manifest.get("backend")))
        copy = Path(scratch) / "database"
        check_members(archive, manifest, report, database_copy=copy)
        if not copy.is_file() or report.problems:
            return report
        if report.backend == "sqlite":
            engine = create_db_engine(f"sqlite:///{copy}")
            try:
                with engine.connect() as connection:
                    compare_facts(database_facts(connection), manifest, report)
            finally:
                engine.dispose()
            return report
        if scratch_url is None or backend_of(scratch_url) != "postgresql":
            raise Invalid(
                "校验 PostgreSQL 备份需要一个 PostgreSQL 服务器 / checking a PostgreSQL backup "
                "loads it into a temporary database: configure a PostgreSQL database URL"
            )
        with _temporary_database(scratch_url) as url:
            _pg_restore(copy, url)
            engine = create_engine(url, poolclass=NullPool)
            try:
                with engine.connect() as connection:
                    compare_facts(database_facts(connection), manifest, report)
            finally:
                engine.dispose()
        return report


@contextlib.contextmanager
def _temporary_database(server_url: str) -> Iterator[str]:
    name = f"lantian_verify_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- restoring -----------------------------------------------------------------------------------


def rows_held(engine: Engine) -> dict[str, int]:
    """Tables of ``engine``'s database that hold rows (``alembic_version`` aside)."""
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        held = {}
        for table in tables:
            if table == "alembic_version":
                continue
            found = connection.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first()  # noqa: S608 — a name from the catalogue, quoted
            if found is not None:
                held[table] = 1
        return held


def _pg_restore(dump: Path, url: str) -> None:
    pg_restore = find_pg_tool("pg_restore")
    parsed = make_url(url)
    args, env = _libpq_args(parsed)
    _run_tool(
        [str(pg_restore), *args, "--no-owner", "--no-privileges", "--exit-on-error",
         "--single-transaction", "--dbname", parsed.database or "", str(dump)],
        env,
    )  # fmt: skip


def _clear_postgres(url: str) -> None:
    """Drop lantian's schemas (everything a restore brings back) and recreate ``public``."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for schema in POSTGRES_SCHEMAS:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text('CREATE SCHEMA "public"'))
    finally:
        engine.dispose()


def _restore_sqlite(copy: Path, url: str) -> None:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise Invalid("SQLite 恢复需要数据库文件 / restoring SQLite needs a database file")
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    target = sqlite3.connect(database)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


def _differing_files(data_dir: Path, manifest: Mapping[str, Any]) -> list[str]:
    differing = []
    for entry in manifest.get("files", []):
        existing = data_dir / entry["path"]
        if existing.exists() and (not existing.is_file() or sha256_of(existing) != entry["sha256"]):
            differing.append(entry["path"])
    return differing


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    files_written: int
    report: VerifyReport


def restore_backup(
    path: Path, database_url: str, data_dir: Path, *, force: bool = False
) -> RestoreResult:
    """Restore a backup into ``database_url`` and ``data_dir``, then verify what was restored.

    Refused (:class:`RestoreRefused`, nothing written) when the backup fails its checks, when the
    target database holds rows or the data folder holds other bytes under a backup's file name,
    unless ``force``; a backup of one backend restores into the same backend.
    """
    backend = backend_of(database_url)
    data_dir = data_dir.resolve()
    with opened_backup(path) as (archive, manifest):
        if manifest.get("backend") != backend:
            raise RestoreRefused(
                f"备份来自 {manifest.get('backend')}，目标是 {backend} / the backup is of a "
                f"{manifest.get('backend')} database and the target is {backend}"
            )
        engine = create_db_engine(database_url)
        try:
            held = rows_held(engine)
        finally:
            engine.dispose()
        differing = _differing_files(data_dir, manifest)
        if (held or differing) and not force:
            raise RestoreRefused(
                "目标数据库或数据目录非空，未恢复（--force 覆盖）/ refused: the target is not empty "
                f"({len(held)} tables hold rows: {', '.join(sorted(held)[:5])}"
                f"{'…' if len(held) > 5 else ''}; {len(differing)} files in the data folder "
                "differ); nothing was changed — restore into an empty database, or pass --force"
            )
        data_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
        try:
            report = VerifyReport(backend)
            copy = staging / "database"
            staged = check_members(
                archive, manifest, report, database_copy=copy, files_into=staging
            )
            report.raise_if_bad()
            if backend == "sqlite":
                _restore_sqlite(copy, database_url)
            else:
                _clear_postgres(database_url)
                _pg_restore(copy, database_url)
            for relative, source in staged.items():
                target = data_dir / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    report = verify_restored(database_url, data_dir, manifest)
    report.raise_if_bad()
    return RestoreResult(manifest, len(staged), report)


def verify_restored(database_url: str, data_dir: Path, manifest: Mapping[str, Any]) -> VerifyReport:
    """Check a restored database and data folder against the backup's manifest."""
    report = VerifyReport(backend_of(database_url))
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            compare_facts(database_facts(connection), manifest, report)
    finally:
        engine.dispose()
    for entry in manifest.get("files", []):
        kept = data_dir / entry["path"]
        if not kept.is_file():
            report.problems.append(f"{entry['path']} is missing from the data folder")
        elif sha256_of(kept) != entry["sha256"]:
            report.problems.append(f"{entry['path']} differs from the backup (SHA-256)")
        else:
            report.files_checked += 1
            report.bytes_checked += kept.stat().st_size
    return report


def describe(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The few facts of a manifest worth printing."""
    return {
        "backend": manifest.get("backend"),
        "created_at": manifest.get("created_at"),
        "revision": manifest.get("alembic_revision"),
        "tables": len(manifest.get("row_counts", {})),
        "rows": sum(manifest.get("row_counts", {}).values()),
        "files": len(manifest.get("files", [])),
        "audit_entries": manifest.get("audit", {}).get("entries"),
        "audit_head": (
            manifest.get("audit", {}).get("head_id"),
            manifest.get("audit", {}).get("head_hash"),
        ),
    }
