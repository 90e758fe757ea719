"""What every file import shares: the file's checksum, the earlier import of the same file, the
kept original upload, and the :class:`ImportBatch` that records it."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.errors import InputError
from lantian.monitoring.models import ImportBatch


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def identify_upload(
    sessions: sessionmaker[Session], path: Path, kind: str
) -> tuple[str, ImportBatch | None]:
    """The file's SHA-256 and, if this very file was imported before, that import."""
    if not path.is_file():
        raise InputError(f"{path}: 文件不存在 / no such file")
    checksum = sha256_of(path)
    with sessions() as session:
        previous = session.scalar(
            select(ImportBatch).where(
                ImportBatch.kind == kind,
                ImportBatch.sha256 == checksum,
                ImportBatch.status == "loaded",
            )
        )
    return checksum, previous


def keep_upload(path: Path, uploads_dir: Path, kind: str, checksum: str) -> Path:
    """Copy the original upload under ``<uploads>/<kind>/`` (raw data is never lost)."""
    kept = uploads_dir / kind / f"{checksum[:16]}-{path.name}"
    kept.parent.mkdir(parents=True, exist_ok=True)
    if not kept.exists():
        shutil.copyfile(path, kept)
    return kept


def _batch_of_file(
    session: Session, kind: str, path: Path, checksum: str, kept: Path, status: str
) -> ImportBatch:
    """The one batch row of this file (made if new), pointing at the kept original."""
    batch = session.scalar(
        select(ImportBatch).where(ImportBatch.kind == kind, ImportBatch.sha256 == checksum)
    )
    if batch is None:
        batch = ImportBatch(kind=kind, sha256=checksum)
        session.add(batch)
    batch.filename = path.name
    batch.size_bytes = path.stat().st_size
    batch.stored_path = str(kept)
    batch.status = status
    return batch


def open_batch(session: Session, kind: str, path: Path, checksum: str, kept: Path) -> ImportBatch:
    """The batch row of an import in progress (its id tags every value the import adds).

    A file refused before (its batch ``rejected``) that is now accepted — the registry gained the
    missing station, say — reuses that row: one file, one batch, its history in the message.
    """
    batch = _batch_of_file(session, kind, path, checksum, kept, "loading")
    session.flush()
    return batch


def record_rejection(
    sessions: sessionmaker[Session],
    kind: str,
    path: Path,
    checksum: str,
    uploads_dir: Path,
    reason: str,
) -> ImportBatch:
    """Keep a refused upload and record why it was refused (status ``rejected``): the office can
    see what came in and why nothing of it was loaded, and the original is never lost."""
    kept = keep_upload(path, uploads_dir, kind, checksum)
    with sessions.begin() as session:
        batch = _batch_of_file(session, kind, path, checksum, kept, "rejected")
        batch.rows_loaded = 0
        batch.rows_skipped = 0
        batch.message = reason
        session.flush()
        session.expunge(batch)
    return batch
