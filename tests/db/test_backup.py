"""`lantian db backup` / `restore` / `verify-backup` on both backends (issue 20, "Backups").

A database holding real data (a CNEMC day imported, the default plan with its sample reports and
their evidence, an inspection case with a photo) is backed up through the command line, restored
into an empty database and an empty data folder, verified, and the platform on the restored
database serves the same pages and the same evidence bytes. A backup whose file or audit row was
changed fails verification with a message naming what changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import sqlite3
import tarfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.auth.service import add_user
from lantian.campaign.demo import load_sample_progress
from lantian.config import Settings, get_settings
from lantian.db import backup as backups
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.files import FileStore
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.supervision import service as cases
from lantian.supervision.service import CaseDraft, EvidenceFile
from lantian.web.app import create_app

DAY_FILE = "data/cnemc/national_daily/china_sites_20190220.csv"
PASSWORD = "灰霾退散-2017-blue"
T0 = datetime(2017, 11, 20, 1, 0, tzinfo=UTC)
CASE = CaseDraft(
    source="inspection_team",
    title="某石料厂料堆未覆盖",
    area_code="410183100",
    site="城关镇某石料厂",
    severity="serious",
    deadline=T0 + timedelta(days=2),
)
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
#: The pages compared between the original and the restored platform (the case's are added).
PAGES = ["/", "/stations/1316A", "/campaign/tasks/8", "/cases"]


@dataclass
class Source:
    url: str
    data_dir: Path
    case_id: int
    evidence_id: int


def cli(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path) -> Callable[..., Result]:
    """``lantian ARGS…`` in process against ``url`` and ``data_dir``."""
    from typer.testing import CliRunner

    from lantian.cli import app

    def run(*args: str) -> Result:
        monkeypatch.setenv("LANTIAN_DATABASE_URL", url)
        monkeypatch.setenv("LANTIAN_DATA_DIR", str(data_dir))
        monkeypatch.setenv("COLUMNS", "250")
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args))
        finally:
            get_settings.cache_clear()

    return run


@pytest.fixture
def source(db_url: str, shared_dir: Path, tmp_path: Path) -> Source:
    """A database and data folder holding real data of every kind a backup must carry."""
    data_dir = tmp_path / "source-data"
    engine = create_db_engine(db_url)
    try:
        sessions = session_factory(engine)
        import_cnemc_file(
            sessions, shared_dir / DAY_FILE, data_dir, read_station_list(BUNDLED_STATION_LIST)
        )
        with transaction(sessions) as session:
            add_user(
                session, username="office", role="campaign_office", password=PASSWORD,
                actor="test",
            )  # fmt: skip
        load_sample_progress(sessions, DEFAULT_PLAN_DIR, data_dir)
        with transaction(sessions) as session:
            case = cases.record_case(
                session,
                Principal("duchazu", "inspector"),
                CASE,
                T0,
                evidence=[EvidenceFile("现场.png", PHOTO)],
                data_dir=data_dir,
            )
            case_id = case.id
        with engine.connect() as connection:
            evidence_id = connection.execute(
                text("SELECT id FROM case_evidence WHERE case_id = :c"), {"c": case_id}
            ).scalar_one()
    finally:
        engine.dispose()
    return Source(db_url, data_dir, case_id, evidence_id)


@pytest.fixture
def empty_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: no file (SQLite), a new database with no tables (PostgreSQL)."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'lantian.sqlite3'}"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    name = f"lantian_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def page_texts(url: str, data_dir: Path, source: Source) -> dict[str, str | bytes]:
    """What the platform on ``url`` serves to the office: the pages, and the evidence's bytes."""
    engine = create_db_engine(url)
    try:
        client = TestClient(create_app(Settings(data_dir=data_dir), engine))
        login = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]*)"', login.text)
        assert csrf
        signed_in = client.post(
            "/login",
            data={"username": "office", "password": PASSWORD, "csrf": csrf[1], "next": "/"},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        served: dict[str, str | bytes] = {}
        for path in [*PAGES, f"/cases/{source.case_id}"]:
            response = client.get(path)
            assert response.status_code == 200, path
            # Per-session values (the form token, a CSP nonce) differ between any two visits.
            served[path] = re.sub(r'(name="csrf" value|nonce)="[^"]*"', r"\1=…", response.text)
        evidence = client.get(f"/cases/{source.case_id}/evidence/{source.evidence_id}")
        assert evidence.status_code == 200
        served["evidence"] = evidence.content
        return served
    finally:
        engine.dispose()


def test_backup_restores_into_an_empty_database_and_serves_the_same_pages(
    source: Source, empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "backups" / "lantian.tar"
    made = cli(monkeypatch, source.url, source.data_dir)("db", "backup", str(archive), "--verify")
    assert made.exit_code == 0, made.output
    assert "verified" in made.output and "audit chain intact" in made.output

    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile("manifest.json").read())  # type: ignore[union-attr]
        names = set(opened.getnames())
    assert manifest["row_counts"]["measurements"] > 1000  # the CNEMC day
    assert manifest["row_counts"]["case_evidence"] == 1
    assert manifest["row_counts"]["progress_evidence"] >= 1  # the sample reports' evidence
    assert manifest["audit"]["entries"] > 0 and manifest["audit"]["problem"] is None
    kept = {entry["path"] for entry in manifest["files"]}
    assert f"files/{hashlib.sha256(PHOTO).hexdigest()[:2]}" in {
        path.rsplit("/", 1)[0] for path in kept
    }
    assert {"data/" + path for path in kept} <= names
    assert "secret_key" not in kept

    restored_dir = tmp_path / "restored-data"
    restore = cli(monkeypatch, empty_url, restored_dir)
    done = restore("db", "restore", str(archive))
    assert done.exit_code == 0, done.output
    assert "verified" in done.output
    assert sorted(p.relative_to(restored_dir).as_posix() for p in restored_dir.rglob("*") if p.is_file()) == sorted(kept)  # fmt: skip

    checked = restore("db", "verify-backup", str(archive))
    assert checked.exit_code == 0, checked.output

    with clock.use(clock.FrozenClock(datetime(2019, 2, 20, 6, 0, tzinfo=UTC))):
        before = page_texts(source.url, source.data_dir, source)
        after = page_texts(empty_url, restored_dir, source)
    assert after == before
    assert before["evidence"] == PHOTO

    # A second restore over the now-filled database is refused, and nothing is changed.
    again = restore("db", "restore", str(archive))
    assert again.exit_code != 0 and "not empty" in again.output
    forced = restore("db", "restore", str(archive), "--force")
    assert forced.exit_code == 0, forced.output


def repack(archive: Path, out: Path, member: str, content: bytes, *, fix_manifest: bool) -> None:
    """A copy of ``archive`` with ``member`` replaced; with ``fix_manifest`` the manifest is
    rewritten to match (an attacker who can rewrite the whole archive)."""
    with tarfile.open(archive) as original, tarfile.open(out, "w") as copy:
        manifest = json.loads(original.extractfile("manifest.json").read())  # type: ignore[union-attr]
        if fix_manifest:
            digest = hashlib.sha256(content).hexdigest()
            if manifest["database"]["member"] == member:
                manifest["database"].update(size=len(content), sha256=digest)
        for info in original.getmembers():
            body = original.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == "manifest.json":
                body = json.dumps(manifest).encode()
            elif info.name == member:
                body = content
            info.size = len(body)
            copy.addfile(info, io.BytesIO(body))


def test_a_tampered_backup_fails_verification(
    source: Source, tmp_path: Path, db_backend: str, request: pytest.FixtureRequest
) -> None:
    archive = tmp_path / "lantian.tar"
    backups.make_backup(source.url, source.data_dir, archive)
    scratch = (
        source.url if db_backend == "sqlite" else request.getfixturevalue("postgres_admin_url")
    )
    assert backups.verify_backup(archive, scratch).ok

    # A kept file changed inside the backup.
    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile("manifest.json").read())  # type: ignore[union-attr]
        database_member = manifest["database"]["member"]
        database = opened.extractfile(database_member).read()  # type: ignore[union-attr]
    photo = next(e["path"] for e in manifest["files"] if e["size"] == len(PHOTO))
    changed_file = tmp_path / "changed-file.tar"
    repack(archive, changed_file, f"data/{photo}", PHOTO[:-1] + b"!", fix_manifest=False)
    report = backups.verify_backup(changed_file, scratch)
    assert not report.ok
    assert any(photo in p and "changed after the backup" in p for p in report.problems)
    with pytest.raises(backups.BackupDamaged, match=photo):
        backups.restore_backup(changed_file, f"sqlite:///{tmp_path / 'x.sqlite3'}" if db_backend == "sqlite" else scratch, tmp_path / "x")  # fmt: skip

    # An audit row changed in the database copy, the manifest's checksum rewritten to match: the
    # chain still shows it.
    forged = forge_audit_row(database, db_backend, tmp_path, request)
    changed_audit = tmp_path / "changed-audit.tar"
    repack(archive, changed_audit, database_member, forged, fix_manifest=True)
    report = backups.verify_backup(changed_audit, scratch)
    assert not report.ok
    assert any("audit log broken at entry 1 (edited)" in p for p in report.problems), (
        report.problems
    )

    # Without the rewritten checksum the copy itself is caught first.
    unfixed = tmp_path / "changed-audit-unfixed.tar"
    repack(archive, unfixed, database_member, forged, fix_manifest=False)
    assert any(database_member in p for p in backups.verify_backup(unfixed, scratch).problems)


