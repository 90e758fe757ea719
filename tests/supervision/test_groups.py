"""The supervision view of the plan's inspection.yaml (lantian.supervision.groups).

The file itself is checked against the seed in tests/campaign/test_seed_transcription.py; here:
what duty rosters, daily reports and the pages read from it, and that a wrong file is refused.
"""

from __future__ import annotations

import shutil
from datetime import time
from pathlib import Path

import pytest

from lantian.errors import InputError
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.supervision.groups import read_plan, split_duties

PLAN = DEFAULT_PLAN_DIR


def test_the_five_groups_their_codes_and_the_rules() -> None:
    plan = read_plan(PLAN)
    assert [(g.code, g.name) for g in plan.groups] == [
        ("general_coordination", "综合协调组"),
        ("secretariat_publicity", "文秘宣传组"),
        ("site_support_cases", "现场保障及案件查办组"),
        ("accountability", "责任追究组"),
        ("logistics", "后勤保障组"),
    ]
    assert [len(g.members) for g in plan.groups] == [15, 4, 11, 3, 4]
    assert plan.report_due == time(17, 0) and plan.utc_offset_hours == 8
    assert plan.collected_by == "general_coordination" == plan.duty_group
    assert plan.reporting_groups == tuple(g.code for g in plan.groups)
    assert plan.summary_to == "总协调联络办公室主任"
    assert plan.group("site_support_cases").handles_cases
    assert plan.accountability_group is plan.group("accountability")
    assert plan.group("accountability").decides_accountability
    assert plan.group("site_support_cases").field_staff is not None
    assert len(plan.leading_group.members) == 22
    assert [p.name for p in plan.office.leaders] == ["杨晓辉", "周建凯"]
    assert plan.rules[0].endswith("并报总协调联络办公室主任批准。") and len(plan.rules) == 5
    assert plan.source == "新密政文〔2017〕183号 配套方案"


def test_posts_are_printed_as_in_the_seed() -> None:
    """The supervision pages show "<unit><post>": units.csv's name, or the seed's own words."""
    plan = read_plan(PLAN)
    leader = plan.group("general_coordination").leaders[0]
    assert (leader.name, leader.post, leader.unit) == ("朱建伟", "市环保局副局长", "hbj")
    people = {p.name: p for g in plan.groups for p in g.everyone}
    assert people["范慧媛"].post == "市环境攻坚办工作人员"  # gjb, printed with its alias
    assert people["黄留军"].post == "市交警大队党总支副书记"
    assert plan.leading_group.leaders[0].post == "副市长"  # the seed prints no unit


def test_duties_are_split_at_the_semicolon() -> None:
    assert split_duties("负责甲；负责乙，及丙；负责丁。") == ("负责甲", "负责乙，及丙", "负责丁")
    plan = read_plan(PLAN)
    assert len(plan.group("general_coordination").duties) == 6
    assert plan.group("general_coordination").duties[0] == (
        "负责环保部在新密市强化督查、巡查期间的 24 小时值班工作"
    )
    assert plan.office.duties[-1] == "负责调度、指挥 5 个专项工作小组开展具体工作"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  - key: logistics\n", "  - key: accountability\n", "repeated"),
        ("    to_group: general_coordination\n", "    to_group: office\n", "to_group"),
        ("    group: general_coordination\n", "    group: duty_team\n", "rules.duty.group"),
        ("due_local_time: '17:00'", "due_local_time: 5pm", "due_local_time"),
        ("unit_text: 市环境攻坚办", "unit_text: 市环保局", "not a name or alias of unit 'gjb'"),
        ("    article: 3\n", "    article: 6\n", "there are 5 articles"),
        ("{name: 郝聪, unit: jgxzxnjczx, post: 副主任}", "{name: 郝聪, unit: jgxzxnjczx}", "post"),
        ("working_groups:\n", "working_groups: [\n", "YAML syntax error"),
    ],
)
def test_a_wrong_file_is_refused_with_the_place(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    for name in ("inspection.yaml", "units.csv"):
        shutil.copy(PLAN / name, folder / name)
    text = (folder / "inspection.yaml").read_text("utf-8")
    assert text.count(old) == 1, old
    (folder / "inspection.yaml").write_text(text.replace(old, new), "utf-8")
    with pytest.raises(InputError, match=message):
        read_plan(folder)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file missing"):
        read_plan(tmp_path)
