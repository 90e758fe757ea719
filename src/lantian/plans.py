"""Where the campaign plan's files are: the configured plan, or the bundled Xinmi 2017–2018 plan."""

from __future__ import annotations

import csv
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


def code_names(plan: Path | None, table: str) -> dict[str, str]:
    """Code → name from a plan's directory table (``areas.csv``, ``units.csv``: columns ``code``
    and ``name``); empty when the plan or the table is absent. ``lantian plan check`` validates
    the tables; readers that only need names use this."""
    path = plan / table if plan is not None else None
    if path is None or not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"code", "name"} <= set(reader.fieldnames):
            return {}
        return {
            row["code"].strip(): row["name"].strip()
            for row in reader
            if row.get("code") and row.get("name")
        }
