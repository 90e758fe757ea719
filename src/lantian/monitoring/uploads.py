"""What every file import shares: the file's checksum, the earlier import of the same file, the
kept original upload (in the file store, :mod:`lantian.files`), and the :class:`ImportBatch` that
records it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.errors import Conflict, NotFound
from lantian.files import FileStore, StoredFile, sha256_of
from lantian.monitoring.models import ImportBatch


def identify_upload(
    sessions: sessionmaker[Session], path: Path, kind: str
) -> tuple[str, ImportBatch | None]:
    """The file's SHA-256 and, if this very file was imported before, that import."""
    if not path.is_file():
        raise NotFound(f"{path}: 文件不存在 / no such file")
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


def keep_upload(path: Path, data_dir: Path, checksum: str) -> StoredFile:
    """Keep the original upload in the data folder's file store (raw data is never lost)."""
    kept = FileStore(data_dir).put_file(path)
    if kept.sha256 != checksum:
        raise Conflict(f"{path}: 文件在导入时被改动 / the file changed while it was imported")
    return kept


def _batch_of_file(
    session: Session, kind: str, path: Path, checksum: str, kept: StoredFile, status: str
) -> ImportBatch:
    """The one batch row of this file (made if new), pointing at the kept original."""
    batch = session.scalar(
        select(ImportBatch).where(ImportBatch.kind == kind, ImportBatch.sha256 == checksum)
    )
    if batch is None:
        batch = ImportBatch(kind=kind, sha256=checksum)
        session.add(batch)
    batch.filename = path.name
    batch.size_bytes = kept.size
    batch.stored_path = kept.path
    batch.status = status
    return batch


def open_batch(
    session: Session, kind: str, path: Path, checksum: str, kept: StoredFile
) -> ImportBatch:
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
    data_dir: Path,
    reason: str,
) -> ImportBatch:
    """Keep a refused upload and record why it was refused (status ``rejected``): the office can
    see what came in and why nothing of it was loaded, and the original is never lost."""
    kept = keep_upload(path, data_dir, checksum)
    with sessions.begin() as session:
        batch = _batch_of_file(session, kind, path, checksum, kept, "rejected")
        batch.rows_loaded = 0
        batch.rows_skipped = 0
        batch.message = reason
        session.flush()
        session.expunge(batch)
    return batch
