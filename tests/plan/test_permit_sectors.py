"""Task 22's sectors and permit deadlines as plan data (``permit_sectors`` in tasks.yaml): read into
typed sectors; a bad date, a deadline that is not the task's, a sector the quoted words do not name
and a quote that is not the task's are each reported with the file and the line."""

from __future__ import annotations

import shutil
from pathlib import Path

from lantian.plan import DEFAULT_PLAN_DIR, read_plan
from lantian.plan.loader import TASKS_FILE

POWER = """    - key: power
      name: 电力
      deadline: 2017-10-31
"""


def copied(tmp_path: Path) -> Path:
    folder = tmp_path / "plan"
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    return folder


def edited(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of the default plan with ``old`` replaced in tasks.yaml; and the edit's first line."""
    folder = copied(tmp_path)
    path = folder / TASKS_FILE
    text = path.read_text("utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), "utf-8")
    return folder, text[: text.index(old)].count("\n") + 1


def test_the_default_plan_sets_six_sectors_with_the_tasks_two_deadlines() -> None:
    plan = read_plan(DEFAULT_PLAN_DIR)
    assert plan.problems == []
    sectors = plan.permit_sectors()
    assert [s.name for s in sectors.values()] == [
        "电力",
        "水泥",
        "铜铅锌冶炼",
        "电解铝",
        "原料药制造",
        "农药",
    ]
    assert sectors["cement"].industries == ["cement", "cement_grinding"]
    assert {str(s.deadline) for s in sectors.values()} == {"2017-10-31", "2017-12-31"}


def test_a_bad_date_is_reported_with_its_line(tmp_path: Path) -> None:
    folder, line = edited(tmp_path, POWER, POWER.replace("2017-10-31", "2017-10-32"))
    problems = read_plan(folder).problems
    (problem,) = [p for p in problems if "permit_sectors" in p.path]
    assert problem.file == TASKS_FILE and problem.line == line + 2
    assert problem.path.endswith("permit_sectors[0].deadline")


def test_a_deadline_not_among_the_tasks_is_reported_with_its_line(tmp_path: Path) -> None:
    folder, line = edited(tmp_path, POWER, POWER.replace("2017-10-31", "2017-11-30"))
    problems = read_plan(folder).problems
    (problem,) = [p for p in problems if "permit_sectors" in p.path]
    assert problem.file == TASKS_FILE and problem.line == line + 2
    assert "2017-11-30" in problem.reason and "2017-10-31" in problem.reason


def test_an_unknown_sector_and_a_foreign_quote_are_reported(tmp_path: Path) -> None:
    folder, line = edited(tmp_path, POWER, POWER.replace("电力", "钢铁"))
    problems = read_plan(folder).problems
    (problem,) = [p for p in problems if "permit_sectors" in p.path]
    assert problem.file == TASKS_FILE and problem.line == line + 1
    assert "钢铁" in problem.reason and problem.path.endswith(".name")
    old = "      source: 在2017年10月底前，全部完成电力、水泥企业排污许可证发放工作。\n    - key: cement"
    folder, _ = edited(
        tmp_path / "quote",
        old,
        old.replace("全部完成电力、水泥", "全部完成电力、钢铁、水泥"),
    )
    problems = read_plan(folder).problems
    (problem,) = [p for p in problems if "permit_sectors" in p.path]
    assert problem.path.endswith("permit_sectors[0].source") and problem.line is not None


def test_a_sector_twice_is_reported(tmp_path: Path) -> None:
    second = POWER.replace("  - key: power", "  - key: cement")
    folder, _ = edited(tmp_path, POWER, second)
    problems = [p for p in read_plan(folder).problems if "permit_sectors" in p.path]
    assert any("重复" in p.reason for p in problems)