def forge_audit_row(
    database: bytes, db_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> bytes:
    """The database copy with the reason of audit entry 1 changed (triggers bypassed)."""
    if db_backend == "sqlite":
        copy = tmp_path / "forged.sqlite3"
        copy.write_bytes(database)
        connection = sqlite3.connect(copy)
        triggers = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        ).fetchall()
        for name, _sql in triggers:
            connection.execute(f'DROP TRIGGER "{name}"')
        connection.execute("UPDATE audit_log SET reason = 'forged' WHERE id = 1")
        for _name, sql in triggers:
            connection.execute(sql)
        connection.commit()
        connection.close()
        return copy.read_bytes()
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    dump = tmp_path / "original.pgdump"
    dump.write_bytes(database)
    with backups._temporary_database(admin_url) as url:
        backups._pg_restore(dump, url)
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("SET session_replication_role = replica"))
            connection.execute(text("UPDATE audit_log SET reason = 'forged' WHERE id = 1"))
        engine.dispose()
        forged = tmp_path / "forged.pgdump"
        parsed = make_url(url)
        args, env = backups._libpq_args(parsed)
        backups._run_tool(
            [str(backups.find_pg_tool("pg_dump")), *args, "--format=custom", "--no-owner",
             f"--file={forged}", "--dbname", parsed.database or ""],
            env,
        )  # fmt: skip
        return forged.read_bytes()


