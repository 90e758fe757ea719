"""Fixtures of the ingest tests: the shared CNEMC files (``../shared`` or LANTIAN_SHARED)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_root() -> Path:
    return Path(os.environ.get("LANTIAN_SHARED", REPO_ROOT / ".." / "shared")).resolve()


@pytest.fixture(scope="session")
def cnemc_dir() -> Path:
    path = shared_root() / "data" / "cnemc"
    if not path.is_dir():
        pytest.skip(f"CNEMC data not found at {path} (set LANTIAN_SHARED)")
    return path
