"""The plan files against the seed text itself: every task number, sub-item, leader, lead unit,
cooperating unit and text named in 二、主要任务 is in src/lantian/plan/default/xinmi-2017-2018 with the same values.

The seed is parsed here on its own (not with the plan loader), so that a transcription mistake in
the plan files cannot hide behind the same mistake in the code that reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lantian.plan import DEFAULT_PLAN_DIR, Plan, read_plan

PLAN = DEFAULT_PLAN_DIR
SEED_NAME = "000_c14b292a439deac3.txt"

LABEL = re.compile(r"^(责任领导|牵头单位|配合单位|责任单位)[:：]\s*(.*)$")
SECTION = re.compile(r"^[（(]([一二三四五六七八九十]+)[)）]\s*(.+)$")
TASK = re.compile(r"^(\d{1,2})\.\s*(.+)$")
ITEM = re.compile(r"^[（(](\d)[)）]\s*(.+)$", re.S)
SENTENCE_END = tuple("。；：！？”）)")


@dataclass
class SeedEntry:
    ref: str
    text: str = ""
    labels: dict[str, str] = field(default_factory=dict)


def seed_paragraphs(seed: Path) -> list[str]:
    """Paragraphs of 二、主要任务, with paragraphs cut by a page break joined again."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", seed.read_text("utf-8")) if p.strip()]
    body = paragraphs[paragraphs.index("二、主要任务") + 1 : paragraphs.index("三、保障措施")]
    joined: list[str] = []
    for paragraph in body:
        starts_new = any(rx.match(paragraph) for rx in (LABEL, SECTION, TASK, ITEM))
        previous = joined[-1] if joined else ""
        previous_closed = (
            not previous
            or previous.endswith(SENTENCE_END)
            or any(rx.match(previous) for rx in (LABEL, SECTION, TASK))
        )
        if starts_new or previous_closed:
            joined.append(paragraph)
        else:
            joined[-1] += paragraph
    return joined


def seed_entries(seed: Path) -> tuple[dict[str, SeedEntry], list[int]]:
    """Each task or sub-item of the seed with its text and the label block that covers it.

    A label block (责任领导, 牵头单位, …) covers every task or item since the previous block: the
    seed prints one block after tasks 1–3, one after 4–5 and one after 18–19.
    """
    entries: dict[str, SeedEntry] = {}
    numbers: list[int] = []
    waiting: list[SeedEntry] = []
    task_number = 0
    current: SeedEntry | None = None
    for paragraph in seed_paragraphs(seed):
        task, item, label = TASK.match(paragraph), ITEM.match(paragraph), LABEL.match(paragraph)
        if (task or item) and waiting and waiting[0].labels:
            waiting = []  # the previous block is complete
        if task:
            task_number = int(task.group(1))
            numbers.append(task_number)
            current = SeedEntry(str(task_number))
            entries[current.ref] = current
            waiting.append(current)
        elif item:
            parent = entries.get(str(task_number))
            if parent is not None and not parent.text:
                # A task with items is represented by its items only.
                del entries[parent.ref]
                waiting.remove(parent)
            current = SeedEntry(f"{task_number}({item.group(1)})", text=item.group(2).strip())
            entries[current.ref] = current
            waiting.append(current)
        elif label:
            for entry in waiting:
                entry.labels[label.group(1)] = label.group(2).strip()
        elif SECTION.match(paragraph):
            continue
        elif current is not None:
            current.text = f"{current.text}\n{paragraph}" if current.text else paragraph
    return entries, numbers


@pytest.fixture(scope="module")
def plan() -> Plan:
    loaded = read_plan(PLAN)
    assert loaded.problems == []
    return loaded


@pytest.fixture(scope="module")
def seed(shared_dir: Path) -> tuple[dict[str, SeedEntry], list[int]]:
    return seed_entries(shared_dir / "seed" / SEED_NAME)


def test_the_seed_numbers_tasks_1_to_42(seed: tuple[dict[str, SeedEntry], list[int]]) -> None:
    _, numbers = seed
    assert numbers == list(range(1, 43))


