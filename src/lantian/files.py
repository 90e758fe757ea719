"""The one file store: every file lantian keeps (evidence, original uploads), by its content.

A file is kept once, at ``<data dir>/files/<sha[:2]>/<sha>`` where ``sha`` is the hex SHA-256 of
its bytes, and rows refer to it by that path *relative to the data folder* (so the folder can be
moved or restored elsewhere) together with the hash. The same bytes stored twice are one file; a
stored file is never rewritten. Every read recomputes the hash: a file changed on disk is refused
(:class:`TamperedFile`), never served or re-imported as if it were the original.

Rows written before the store existed keep working: their path may be absolute or relative to the
data folder (``evidence/ab/abcd…``, ``uploads/cnemc/…``), and :meth:`FileStore.read` resolves both.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lantian.errors import Conflict

#: Folder under the data folder that holds the content-addressed files.
FILES_DIR = "files"

_BLOCK = 1 << 20


class StoredFileError(Conflict):
    """A kept file cannot be given back as it was stored (the faces answer 409 Conflict)."""


class MissingFile(StoredFileError):
    """The file a row refers to is not in the store."""


class TamperedFile(StoredFileError):
    """The kept file's bytes no longer have the SHA-256 recorded when it was stored."""


@dataclass(frozen=True)
class StoredFile:
    """Where a file is kept (``path``, relative to the data folder, POSIX) and what it is."""

    sha256: str
    path: str
    size: int


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read a block at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


class FileStore:
    """The content-addressed store under one data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)

    def relative_path(self, sha256: str) -> str:
        return f"{FILES_DIR}/{sha256[:2]}/{sha256}"

    def locate(self, stored_path: str) -> Path:
        """The file a row's path names: relative to the data folder, or absolute (older rows)."""
        path = Path(stored_path)
        return path if path.is_absolute() else self.data_dir / path

    def put_bytes(self, content: bytes) -> StoredFile:
        """Keep ``content``; an existing copy of the same bytes is left as it is."""
        return self._store([content])

    def put_file(self, source: Path) -> StoredFile:
        """Keep a copy of the file at ``source`` (read in blocks: uploads can be large).

        The name is the hash of the bytes actually copied, so a file that changes while it is
        read is still kept under the name of what was kept.
        """
        with source.open("rb") as handle:
            return self._store(iter(lambda: handle.read(_BLOCK), b""))

    def read(self, stored_path: str, sha256: str) -> bytes:
        """The kept bytes, after checking them against ``sha256``.

        Raises :class:`MissingFile` when the file is gone and :class:`TamperedFile` when its
        bytes changed since they were stored.
        """
        path = self.locate(stored_path)
        if not path.is_file():
            raise MissingFile(f"文件缺失 / the kept file is missing: {stored_path}")
        content = path.read_bytes()
        if hashlib.sha256(content).hexdigest() != sha256:
            raise TamperedFile(
                f"文件已被改动（校验和不符）/ the kept file was altered (checksum): {stored_path}"
            )
        return content

    def _store(self, blocks: Iterable[bytes]) -> StoredFile:
        """Write ``blocks`` to a temporary file beside the store while hashing them, then give it
        its content's name; a file already there (same bytes) is never touched."""
        staging = self.data_dir / FILES_DIR
        staging.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        handle, temporary = tempfile.mkstemp(dir=staging, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                for block in blocks:
                    digest.update(block)
                    size += len(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self.data_dir / self.relative_path(sha)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                # Fails if another writer got there first: theirs is kept (same bytes, same name).
                with contextlib.suppress(FileExistsError):
                    os.link(temporary, target)
        finally:
            os.unlink(temporary)
        return StoredFile(sha, self.relative_path(sha), size)
