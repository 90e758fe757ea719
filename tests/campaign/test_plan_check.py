"""`lantian plan check` on copies of the Xinmi plan with planted mistakes: each one is reported with
its file, its path inside the file and a reason; all of them together are reported at once."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lantian.cli import app
from lantian.plan import DEFAULT_PLAN_DIR, Problem, read_plan

PLAN = DEFAULT_PLAN_DIR


@dataclass(frozen=True)
class Mistake:
    """Replace ``old`` (exactly once) by ``new`` in ``file``; expect a problem at ``path``."""

    name: str
    file: str
    old: str
    new: str
    path: str
    reason: str  # a fragment of the reason


MISTAKES = [
    Mistake(
        "unknown lead unit",
        "tasks.yaml",
        "    lead_units: [mtj]\n",
        "    lead_units: [mtjx]\n",
        "sections[2].tasks[2].lead_units[0]",
        "unknown unit code 'mtjx'",
    ),
    Mistake(
        "lead unit differs from the seed's words",
        "tasks.yaml",
        "    lead_units: [mtj]\n",
        "    lead_units: [hbj]\n",
        "sections[2].tasks[2].lead_units",
        "differ from the text",
    ),
    Mistake(
        "leader differs from the seed's words",
        "tasks.yaml",
        "    leaders: [张宏杰]\n    leaders_text: 张宏杰副市长\n    lead_units: [mtj]",
        "    leaders: [辛绍河]\n    leaders_text: 张宏杰副市长\n    lead_units: [mtj]",
        "sections[2].tasks[2].leaders",
        "differ from the text",
    ),
    Mistake(
        "unknown leader",
        "tasks.yaml",
        "    leaders: [杨洋]\n",
        "    leaders: [杨阳]\n",
        "sections[9].tasks[0].leaders[0]",
        "unknown leader",
    ),
    Mistake(
        "task number repeated and missing",
        "tasks.yaml",
        "  - number: 17\n",
        "  - number: 18\n",
        "sections[*].tasks",
        "repeated [18]; 缺少 missing [17]",
    ),
    Mistake(
        "target key used twice",
        "tasks.yaml",
        "    - key: township_stations\n",
        "    - key: urban_stations\n",
        "targets.urban_stations",
        "used 2 times",
    ),
    Mistake(
        "unknown cooperating unit in the text",
        "tasks.yaml",
        "    cooperating_units_text: 市工信委、交运局、公安局、工商质监局\n",
        "    cooperating_units_text: 市工信委、交运局、公安局、工商质检局\n",
        "sections[7].tasks[0].items[2].cooperating_units_text",
        "'工商质检局' is neither a unit name nor an alias",
    ),
    Mistake(
        "responsible areas differ from the text",
        "tasks.yaml",
        "    responsible_areas:\n      text: 各乡镇政府、街道办事处\n      all_of: [township, subdistrict]\n",
        "    responsible_areas:\n      text: 各乡镇政府、街道办事处\n      all_of: [township]\n",
        "sections[2].tasks[2].responsible_areas.all_of",
        "differs from the text",
    ),
    Mistake(
        "deadline far from the plan's years",
        "tasks.yaml",
        "      date: 2017-12-31\n      what: 关闭煤矿2家以上",
        "      date: 2071-12-31\n      what: 关闭煤矿2家以上",
        "sections[2].tasks[2].deadlines[0].date",
        "far from the plan's years",
    ),
    Mistake(
        "deadline without its date",
        "tasks.yaml",
        "    - kind: by\n      date: 2017-12-31\n      what: 关闭煤矿2家以上",
        "    - kind: by\n      what: 关闭煤矿2家以上",
        "sections[2].tasks[2].deadlines[0]",
        "needs a date",
    ),
    Mistake(
        "percentage above 100",
        "tasks.yaml",
        "      value: 85\n",
        "      value: 850\n",
        "sections[7].tasks[3].targets[0].value",
        "outside 0–100",
    ),
    Mistake(
        "misspelt key",
        "tasks.yaml",
        "    lead_units: [mtj]\n",
        "    lead_unit: [mtj]\n",
        "sections[2].tasks[2].lead_unit",
        "Extra inputs are not permitted",
    ),
    Mistake(
        "unknown period",
        "tasks.yaml",
        "    - kind: period\n      period: heating_season\n      what: 未实现",
        "    - kind: period\n      period: heating_seasons\n      what: 未实现",
        "sections[2].tasks[1].deadlines[0].period",
        "no period 'heating_seasons'",
    ),
    Mistake(
        "alias claimed by two units",
        "units.csv",
        "gxw,市工信委,工信委,",
        "gxw,市工信委,工信委|环保局,",
        "gxw.aliases",
        "belongs to both hbj and gxw",
    ),
    Mistake(
        "area code of eight digits",
        "areas.csv",
        "410183101,米村镇",
        "41018310,米村镇",
        "line 7, code",
        "wrong format",
    ),
    Mistake(
        "annex refers to an unknown target",
        "annex.yaml",
        "    target_keys: [central_heating_coverage]\n",
        "    target_keys: [central_heating_coverag]\n",
        "rows[8].target_keys[0]",
        "no target 'central_heating_coverag'",
    ),
    Mistake(
        "annex refers to an unknown task",
        "annex.yaml",
        "    tasks: ['27']\n",
        "    tasks: ['72']\n",
        "rows[14].tasks[0]",
        "no task '72'",
    ),
    Mistake(
        "period ends before it starts",
        "plan.yaml",
        "    start: 2017-11-15\n    end: 2018-03-15\n",
        "    start: 2017-11-15\n    end: 2017-03-15\n",
        "periods.heating_season",
        "ends before it starts",
    ),
    Mistake(
        "make-up working day on a weekday",
        "calendar.csv",
        "2017-09-30,workday",
        "2017-09-29,workday",
        "2017-09-29",
        "must fall on a weekend",
    ),
    Mistake(
        "inspection plan member of an unknown unit",
        "inspection.yaml",
        "    - {name: 郭剑涛, unit: czj, post: 副局长}\n",
        "    - {name: 郭剑涛, unit: czjj, post: 副局长}\n",
        "leadership_group.members[21].unit",
        "unknown unit code 'czjj'",
    ),
    Mistake(
        "YAML syntax error",
        "inspection.yaml",
        "    - {name: 郭剑涛, unit: czj, post: 副局长}\n",
        "    - {name: 郭剑涛, unit: czj, post: 副局长\n",
        "line 46, column 20",  # where the parser noticed the unclosed mapping
        "YAML syntax error",
    ),
    Mistake(
        "date that does not exist",
        "tasks.yaml",
        "      date: 2017-09-30\n      what: 列入淘汰类",
        "      date: 2017-09-31\n      what: 列入淘汰类",
        # located at the date itself (it was "(file)" while PyYAML's bare error gave no position)
        "sections[1].tasks[0].deadlines[0].date",
        "day is out of range",
    ),
]


def planted(tmp_path: Path, mistakes: list[Mistake]) -> Path:
    folder = tmp_path / "plan"
    shutil.copytree(PLAN, folder)
    for mistake in mistakes:
        path = folder / mistake.file
        text = path.read_text("utf-8")
        assert text.count(mistake.old) >= 1, (
            f"{mistake.name}: {mistake.old!r} not in {mistake.file}"
        )
        path.write_text(text.replace(mistake.old, mistake.new, 1), "utf-8")
    return folder


def reported(problems: list[Problem], mistake: Mistake) -> bool:
    return any(
        p.file in (mistake.file, "(plan)") and p.path == mistake.path and mistake.reason in p.reason
        for p in problems
    )


def test_the_plan_as_shipped_has_no_problem() -> None:
    assert read_plan(PLAN).problems == []


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_each_planted_mistake_is_reported(tmp_path: Path, mistake: Mistake) -> None:
    problems = read_plan(planted(tmp_path, [mistake])).problems
    assert reported(problems, mistake), "\n".join(map(str, problems))


def test_all_mistakes_at_once_are_all_reported(tmp_path: Path) -> None:
    """Mistakes in different places do not hide one another (one pass fixes them all).

    Left out: the ones that make a whole file unreadable (syntax, impossible date, misspelt key,
    a deadline without date), which necessarily stop that file's cross-checks, and those that
    overlap another mistake's text.
    """
    structural = {
        "YAML syntax error",
        "date that does not exist",
        "misspelt key",
        "deadline without its date",
        "lead unit differs from the seed's words",
        "leader differs from the seed's words",
        "responsible areas differ from the text",
        "deadline far from the plan's years",
    }
    together = [m for m in MISTAKES if m.name not in structural]
    problems = read_plan(planted(tmp_path, together)).problems
    missing = [m.name for m in together if not reported(problems, m)]
    assert missing == [], "\n".join(map(str, problems))


def test_cli_check_lists_problems_and_exits_1(tmp_path: Path) -> None:
    folder = planted(tmp_path, [MISTAKES[0], MISTAKES[14]])
    result = CliRunner().invoke(app, ["plan", "check", str(folder)], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    assert "sections[2].tasks[2].lead_units[0]" in result.output
    assert "mtjx" in result.output
    assert "areas.csv" in result.output and "line 7, code" in result.output
    # The unknown code is also reported as differing from the seed's words (市煤炭局 → mtj), and
    # the station, the five adjacency.csv rows and the township polygon of 米村镇 (410183101) as
    # naming an unknown area.
    assert f"{len(read_plan(folder).problems)} 处问题" in result.output
    problems = read_plan(folder).problems
    assert len(problems) == 10
    assert [p.file for p in problems].count("adjacency.csv") == 5
    assert [p.file for p in problems].count("stations.csv") == 1
    assert [p.file for p in problems].count("townships.geojson") == 1


def test_cli_check_passes_on_the_shipped_plan() -> None:
    result = CliRunner().invoke(app, ["plan", "check", str(PLAN)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "42 项任务" in result.output and "55" in result.output
