"""The replayed warning, computed once per module that needs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantian.warnings.replay import Episode
from tests.execution.support import replayed_first_episode


@pytest.fixture(scope="module")
def first_episode(shared_dir: Path) -> Episode:
    return replayed_first_episode(shared_dir)