def test_restore_refuses_a_backup_of_the_other_backend(source: Source, tmp_path: Path) -> None:
    archive = tmp_path / "lantian.tar"
    backups.make_backup(source.url, source.data_dir, archive)
    other = (
        "postgresql+psycopg://nobody@127.0.0.1:1/none"
        if source.url.startswith("sqlite")
        else f"sqlite:///{tmp_path / 'other.sqlite3'}"
    )
    with pytest.raises(backups.RestoreRefused, match="the backup is of a"):
        backups.restore_backup(archive, other, tmp_path / "other-data")
    shutil.rmtree(tmp_path / "other-data", ignore_errors=True)


def test_what_a_backup_leaves_out_of_the_data_folder(db_url: str, tmp_path: Path) -> None:
    """The cookie key, unfinished files and backups kept in the data folder itself (the one being
    written, its scratch copy of the database and earlier ones) are not backed up again."""
    data_dir = tmp_path / "data"
    kept = FileStore(data_dir).put_bytes(b"signed acceptance form")
    (data_dir / "secret_key").write_text("not for backups", "utf-8")
    (data_dir / "files" / ".incoming-x").write_bytes(b"half written")
    first = backups.make_backup(db_url, data_dir, data_dir / "backups" / "one.tar")
    second = backups.make_backup(db_url, data_dir, data_dir / "backups" / "two.tar")
    assert [entry["path"] for entry in first.manifest["files"]] == [kept.path]
    assert [entry["path"] for entry in second.manifest["files"]] == [kept.path]
    assert backups.verify_backup(second.path, db_url).ok
