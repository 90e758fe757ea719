"""The Xinmi inspection-support file against the seed's second document it transcribes."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest

from lantian.errors import InputError
from lantian.supervision.groups import read_plan

PLAN = Path(__file__).resolve().parents[2] / "plans" / "xinmi-2017-2018"


@pytest.fixture(scope="module")
def seed_text(shared_dir: Path) -> str:
    text = (shared_dir / "seed" / "000_c14b292a439deac3.txt").read_text(encoding="utf-8")
    second = text[text.index("强化督查巡查工作方案\n\n按照国家环保部") :]
    return re.sub(r"\s+", "", second)  # the document's line breaks and spaces are typesetting


def test_the_five_groups_in_the_seeds_order() -> None:
    plan = read_plan(PLAN)
    assert [g.name for g in plan.groups] == [
        "综合协调组",
        "文秘宣传组",
        "现场保障及案件查办组",
        "责任追究组",
        "后勤保障组",
    ]
    assert [len(g.members) for g in plan.groups] == [15, 4, 11, 3, 4]
    assert plan.report_due == time(17, 0) and plan.utc_offset_hours == 8
    assert plan.collected_by == "general_coordination" == plan.duty_group
    assert plan.group("site_support_cases").handles_cases
    assert plan.group("accountability").decides_accountability
    assert len(plan.leading_group.members) == 22
    assert [p.name for p in plan.office.leaders] == ["杨晓辉", "周建凯"]
    assert len(plan.rules) == 5


def test_every_name_post_and_duty_is_in_the_seed(seed_text: str) -> None:
    plan = read_plan(PLAN)
    everyone = [
        *plan.leading_group.everyone,
        *plan.office.everyone,
        *(p for g in plan.groups for p in g.everyone),
    ]
    for person in everyone:
        assert re.sub(r"\s+", "", person.name + person.post) in seed_text, person
    for group in (*plan.groups, plan.office, plan.leading_group):
        for duty in group.duties:
            assert re.sub(r"\s+", "", duty) in seed_text, duty
    for rule in plan.rules:
        assert re.sub(r"\s+", "", rule) in seed_text


def test_unit_codes_name_the_units_of_the_posts() -> None:
    plan = read_plan(PLAN)
    expected = {"hbj": "环", "zjj": "住建局", "gaj": ("公安局", "交警"), "zfj": "执法局",
                "gxw": "工信委", "fgw": "发展改革委", "jyj": "交运局"}  # fmt: skip
    people = [p for g in (*plan.groups, plan.leading_group, plan.office) for p in g.everyone]
    assert {p.unit for p in people if p.unit} == set(expected)
    for person in people:
        if person.unit:
            marks = expected[person.unit]
            assert any(m in person.post for m in (marks if isinstance(marks, tuple) else (marks,)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[groups]]\ncode="a"\nname="A"\n[[groups]]\ncode="a"\nname="B"\n', "duplicate"),
        ('[daily_report]\ncollected_by="x"\n[[groups]]\ncode="a"\nname="A"\n', "collected_by"),
        ('[daily_report]\ndue_local_time="5pm"\n[[groups]]\ncode="a"\nname="A"\n', "HH:MM"),
        ('[[groups]]\ncode="a"\nname="A"\nmembers=[{name="x"}]\n', "name and post"),
        ("groups = [", "TOML"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "inspection_support.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_plan(path)
