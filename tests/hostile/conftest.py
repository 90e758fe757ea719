"""Fixtures of the hostile-file tests (a small upload limit, the faces), and the figure in the test
summary: files × faces tried, and how many were refused with the message and nothing written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine

from lantian.config import get_settings
from tests.hostile.corpus import SMALL_LIMIT
from tests.hostile.faces import Faces


@pytest.fixture(autouse=True)
def small_upload_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The corpus runs under a 64 KiB upload limit (a setting), so "oversized" stays cheap."""
    monkeypatch.setenv("LANTIAN_UPLOAD_MAX_BYTES", str(SMALL_LIMIT))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def faces(db_engine: Engine, tmp_path: Path, lantian: Callable[..., Result]) -> Faces:
    return Faces(db_engine, tmp_path, lantian)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tried = refused = 0
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            properties = dict(getattr(report, "user_properties", ()))
            tried += int(properties.get("hostile_tried", 0))
            refused += int(properties.get("hostile_refused", 0))
    if tried:
        terminalreporter.write_sep("=", "hostile files")
        terminalreporter.write_line(
            f"hostile files × faces tried: {tried}, refused with the message and nothing "
            f"written: {refused}"
        )
