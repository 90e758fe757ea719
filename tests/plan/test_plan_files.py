"""Every file kind of a plan folder refuses a misspelt key and a value of the wrong type, naming the
file, the key (or column) and the line; cross-references between files are checked; the shipped
plan passes; ``lantian plan check`` exits 1 on problems and 0 on the shipped plan."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lantian.cli import app
from lantian.plan import (
    DEFAULT_PLAN_DIR,
    PlanError,
    Problem,
    cached_plan,
    default_plan,
    load_file,
    load_plan,
    plan_in_force,
    read_plan,
)
from lantian.plan.schema import WarningRulesFile


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (its first occurrence) by ``new`` in ``file``; expect a problem whose path
    contains ``key`` on the line where ``new`` stands, with ``reason`` in its reason."""

    file: str
    old: str
    new: str
    key: str
    reason: str


TYPOS = [
    Edit(
        "plan.yaml", "campaign_office: gjb", "campaign_ofice: gjb", "campaign_ofice", "Extra inputs"
    ),
    Edit("tasks.yaml", "  - number: 17\n", "  - numbr: 17\n", "numbr", "Extra inputs"),
    Edit(
        "annex.yaml", "    measures: 关闭煤矿", "    measure: 关闭煤矿", "rows[0].measure", "Extra"
    ),
    Edit(
        "inspection.yaml",
        "    handles_cases: true",
        "    handle_cases: true",
        "handle_cases",
        "Extra inputs",
    ),
    Edit(
        "warning_rules.toml", "clean_hours = 36", "clean_hour = 36", "lifting.clean_hour", "Extra"
    ),
    Edit(
        "warning_rules_three_level.toml",
        "clean_hours = 36",
        "clean_hour = 36",
        "lifting.clean_hour",
        "Extra inputs",
    ),
    Edit(
        "reduction_targets.toml",
        "limit_step = 0.10",
        "limit_stp = 0.10",
        "optimiser.limit_stp",
        "Extra inputs",
    ),
    Edit(
        "staggered.toml",
        "approval_exempts = true",
        "approval_exempt = true",
        "rules[4].approval_exempt",
        "Extra inputs",
    ),
    # CSV files: a misspelt column is an unknown column, on line 1.
    Edit(
        "areas.csv",
        "code,name,nbs_name,kind,note",
        "code,name,nbs_name,kind,notes",
        "line 1",
        "notes",
    ),
    Edit(
        "units.csv",
        "code,name,aliases,kind,parent_code,note",
        "code,name,alias,kind,parent_code,note",
        "line 1",
        "alias",
    ),
    Edit("leaders.csv", "name,title,note", "name,titel,note", "line 1", "titel"),
    Edit("calendar.csv", "date,kind,name,source", "date,kind,name,sources", "line 1", "sources"),
    Edit("stations.csv", "code,name,city,tier,", "code,name,city,tiers,", "line 1", "tiers"),
    Edit("adjacency.csv", "area_a,name_a,", "area_a,nam_a,", "line 1", "nam_a"),
    Edit(
        "ban_zones.geojson",
        '"approximate": true',
        '"aproximate": true',
        "features[0].properties.aproximate",
        "Extra inputs",
    ),
    Edit(
        "townships.geojson",
        '"approximate":true',
        '"aproximate":true',
        "features[0].properties.aproximate",
        "Extra inputs",
    ),
    Edit(
        "emission_limits.toml",
        "cems_required = true",
        "cems_requird = true",
        "sectors.power.cems_requird",
        "Extra inputs",
    ),
    Edit("briefing.toml", "bottom_count = 3", "bottom_cout = 3", "bottom_cout", "Extra inputs"),
]