def test_every_task_and_item_of_the_seed_is_in_the_plan_and_nothing_else(
    plan: Plan, seed: tuple[dict[str, SeedEntry], list[int]]
) -> None:
    entries, _ = seed
    assert [task.ref for task in plan.tasks()] == list(entries)
    # Sub-items as the seed numbers them: 12(1)(2), 23(1)-(3), 25(1)-(4), 31(1)(2), 35(1)-(5), 41(1)-(3).
    items = sorted({ref.split("(")[0] for ref in entries if "(" in ref}, key=int)
    assert items == ["12", "23", "25", "31", "35", "41"]
    assert len(entries) == 55


def test_leaders_and_units_match_the_seed(
    plan: Plan, seed: tuple[dict[str, SeedEntry], list[int]]
) -> None:
    entries, _ = seed
    alias = {}
    for unit in plan.units:
        for name in (unit.name, *unit.aliases):
            alias[name] = unit.code

    def codes(text: str) -> list[str]:
        found = []
        for phrase in text.split("、"):
            if phrase == "市有关单位":
                continue
            found.append(alias.get(phrase) or alias.get("市" + phrase) or f"?{phrase}")
        return found

    mismatches = []
    for task in plan.tasks():
        labels = entries[task.ref].labels
        expected_leaders = [
            re.sub(r"(常务)?副市长$", "", p) for p in labels["责任领导"].split("、")
        ]
        a = task.assignment
        checks = [
            ("leaders", a.leaders, expected_leaders),
            ("leaders_text", a.leaders_text, labels["责任领导"]),
            ("lead_units", a.lead_units, codes(labels["牵头单位"])),
            ("lead_units_text", a.lead_units_text, labels["牵头单位"]),
            (
                "cooperating_units",
                a.cooperating_units,
                codes(labels.get("配合单位", "")) if "配合单位" in labels else [],
            ),
            ("cooperating_units_text", a.cooperating_units_text, labels.get("配合单位")),
            (
                "responsible_areas",
                a.responsible_areas.text if a.responsible_areas else None,
                labels.get("责任单位"),
            ),
        ]
        mismatches += [(task.ref, name, got, want) for name, got, want in checks if got != want]
    assert mismatches == []


def test_texts_are_the_seeds_words(
    plan: Plan, seed: tuple[dict[str, SeedEntry], list[int]]
) -> None:
    entries, _ = seed
    different = [task.ref for task in plan.tasks() if task.text != entries[task.ref].text]
    assert different == []


def test_hand_checked_assignments(plan: Plan) -> None:
    """A few assignments read off the seed by eye, independent of any parser."""
    by_ref = {task.ref: task for task in plan.tasks()}
    assert by_ref["8"].leaders == ["张宏杰"] and by_ref["8"].lead_units == ["mtj"]
    assert by_ref["23(2)"].leaders == ["姬贤杰", "张宏杰"]
    assert by_ref["23(2)"].lead_units == ["hbj", "gaj"]
    assert by_ref["34"].leaders == ["杨洋"] and by_ref["34"].lead_units == ["njj"]
    assert by_ref["39"].lead_units == ["gxw", "swj"]
    assert by_ref["29"].lead_units == ["zfj"]  # 市行政执法局
    assert by_ref["28"].cooperating_units == ["jyj", "zfj", "swj2", "yllhc"]
    # Tasks 1–3 share the block printed after task 3; 18–19 the block after 19.
    assert by_ref["1"].assignment.assignment_shared_with == [1, 2, 3]
    assert by_ref["18"].assignment.cooperating_units == ["gxw"]
    responsible = by_ref["12(1)"].assignment.responsible_areas
    assert responsible is not None
    assert responsible.all_of == ["subdistrict"] and responsible.relevant_of == ["township"]
    assert by_ref["23(1)"].assignment.responsible_areas is None


