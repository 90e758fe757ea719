"""The campaign plan as data: one typed model per plan file, one reader, read once.

A plan folder (docs/plan-files.md) holds everything a city's campaign plan decides: the document,
its tasks and annex, the inspection-support plan, the directories of areas, units, leaders,
holidays, stations and township adjacency, the warning scheme (the one definition of the warning
levels), the reduction targets per level and the staggered-production rules.

* :func:`load_plan` reads and checks a folder once and returns the frozen :class:`Plan`
  (:class:`PlanError` lists every problem); :func:`read_plan` returns the plan with its
  problems instead (``lantian plan check``).
* :func:`plan_in_force` is the plan the platform runs on — ``LANTIAN_PLAN_DIR`` or the default
  plan shipped inside the package — loaded once per folder in a process. Commands call it when
  they start; the web app holds it on ``app.state.plan`` (see :func:`lantian.web.app.create_app`).
"""

from __future__ import annotations

from pathlib import Path
from threading import Lock

from lantian.config import Settings, get_settings
from lantian.errors import InputError
from lantian.plan.levels import LevelKey, LevelScheme, WarningLevel
from lantian.plan.loader import (
    ADJACENCY_FILE,
    BAN_ZONES_FILE,
    INSPECTION_FILE,
    REDUCTION_TARGETS_FILE,
    STAGGERED_FILE,
    STATIONS_FILE,
    TOWNSHIPS_FILE,
    WARNING_RULES_FILE,
    WARNING_RULES_THREE_LEVEL_FILE,
    Plan,
    PlanError,
    PlanTask,
    load_file,
    load_plan,
    read_inspection,
    read_plan,
)
from lantian.plan.reading import Problem

DEFAULT_PLAN = "xinmi-2017-2018"
#: The plans shipped with lantian, inside the package (so an installed wheel has them).
PLANS_DIR = Path(__file__).resolve().parent / "default"
DEFAULT_PLAN_DIR = PLANS_DIR / DEFAULT_PLAN

_loaded: dict[Path, Plan] = {}
_lock = Lock()


def plan_dir(settings: Settings | None = None) -> Path:
    """The plan folder in force: ``LANTIAN_PLAN_DIR`` or the default plan shipped in the package."""
    settings = settings if settings is not None else get_settings()
    candidate = settings.plan_dir or DEFAULT_PLAN_DIR
    if not candidate.is_dir():
        raise InputError(
            f"{candidate}: 找不到计划目录 / plan folder not found; set LANTIAN_PLAN_DIR to a plan"
        )
    return candidate


def cached_plan(folder: Path) -> Plan:
    """:func:`load_plan` of ``folder``, read once per process (the plan does not change while the
    platform runs; restart it after editing the plan)."""
    key = folder.resolve()
    with _lock:
        plan = _loaded.get(key)
        if plan is None:
            plan = _loaded[key] = load_plan(key)
        return plan


def plan_in_force(settings: Settings | None = None) -> Plan:
    """The plan the platform runs on (``LANTIAN_PLAN_DIR`` or the default), read once."""
    return cached_plan(plan_dir(settings))


def default_plan() -> Plan:
    """The default plan shipped with lantian (Xinmi 2017–2018), read once; what tests use."""
    return cached_plan(DEFAULT_PLAN_DIR)


__all__ = [
    "ADJACENCY_FILE",
    "BAN_ZONES_FILE",
    "DEFAULT_PLAN",
    "DEFAULT_PLAN_DIR",
    "INSPECTION_FILE",
    "PLANS_DIR",
    "REDUCTION_TARGETS_FILE",
    "STAGGERED_FILE",
    "STATIONS_FILE",
    "TOWNSHIPS_FILE",
    "WARNING_RULES_FILE",
    "WARNING_RULES_THREE_LEVEL_FILE",
    "LevelKey",
    "LevelScheme",
    "Plan",
    "PlanError",
    "PlanTask",
    "Problem",
    "WarningLevel",
    "cached_plan",
    "default_plan",
    "load_file",
    "load_plan",
    "plan_dir",
    "plan_in_force",
    "read_inspection",
    "read_plan",
]