WRONG_TYPES = [
    Edit(
        "townships.geojson",
        '"approximate":true',
        '"approximate":"yes"',
        "features[0].properties.approximate",
        "boolean",
    ),
    Edit(
        "ban_zones.geojson",
        '"approximate": true',
        '"approximate": "yes"',
        "features[0].properties.approximate",
        "boolean",
    ),
    Edit("plan.yaml", "issued_on: 2017-09-26", 'issued_on: "2017-09-26"', "issued_on", "date"),
    Edit(
        "plan.yaml",
        "shift_to_working_day: true",
        'shift_to_working_day: "false"',
        "shift_to_working_day",
        "boolean",
    ),
    Edit(
        "tasks.yaml",
        "  - number: 17\n",
        '  - number: "17"\n',
        "sections[3].tasks[3].number",
        "integer",
    ),
    Edit(
        "annex.yaml",
        "    measures: 关闭煤矿2家，淘汰产能30万吨。",
        "    measures: 30",
        "rows[0].measures",
        "string",
    ),
    Edit(
        "inspection.yaml",
        "    handles_cases: true",
        '    handles_cases: "false"',
        "handles_cases",
        "boolean",
    ),
    Edit(
        "warning_rules.toml",
        "peak_inclusive = true",
        'peak_inclusive = "false"',
        "thresholds.peak_inclusive",
        "boolean",
    ),
    Edit(
        "warning_rules_three_level.toml",
        "clean_hours = 36",
        'clean_hours = "36"',
        "lifting.clean_hours",
        "integer",
    ),
    Edit(
        "reduction_targets.toml",
        "exempt_grade_a = false",
        'exempt_grade_a = "false"',
        "optimiser.exempt_grade_a",
        "boolean",
    ),
    Edit("staggered.toml", "task = 37", 'task = "37"', "rules[0].task", "integer"),
    Edit(
        "emission_limits.toml",
        "reference_o2 = 6.0",
        'reference_o2 = "six"',
        "sectors.power.reference_o2",
        "number",
    ),
    Edit("briefing.toml", "bottom_count = 3", 'bottom_count = "3"', "bottom_count", "integer"),
    # CSV: the cell of the wrong type, named by its line and column.
    Edit("areas.csv", "410183101,米村镇", "41018310x,米村镇", "code", "wrong format"),
    Edit("units.csv", ",department,", ",departmnt,", "kind", "department"),
    Edit("leaders.csv", "姬贤杰,副市长,", "姬贤杰,,", "title", "must not be empty"),
    Edit("calendar.csv", "2017-01-01,holiday", "2017-13-01,holiday", "date", "date"),
    Edit("stations.csv", ",3600", ",hourly", "reporting_interval_s", "integer"),
    Edit(
        "adjacency.csv",
        "410183001,青屏街街道,410183002",
        "410183001,青屏街街道,4101830",
        "area_b",
        "wrong format",
    ),
]

FILE_KINDS = {
    "plan.yaml",
    "tasks.yaml",
    "annex.yaml",
    "inspection.yaml",
    "areas.csv",
    "units.csv",
    "leaders.csv",
    "calendar.csv",
    "stations.csv",
    "adjacency.csv",
    "warning_rules.toml",
    "warning_rules_three_level.toml",
    "reduction_targets.toml",
    "staggered.toml",
    "ban_zones.geojson",
    "townships.geojson",
    "emission_limits.toml",
    "briefing.toml",
}


def test_every_file_kind_of_the_shipped_plan_is_covered() -> None:
    shipped = {path.name for path in DEFAULT_PLAN_DIR.iterdir()} - {"README.md"}
    assert shipped == FILE_KINDS
    assert {edit.file for edit in TYPOS} == FILE_KINDS
    assert {edit.file for edit in WRONG_TYPES} == FILE_KINDS


def planted(tmp_path: Path, edits: list[Edit]) -> tuple[Path, dict[Edit, int]]:
    """A copy of the shipped plan with ``edits``; the line each edit stands on."""
    folder = tmp_path / "plan"
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    lines = {}
    for edit in edits:
        path = folder / edit.file
        text = path.read_text("utf-8")
        assert edit.old in text, f"{edit.old!r} not in {edit.file}"
        text = text.replace(edit.old, edit.new, 1)
        path.write_text(text, "utf-8")
        lines[edit] = text[: text.index(edit.new)].count("\n") + 1
    return folder, lines


