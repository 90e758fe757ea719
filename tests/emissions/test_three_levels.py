"""A plan whose warning scheme has three levels (no blue) runs with three levels everywhere in
emissions: targets, the optimiser's nested list, the stored list, the Excel export and import.

The plan folder is the shipped plan with its three-level variant as ``warning_rules.toml`` and
the blue entries taken out of ``reduction_targets.toml``; nothing in emissions names a level.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lantian.db.engine import transaction
from lantian.emissions import excel, service
from lantian.emissions.optimiser import Problem, solve_greedy, solve_mip
from lantian.emissions.sample import load_sample_inventory
from lantian.emissions.service import MeasureInput
from lantian.emissions.staggered import plan_staggered
from lantian.emissions.synthetic import generate_city
from lantian.emissions.targets import Pollutant, load_targets, plan_targets
from lantian.errors import InputError
from lantian.plan import (
    DEFAULT_PLAN_DIR,
    REDUCTION_TARGETS_FILE,
    WARNING_RULES_FILE,
    WARNING_RULES_THREE_LEVEL_FILE,
    WarningLevel,
    load_plan,
)
from lantian.warnings.rules import plan_rules

THREE = ("yellow", "orange", "red")


@pytest.fixture(scope="module")
def three_level_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plans") / "three-level"
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    shutil.copyfile(folder / WARNING_RULES_THREE_LEVEL_FILE, folder / WARNING_RULES_FILE)
    targets = (folder / REDUCTION_TARGETS_FILE).read_text(encoding="utf-8")
    targets = re.sub(r"\[levels\.blue\]\n(?:[a-z0-9]+ = [0-9.]+\n)+", "", targets)
    targets = re.sub(r"(?m)^blue = [0-9.]+\n", "", targets)
    assert "blue" not in targets
    (folder / REDUCTION_TARGETS_FILE).write_text(targets, encoding="utf-8")
    return folder


def test_the_plan_and_its_targets_have_three_levels(three_level_folder: Path) -> None:
    plan = load_plan(three_level_folder)
    assert plan.levels.keys == THREE
    assert [level.name_zh for level in plan.levels] == ["黄色预警", "橙色预警", "红色预警"]
    targets = plan_targets(plan)
    assert targets.levels.keys == THREE and set(targets.ratios) == set(THREE)
    assert load_targets(three_level_folder).levels == targets.levels
    assert plan_staggered(plan).transport.freight_cut_levels == {"orange", "red"}


def test_a_blue_target_is_refused_under_the_three_level_scheme(three_level_folder: Path) -> None:
    """The shipped targets name blue: read with the three-level rules they are an error."""
    folder = three_level_folder.parent / "blue-targets"
    shutil.copytree(three_level_folder, folder)
    shutil.copyfile(DEFAULT_PLAN_DIR / REDUCTION_TARGETS_FILE, folder / REDUCTION_TARGETS_FILE)
    with pytest.raises(InputError, match=r"levels\.blue: .*unknown warning level"):
        load_targets(folder)


def test_the_optimiser_chooses_three_steps_per_enterprise(three_level_folder: Path) -> None:
    targets = load_targets(three_level_folder)
    city = generate_city(40, seed=5)
    problem = Problem(city.options, city.baseline, targets, city.other_reductions)
    assert problem.levels == THREE
    for solution in (solve_mip(problem), solve_greedy(problem)):
        assert solution.feasible
        assert all(len(steps) == 3 for steps in solution.steps.values())
        assert all(len(measures) == 3 for measures in solution.measures.values())
        assert set(solution.cost_per_level) == set(THREE)
        assert set(solution.check.reductions) == set(THREE)
        assert {s.level for s in solution.check.shortfalls} <= set(THREE)


def test_lists_store_export_and_import_three_levels(sessions, three_level_folder: Path) -> None:
    targets = load_targets(three_level_folder)
    with transaction(sessions) as session:
        load_sample_inventory(session, count=30, seed=6)
        listed, _ = service.optimise_inventory(session, "zhangsan", targets, 2016)
        assert listed is not None
        list_id = listed.id
    with sessions() as session:
        stored, check = service.check_stored_list(session, list_id, targets)
        assert {m.level for m in stored.measures} <= set(THREE) and check.passes
        content = excel.export_list(
            "三级预警清单", excel.rows_of_list(stored), targets.levels, check, targets
        )
        enterprise = stored.measures[0].enterprise
        daily = service.enterprise_daily(enterprise)
    book = load_workbook(io.BytesIO(content))
    sheet = book[excel.SHEET]
    # After the 6 info and 4 daily columns, one group of 7 columns per level: yellow, orange, red.
    assert [sheet.cell(2, 11 + 7 * i).value for i in range(4)] == [
        "黄色预警（Ⅲ级）",
        "橙色预警（Ⅱ级）",
        "红色预警（Ⅰ级）",
        None,
    ]
    assert sheet.cell(3, 10 + 3 * 7).value and sheet.cell(3, 10 + 3 * 7 + 1).value is None
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    texts += [str(c.value) for row in book[excel.RATIO_SHEET].iter_rows() for c in row if c.value]
    assert not any("蓝" in text or "blue" in text for text in texts)
    # The header fill is a tint of the scheme's colour (#FFD700 for yellow).
    assert sheet.cell(2, 11).fill.fgColor.rgb.endswith("FFF7CC")
    with transaction(sessions) as session:
        imported = excel.import_list(
            session,
            "lisi",
            content,
            name="导入",
            plan="three-level",
            inventory_year=2016,
            levels=targets.levels,
        )
        imported_id = imported.id
    with sessions() as session:
        _, again = service.check_stored_list(session, imported_id, targets)
        assert again.passes
    # A measure at a level the plan does not have is refused by the service, not the database.
    with (
        pytest.raises(InputError, match="unknown warning level 'blue'"),
        transaction(sessions) as session,
    ):
        service.create_list(
            session,
            "lisi",
            name="蓝色",
            plan="three-level",
            inventory_year=2016,
            method="manual",
            levels=targets.levels,
            measures=[
                MeasureInput(enterprise.credit_code, "blue", "stop", "", 1.0, daily),
            ],
        )
    # A list imported with the four-level layout does not fit the three-level columns.
    four = load_targets(DEFAULT_PLAN_DIR)
    with sessions() as session:
        stored, check = service.check_stored_list(session, list_id, targets)
        four_content = excel.export_list("四级", excel.rows_of_list(stored), four.levels)
    with pytest.raises(InputError, match="蓝色预警"):
        excel.parse_list(four_content, {enterprise.credit_code: daily}, targets.levels)
    assert Pollutant.PM in daily


@pytest.mark.parametrize("three", [False, True])
def test_warnings_and_emissions_share_one_definition(three: bool, three_level_folder) -> None:
    """The warnings engine's levels are the plan's WarningLevel values emissions uses."""
    plan = load_plan(three_level_folder if three else DEFAULT_PLAN_DIR)
    rules = plan_rules(plan)
    assert rules.scheme.keys == plan.levels.keys
    assert rules.scheme.top_rank == plan.levels.top_rank == 4
    for level in rules.levels:
        assert isinstance(level, WarningLevel)
        shared = plan.levels.get(level.key)
        assert (shared.rank, shared.name_zh, shared.name_en, shared.colour) == (
            level.rank,
            level.name_zh,
            level.name_en,
            level.colour,
        )
    assert plan_targets(plan).levels.keys == plan.levels.keys
