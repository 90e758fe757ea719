"""The committed subset of the shared data (tests/shared/): complete, checked, and refused if altered."""

from __future__ import annotations

import hashlib
import lzma
from pathlib import Path

import pytest

from tests.support.shared_data import REPO_ROOT, SUBSET_DIR, lay_out, manifest, shared_file


def test_every_committed_file_is_in_the_manifest_and_every_entry_is_committed() -> None:
    entries = manifest()
    stored = {str(entry["stored"]) for entry in entries.values()}
    committed = {p.relative_to(REPO_ROOT).as_posix() for p in SUBSET_DIR.rglob("*.xz")}
    assert committed == {s for s in stored if s.startswith("tests/shared/")}
    assert all((REPO_ROOT / s).is_file() for s in stored)
    # the two files the demo ships are reused, not committed a second time
    assert {s for s in stored if s.startswith("src/lantian/demo/data/")} == {
        "src/lantian/demo/data/StationList-2020.01.01.csv.gz",
        "src/lantian/demo/data/zhengzhou_sites_2019-01-01_2019-08-31.csv.gz",
    }


def test_the_laid_out_files_are_the_originals() -> None:
    for relative, entry in manifest().items():
        content = shared_file(relative).read_bytes()
        assert len(content) == entry["bytes"]
        assert hashlib.sha256(content).hexdigest() == entry["sha256"], relative


def test_the_subset_stays_small() -> None:
    size = sum(p.stat().st_size for p in SUBSET_DIR.rglob("*") if p.is_file())
    assert size < 8_000_000, f"tests/shared holds {size} bytes"


def test_an_altered_or_missing_file_is_a_failure_not_a_skip(tmp_path: Path) -> None:
    original = b"date,hour,type,1316A\r\n"
    altered = tmp_path / "altered.csv.xz"
    altered.write_bytes(lzma.compress(b"date,hour,type,1317A\r\n"))
    entry: dict[str, str | int] = {
        "stored": str(altered),  # absolute: REPO_ROOT / it is itself
        "sha256": hashlib.sha256(original).hexdigest(),
        "bytes": len(original),
    }
    with pytest.raises(AssertionError, match="differs from the manifest"):
        lay_out(tmp_path / "out", {"data/x.csv": entry})
    missing = dict(entry, stored="tests/shared/data/no-such-file.csv.xz")
    with pytest.raises(AssertionError, match="committed test data file missing"):
        lay_out(tmp_path / "out", {"data/x.csv": missing})