def found(problems: list[Problem], edit: Edit, line: int) -> bool:
    return any(
        p.file == edit.file and edit.key in p.path and edit.reason in p.reason and p.line == line
        for p in problems
    )


@pytest.mark.parametrize("edit", TYPOS, ids=lambda e: f"{e.file}:{e.key}")
def test_a_misspelt_key_is_refused_with_file_key_and_line(tmp_path: Path, edit: Edit) -> None:
    folder, lines = planted(tmp_path, [edit])
    problems = read_plan(folder).problems
    line = 1 if edit.file.endswith(".csv") else lines[edit]
    assert found(problems, edit, line), "\n".join(map(str, problems))
    with pytest.raises(PlanError) as refused:
        load_plan(folder)
    assert f"{edit.file}:{line}: " in str(refused.value)


@pytest.mark.parametrize("edit", WRONG_TYPES, ids=lambda e: f"{e.file}:{e.key}")
def test_a_value_of_the_wrong_type_is_refused_with_file_key_and_line(
    tmp_path: Path, edit: Edit
) -> None:
    folder, lines = planted(tmp_path, [edit])
    problems = read_plan(folder).problems
    assert found(problems, edit, lines[edit]), "\n".join(map(str, problems))
    if edit.file.endswith(".csv"):
        # The CSV problem names the row's line and the column, and shows the value.
        assert any(f"line {lines[edit]}, {edit.key}" == p.path for p in problems)


def test_the_shipped_plan_passes_and_holds_every_file() -> None:
    plan = load_plan(DEFAULT_PLAN_DIR)
    assert plan.problems == []
    assert plan.plan is not None and plan.plan.code == "xinmi-2017-2018"
    assert len(plan.stations) == 15 and len(plan.adjacency) == 36
    assert plan.level_keys() == ["blue", "yellow", "orange", "red"]
    assert plan.warning_rules_three_level is not None
    assert plan.warning_rules_three_level.level_keys() == ["yellow", "orange", "red"]
    assert plan.reduction_targets is not None and plan.staggered is not None
    assert len(plan.staggered.rules) == 5
    assert plan.ban_zones is not None and plan.ban_zones.features[0].properties.approximate


CROSS_REFERENCES = [
    (
        Edit(
            "ban_zones.geojson",
            '"area_codes": ["410183001"',
            '"area_codes": ["410183997"',
            "area_codes[0]",
            "unknown area",
        ),
        "ban_zones.geojson",
    ),
    (
        Edit(
            "stations.csv",
            "township,410183101,",
            "township,410183999,",
            "area_code",
            "unknown area",
        ),
        "stations.csv",
    ),
    (
        Edit(
            "adjacency.csv",
            "410183001,青屏街街道,410183002",
            "410183001,青屏街街道,410183998",
            "area_b",
            "unknown area",
        ),
        "adjacency.csv",
    ),
    (
        Edit(
            "reduction_targets.toml",
            "[levels.blue]",
            "[levels.purple]",
            "levels.purple",
            "not a level",
        ),
        "reduction_targets.toml",
    ),
    (
        Edit(
            "reduction_targets.toml",
            "blue = 1.0",
            "bleu = 1.0",
            "optimiser.days_per_level.bleu",
            "not a level",
        ),
        "reduction_targets.toml",
    ),
    (
        Edit(
            "staggered.toml",
            'freight_cut_levels = ["orange", "red"]',
            'freight_cut_levels = ["orange", "crimson"]',
            "transport.freight_cut_levels[1]",
            "not a level",
        ),
        "staggered.toml",
    ),
    (
        Edit("warning_rules.toml", 'min_level = "orange"', 'min_level = "amber"', "(top)", "amber"),
        "warning_rules.toml",
    ),
    (
        Edit(
            "inspection.yaml",
            "    - {name: 郭剑涛, unit: czj, post: 副局长}\n",
            "    - {name: 郭剑涛, unit: czjj, post: 副局长}\n",
            "leadership_group.members[21].unit",
            "unknown unit code 'czjj'",
        ),
        "inspection.yaml",
    ),
]


