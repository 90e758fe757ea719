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
            select(ImportBatch).where(ImportBatch.kind == kind, ImportBatch.sha256 == checksum)
        )
    return checksum, previous


def keep_upload(path: Path, uploads_dir: Path, kind: str, checksum: str) -> Path:
    """Copy the original upload under ``<uploads>/<kind>/`` (raw data is never lost)."""
    kept = uploads_dir / kind / f"{checksum[:16]}-{path.name}"
    kept.parent.mkdir(parents=True, exist_ok=True)
    if not kept.exists():
        shutil.copyfile(path, kept)
    return kept


def open_batch(session: Session, kind: str, path: Path, checksum: str, kept: Path) -> ImportBatch:
    """The batch row of an import in progress (its id tags every value the import adds)."""
    batch = ImportBatch(
        kind=kind,
        filename=path.name,
        sha256=checksum,
        size_bytes=path.stat().st_size,
        stored_path=str(kept),
        status="loading",
    )
    session.add(batch)
    session.flush()
    return batch
