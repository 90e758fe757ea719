"""Fixtures of the standards tests: the shared spec and data (``../shared`` or LANTIAN_SHARED)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_root() -> Path:
    return Path(os.environ.get("LANTIAN_SHARED", REPO_ROOT / ".." / "shared")).resolve()


@pytest.fixture(scope="session")
def spec_text() -> str:
    path = shared_root() / "spec" / "standards.md"
    if not path.is_file():
        pytest.skip(f"spec not found at {path} (set LANTIAN_SHARED)")
    return path.read_text("utf-8")