def test_annex_rows_are_the_seeds_table(plan: Plan, shared_dir: Path) -> None:
    """Every row's deadline and measures are one row of the seed's annex table (tab-separated)."""
    seed = (shared_dir / "seed" / SEED_NAME).read_text("utf-8")
    table_rows = [line.split("\t") for line in seed.splitlines() if line.count("\t") == 4]
    table_rows = [cells for cells in table_rows if cells[0] != "类别"]
    assert plan.annex is not None
    assert len(plan.annex.rows) == len(table_rows) == 25
    for row, cells in zip(plan.annex.rows, table_rows, strict=True):
        # Empty cells continue the heading above (merged cells in the original).
        for value, cell in zip((row.category, row.key_work, row.main_task), cells[:3], strict=True):
            assert cell in ("", value)
        assert [row.deadline_text, row.measures] == [c.strip() for c in cells[3:]]


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)  # the seed's line breaks and padding spaces are typesetting


def test_inspection_plan_is_the_seeds_second_document(plan: Plan, shared_dir: Path) -> None:
    """inspection.yaml, the one transcription of the inspection-support plan (read by the campaign
    and, through lantian.supervision.groups, by duty rosters and daily reports): every name with
    its post as printed, every duty and every rule article is the seed's words, in its order."""
    seed = (shared_dir / "seed" / SEED_NAME).read_text("utf-8")
    second = _compact(seed[seed.index("强化督查巡查工作方案\n\n按照国家环保部") :])
    inspection = plan.inspection
    assert inspection is not None
    assert [(g.key, g.name) for g in inspection.working_groups] == [
        ("general_coordination", "综合协调组"),
        ("secretariat_publicity", "文秘宣传组"),
        ("site_support_cases", "现场保障及案件查办组"),
        ("accountability", "责任追究组"),
        ("logistics", "后勤保障组"),
    ]
    assert [len(g.members) for g in inspection.working_groups] == [15, 4, 11, 3, 4]
    assert len(inspection.leadership_group.members) == 22
    units = {unit.code: unit.name for unit in plan.units}
    people = inspection.people()
    assert len(people) == 1 + 3 + 22 + 2 + 3 + (5 + 5) + (15 + 4 + 11 + 3 + 4)
    # "姬贤杰 副市长", "朱建伟 市环保局副局长", "范慧媛 市环境攻坚办工作人员": name then printed post.
    missing = [
        (path, person.name + person.printed_post(units))
        for path, person in people
        if _compact(person.name + person.printed_post(units)) not in second
    ]
    assert missing == []
    duties = [inspection.leadership_group.duties, inspection.coordination_office.duties]
    duties += [g.duties for g in inspection.working_groups]
    assert [d for d in duties if _compact(d) not in second] == []
    articles = inspection.rules.articles
    assert len(articles) == 5
    positions = [second.index(_compact(article)) for article in articles]
    assert positions == sorted(positions)
    assert "17:00" in articles[inspection.rules.daily_report.article - 1]
    assert "24 小时" in articles[inspection.rules.duty.article - 1]
    assert inspection.rules.daily_report.due_local_time == "17:00"
    assert inspection.rules.duty.hours_per_day == 24
    assert seed.count("主办：市环保局") == 1 and inspection.host_unit == "hbj"
    assert "督办：市政府办公室秘书科" in seed and inspection.supervising_unit == "zfbgs"


def test_every_quoted_source_is_the_seeds_words(plan: Plan, shared_dir: Path) -> None:
    """Deadlines and targets quote the sentence they come from: each quote is in the task's text
    (or, for the annex, in its row; for plan.yaml, in the seed)."""
    seed = re.sub(r"\n\s*\n", "", (shared_dir / "seed" / SEED_NAME).read_text("utf-8"))
    wrong = []
    for task in plan.tasks():
        quotes = [d.source for d in task.assignment.deadlines]
        quotes += [t.source for t in task.assignment.targets]
        wrong += [(task.ref, q) for q in quotes if q not in task.text]
    assert plan.annex is not None and plan.plan is not None
    for index, row in enumerate(plan.annex.rows):
        wrong += [(f"annex {index}", t.source) for t in row.targets if t.source not in row.measures]
    plan_quotes = [t.source for t in plan.plan.overall_targets]
    plan_quotes += [p.source for p in plan.plan.periods.values() if p.source != "全年"]
    plan_quotes += [plan.plan.reporting.monthly_progress.source]
    plan_quotes += [d.source for d in plan.plan.reporting.duties]
    wrong += [("plan.yaml", q) for q in plan_quotes if q not in seed]
    assert wrong == []
