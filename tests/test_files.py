"""The one file store: kept by content, relative to the data folder, checked on every read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lantian.errors import Conflict
from lantian.files import FileStore, MissingFile, TamperedFile


def test_store_and_read_back(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    kept = store.put_bytes("现场照片".encode())
    digest = hashlib.sha256("现场照片".encode()).hexdigest()
    assert (kept.sha256, kept.path, kept.size) == (digest, f"files/{digest[:2]}/{digest}", 12)
    assert store.read(kept.path, kept.sha256) == "现场照片".encode()
    # The path is relative to the data folder: the folder moved elsewhere still reads.
    moved = tmp_path.parent / f"{tmp_path.name}-moved"
    tmp_path.rename(moved)
    assert FileStore(moved).read(kept.path, kept.sha256) == "现场照片".encode()


def test_the_same_bytes_are_one_file_never_rewritten(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    source = tmp_path / "upload.csv"
    source.write_bytes(b"a,b\n1,2\n")
    first = store.put_file(source)
    written = (tmp_path / first.path).stat().st_mtime_ns
    again = store.put_bytes(b"a,b\n1,2\n")
    assert again == first
    assert (tmp_path / first.path).stat().st_mtime_ns == written
    assert sorted(p.name for p in (tmp_path / "files").rglob("*") if p.is_file()) == [first.sha256]


def test_a_changed_or_missing_file_is_refused(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    kept = store.put_bytes(b"original")
    (tmp_path / kept.path).write_bytes(b"altered!")
    with pytest.raises(TamperedFile, match="altered") as refused:
        store.read(kept.path, kept.sha256)
    assert isinstance(refused.value, Conflict)
    (tmp_path / kept.path).unlink()
    with pytest.raises(MissingFile):
        store.read(kept.path, kept.sha256)


def test_rows_from_before_the_store_still_read(tmp_path: Path) -> None:
    """Older rows hold an absolute path (case evidence) or one under evidence/ or uploads/."""
    content = b"older evidence"
    digest = hashlib.sha256(content).hexdigest()
    older = tmp_path / "evidence" / digest[:2] / digest
    older.parent.mkdir(parents=True)
    older.write_bytes(content)
    store = FileStore(tmp_path)
    assert store.read(str(older), digest) == content
    assert store.read(f"evidence/{digest[:2]}/{digest}", digest) == content
