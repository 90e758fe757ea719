"""Where the campaign plan's files are: the configured plan, or the bundled Xinmi 2017–2018 plan."""

from __future__ import annotations

from pathlib import Path

from lantian.config import Settings
from lantian.errors import InputError

DEFAULT_PLAN = "xinmi-2017-2018"
#: In a source checkout (how `make run` runs lantian) the plans live at the repository's top.
SOURCE_PLANS_DIR = Path(__file__).resolve().parents[2] / "plans"


def plan_dir(settings: Settings) -> Path:
    """The plan folder in force: ``LANTIAN_PLAN_DIR`` or the bundled default plan."""
    candidate = settings.plan_dir or SOURCE_PLANS_DIR / DEFAULT_PLAN
    if not candidate.is_dir():
        raise InputError(
            f"{candidate}: 找不到计划目录 / plan folder not found; set LANTIAN_PLAN_DIR to a plan"
        )
    return candidate
