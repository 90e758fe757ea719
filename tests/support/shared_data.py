"""The part of the shared real data that the tests read, committed in the repository.

The tests used to read ``../shared`` (the project's folder of third-party real data beside the
clone). What they read of it is committed, compressed, under ``tests/shared/`` (see PROVENANCE.md
there); two files are not committed twice because the demo already ships them
(``src/lantian/demo/data/``). ``tests/shared/manifest.json`` lists every file with the SHA-256 of
its original bytes.

``shared_root()`` lays the files out once per process, in the layout of ``../shared``
(``data/cnemc/national_daily/…``, ``spec/standards.md``, ``seed/…``), in a folder of the
system's temporary directory named after the manifest's hash, and checks every file's hash. So
the code under test reads real, uncompressed files by path, exactly as it reads ``../shared``,
and a missing or altered committed file is a failure, never a skip. ``../shared`` is not needed.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import json
import lzma
import os
import shutil
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBSET_DIR = REPO_ROOT / "tests" / "shared"
MANIFEST = SUBSET_DIR / "manifest.json"


def manifest() -> dict[str, dict[str, str | int]]:
    """``path in ../shared`` → ``{"stored": path in the repository, "sha256": …, "bytes": …}``."""
    entries: dict[str, dict[str, str | int]] = json.loads(MANIFEST.read_text("utf-8"))["files"]
    return entries


def unpack(stored: Path) -> bytes:
    """The original bytes of a committed file (``.xz`` or ``.gz``)."""
    raw = stored.read_bytes()
    if stored.suffix == ".xz":
        return lzma.decompress(raw)
    if stored.suffix == ".gz":
        return gzip.decompress(raw)
    raise ValueError(f"{stored}: not a compressed test data file (.xz or .gz)")


def lay_out(target: Path, entries: dict[str, dict[str, str | int]] | None = None) -> None:
    """Unpack the files of the manifest (or ``entries``) into ``target``, checking each hash."""
    for relative, entry in (manifest() if entries is None else entries).items():
        stored = REPO_ROOT / str(entry["stored"])
        assert stored.is_file(), f"committed test data file missing: {stored}"
        content = unpack(stored)
        digest = hashlib.sha256(content).hexdigest()
        assert digest == entry["sha256"], f"{stored}: content differs from the manifest"
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        path.chmod(0o444)


@functools.cache
def shared_root() -> Path:
    """A folder laid out like ``../shared`` holding the committed subset (made once per process).

    Parallel workers (pytest-xdist) and later runs share it: each lays it out in a private folder
    and renames that into place; whoever comes second uses the first one's folder.
    """
    digest = hashlib.sha256(MANIFEST.read_bytes()).hexdigest()[:16]
    final = Path(tempfile.gettempdir()) / f"lantian-test-shared-{digest}"
    if not (final / ".complete").is_file():
        private = Path(tempfile.mkdtemp(prefix=f"{final.name}-", dir=final.parent))
        lay_out(private)
        (private / ".complete").write_text("ok\n", "utf-8")
        try:
            os.rename(private, final)
        except OSError:  # another worker was first (or a stale incomplete folder is in the way)
            if not (final / ".complete").is_file():
                shutil.rmtree(final, ignore_errors=True)
                with contextlib.suppress(OSError):
                    os.rename(private, final)
            shutil.rmtree(private, ignore_errors=True)
    _verify(final)
    return final


def _verify(root: Path) -> None:
    """Every file is there with its size (a cheap check of a folder laid out earlier)."""
    for relative, entry in manifest().items():
        path = root / relative
        assert path.is_file(), f"{path} missing from the laid-out test data"
        assert path.stat().st_size == entry["bytes"], f"{path}: size differs from the manifest"


def shared_file(relative: str) -> Path:
    """One file of the subset by its path in ``../shared`` (``data/hj212/…``)."""
    assert relative in manifest(), f"{relative} is not in tests/shared/manifest.json"
    return shared_root() / relative