@pytest.mark.parametrize(("edit", "file"), CROSS_REFERENCES, ids=lambda x: getattr(x, "key", x))
def test_cross_references_are_checked(tmp_path: Path, edit: Edit, file: str) -> None:
    folder, lines = planted(tmp_path, [edit])
    problems = read_plan(folder).problems
    assert any(
        p.file == file and edit.key in p.path and edit.reason in p.reason for p in problems
    ), "\n".join(map(str, problems))
    # A YAML cross-reference problem carries the line of the key it names.
    if file.endswith(".yaml") or file.endswith(".csv"):
        assert any(p.line == lines[edit] for p in problems if p.file == file)


def test_a_toml_syntax_error_names_its_line(tmp_path: Path) -> None:
    folder, _ = planted(
        tmp_path, [Edit("staggered.toml", 'start = "11-15"', "start = 11-15-", "", "")]
    )
    (problem,) = [p for p in read_plan(folder).problems if p.file == "staggered.toml"]
    assert "TOML syntax error" in problem.reason and problem.line is not None


def test_a_rules_file_on_its_own_is_checked_like_the_plan(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    text = (DEFAULT_PLAN_DIR / "warning_rules.toml").read_text("utf-8")
    rules.write_text(text.replace("clean_hours = 36", "clean_hour = 36"), "utf-8")
    with pytest.raises(PlanError, match=r"rules.toml:81: lifting.clean_hour: .*Extra inputs"):
        load_file(rules, WarningRulesFile)


def test_the_plan_in_force_is_read_once_and_follows_lantian_plan_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lantian.config import Settings

    assert default_plan() is default_plan() is cached_plan(DEFAULT_PLAN_DIR)
    folder, _ = planted(tmp_path, [])
    monkeypatch.setenv("LANTIAN_PLAN_DIR", str(folder))
    other = plan_in_force(Settings())
    assert other.folder == folder.resolve() and other is not default_plan()
    assert plan_in_force(Settings()) is other


def test_the_warning_levels_are_the_plans() -> None:
    """The warning scheme's levels are the one definition: the rules the engine grades with."""
    from lantian.warnings.rules import plan_rules

    plan = default_plan()
    rules = plan_rules(plan)
    assert [level.key for level in reversed(rules.levels)] == plan.level_keys()
    assert plan_rules(plan) is rules  # converted once per plan


def test_cli_check_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    shipped = runner.invoke(app, ["plan", "check", str(DEFAULT_PLAN_DIR)], env={"COLUMNS": "250"})
    assert shipped.exit_code == 0, shipped.output
    assert "blue/yellow/orange/red" in shipped.output
    folder, lines = planted(tmp_path, [TYPOS[4], WRONG_TYPES[-2]])
    broken = runner.invoke(app, ["plan", "check", str(folder)], env={"COLUMNS": "250"})
    assert broken.exit_code == 1
    assert "warning_rules.toml" in broken.output and "lifting.clean_hour" in broken.output
    assert str(lines[TYPOS[4]]) in broken.output
    assert "stations.csv" in broken.output and "reporting_interval_s" in broken.output
    assert "2 处问题 / problem(s)" in broken.output
    missing = runner.invoke(app, ["plan", "check", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1


def test_the_web_app_holds_the_plan_read_once(tmp_path: Path) -> None:
    from lantian.config import Settings
    from lantian.web.app import create_app

    settings = Settings(data_dir=tmp_path)
    first, second = create_app(settings), create_app(settings)
    assert first.state.plan is second.state.plan is plan_in_force(settings)


def test_an_app_on_a_plan_with_problems_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lantian.config import Settings
    from lantian.web.app import create_app

    folder, _ = planted(tmp_path, [TYPOS[4]])
    settings = Settings(data_dir=tmp_path, plan_dir=folder)
    with pytest.raises(PlanError, match=r"lifting\.clean_hour"):
        create_app(settings)
