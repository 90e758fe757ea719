"""Reading and checking a plan folder (docs/plan-files.md).

:func:`read_plan` reads every file of a plan folder, checks each record against
:mod:`lantian.campaign.schema` and every reference between files, and returns the plan together
with the list of problems found — all of them, not just the first: a city transcribing its plan
fixes them in one pass. Each :class:`Problem` names the file, the path inside it (``line 7, code``
for CSV files, ``sections[2].tasks[0].lead_units[1]`` for YAML) and the reason, Chinese first.

The checks beyond the shape of records (what a typo would otherwise slip past):

* task numbers run 1…N without gaps or repeats, sub-items (1)…(n) likewise, sections too;
* every leader, unit and area code exists in leaders.csv, units.csv, areas.csv;
* the coded lists agree with the seed's words beside them: ``lead_units_text`` "市环保局、公安局"
  must resolve (through units.csv names and aliases) to exactly ``lead_units``; the same for
  leaders, cooperating units and responsible areas (through plan.yaml's ``area_phrases``);
* target keys are unique across the plan, percentages lie in 0–100, periods and task references
  exist, the calendar's make-up working days fall on weekends.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from lantian.campaign.schema import (
    AnnexFile,
    AreaRow,
    Assignment,
    CalendarRow,
    Deadline,
    InspectionFile,
    LeaderRow,
    PlanFile,
    ResponsibleAreas,
    Target,
    TasksFile,
    UnitRow,
)

PLAN_FILE = "plan.yaml"
TASKS_FILE = "tasks.yaml"
ANNEX_FILE = "annex.yaml"
INSPECTION_FILE = "inspection.yaml"
AREAS_FILE = "areas.csv"
UNITS_FILE = "units.csv"
LEADERS_FILE = "leaders.csv"
CALENDAR_FILE = "calendar.csv"

#: The seed separates names in a list with the enumeration comma.
LIST_SEPARATOR = "、"

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a plan folder: where (file, path) and why."""

    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.reason}"


@dataclass(frozen=True)
class PlanTask:
    """A task or sub-item as one unit of work: what the database and the pages hold.

    ``ref`` is "8" for a task without items and "12(1)" for a sub-item.
    """

    ref: str
    number: int
    item: int | None
    sort_order: int
    section_number: int
    section_title: str
    title: str
    text: str
    assignment: Assignment

    @property
    def leaders(self) -> list[str]:
        return self.assignment.leaders

    @property
    def lead_units(self) -> list[str]:
        return self.assignment.lead_units

    @property
    def cooperating_units(self) -> list[str]:
        return self.assignment.cooperating_units


@dataclass
class Plan:
    """A plan folder read into memory (fields are None where a file could not be read)."""

    folder: Path
    plan: PlanFile | None = None
    tasks_file: TasksFile | None = None
    annex: AnnexFile | None = None
    inspection: InspectionFile | None = None
    areas: list[AreaRow] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    leaders: list[LeaderRow] = field(default_factory=list)
    calendar: list[CalendarRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def tasks(self) -> list[PlanTask]:
        """Every task and sub-item in the order of the plan."""
        if self.tasks_file is None:
            return []
        flat: list[PlanTask] = []
        for section in self.tasks_file.sections:
            for task in section.tasks:
                if task.items:
                    for item in task.items:
                        flat.append(
                            PlanTask(
                                ref=f"{task.number}({item.number})",
                                number=task.number,
                                item=item.number,
                                sort_order=task.number * 100 + item.number,
                                section_number=section.number,
                                section_title=section.title,
                                title=task.title,
                                text=item.text,
                                assignment=Assignment.model_validate(
                                    item.model_dump(exclude={"number", "text"})
                                ),
                            )
                        )
                else:
                    flat.append(
                        PlanTask(
                            ref=str(task.number),
                            number=task.number,
                            item=None,
                            sort_order=task.number * 100,
                            section_number=section.number,
                            section_title=section.title,
                            title=task.title,
                            text=task.text or "",
                            assignment=Assignment.model_validate(
                                task.model_dump(exclude={"number", "title", "text", "items"})
                            ),
                        )
                    )
        return flat

    def targets(self) -> list[tuple[Target, str | None, str]]:
        """Every quantified target with its task ref (or None) and where it is defined."""
        found: list[tuple[Target, str | None, str]] = []
        if self.plan is not None:
            found.extend((target, None, "overall") for target in self.plan.overall_targets)
        for task in self.tasks():
            found.extend((target, task.ref, "task") for target in task.assignment.targets)
        if self.annex is not None:
            found.extend(
                (target, target.task, "annex") for row in self.annex.rows for target in row.targets
            )
        return found


def _path(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top)"


def _validation_problems(file: str, prefix: str, error: ValidationError) -> list[Problem]:
    problems = []
    for detail in error.errors():
        loc = [part for part in detail["loc"] if isinstance(part, int | str)]
        path = _path(loc)
        if prefix:
            path = f"{prefix}, {path}" if path != "(top)" else prefix
        problems.append(Problem(file, path, f"格式错误 / invalid: {detail['msg']}"))
    return problems


def _read_yaml(
    folder: Path, name: str, model: type[ModelT], problems: list[Problem]
) -> ModelT | None:
    path = folder / name
    if not path.is_file():
        problems.append(Problem(name, "(file)", "缺少文件 / file missing"))
        return None
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problems.append(Problem(name, where, f"YAML 语法错误 / YAML syntax error: {error}"))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(name, "(file)", "不是 UTF-8 文本 / not UTF-8 text"))
        return None
    except ValueError as error:
        # PyYAML raises a bare ValueError for a date that matches the pattern but does not exist
        # (2017-09-31), without a position.
        problems.append(Problem(name, "(file)", f"无效的值 / invalid value: {error}"))
        return None
    try:
        return model.model_validate(document)
    except ValidationError as error:
        problems.extend(_validation_problems(name, "", error))
        return None


def _read_csv(
    folder: Path,
    name: str,
    model: type[ModelT],
    problems: list[Problem],
    list_columns: Iterable[str] = (),
) -> list[ModelT]:
    path = folder / name
    if not path.is_file():
        problems.append(Problem(name, "(file)", "缺少文件 / file missing"))
        return []
    rows: list[ModelT] = []
    expected = set(model.model_fields)
    lists = set(list_columns)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = set(reader.fieldnames or [])
            required = {n for n, f in model.model_fields.items() if f.is_required()}
            for column in sorted(required - header):
                problems.append(
                    Problem(name, "line 1", f"缺少列 {column} / missing column {column}")
                )
            for column in sorted(header - expected):
                problems.append(
                    Problem(name, "line 1", f"未知列 {column} / unknown column {column}")
                )
            if required - header:
                return []
            for record in reader:
                line = reader.line_num
                values: dict[str, Any] = {}
                for key, value in record.items():
                    if key is None or key not in expected:
                        continue
                    cell = (value or "").strip()
                    if key in lists:
                        values[key] = [part.strip() for part in cell.split("|") if part.strip()]
                    elif cell == "" and not model.model_fields[key].is_required():
                        continue
                    else:
                        values[key] = cell
                try:
                    rows.append(model.model_validate(values))
                except ValidationError as error:
                    problems.extend(_validation_problems(name, f"line {line}", error))
    except UnicodeDecodeError:
        problems.append(Problem(name, "(file)", "不是 UTF-8 文本 / not UTF-8 text"))
    return rows


def read_plan(folder: Path) -> Plan:
    """Read and check every file of ``folder``; the problems are in ``Plan.problems``."""
    plan = Plan(folder=folder)
    problems = plan.problems
    if not folder.is_dir():
        problems.append(Problem(str(folder), "(folder)", "找不到计划目录 / plan folder not found"))
        return plan
    plan.plan = _read_yaml(folder, PLAN_FILE, PlanFile, problems)
    plan.tasks_file = _read_yaml(folder, TASKS_FILE, TasksFile, problems)
    plan.annex = _read_yaml(folder, ANNEX_FILE, AnnexFile, problems)
    plan.inspection = _read_yaml(folder, INSPECTION_FILE, InspectionFile, problems)
    plan.areas = _read_csv(folder, AREAS_FILE, AreaRow, problems)
    plan.units = _read_csv(folder, UNITS_FILE, UnitRow, problems, list_columns=("aliases",))
    plan.leaders = _read_csv(folder, LEADERS_FILE, LeaderRow, problems)
    plan.calendar = _read_csv(folder, CALENDAR_FILE, CalendarRow, problems)
    problems.extend(_Checker(plan).run())
    return plan


def read_inspection(path: Path) -> Plan:
    """Read only ``inspection.yaml`` and ``units.csv`` of a plan folder, with their checks.

    For :mod:`lantian.supervision`, which needs the organisation on every duty page and no other
    file. ``path`` is the folder or the inspection file itself (then the folder is its parent).
    """
    folder, name = (path, INSPECTION_FILE) if path.is_dir() else (path.parent, path.name)
    plan = Plan(folder=folder)
    plan.inspection = _read_yaml(folder, name, InspectionFile, plan.problems)
    plan.units = _read_csv(folder, UNITS_FILE, UnitRow, plan.problems, list_columns=("aliases",))
    checker = _Checker(plan)
    checker.check_inspection()
    plan.problems.extend(checker.problems)
    return plan


class _Checker:
    """The cross-file checks of the module docstring."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.problems: list[Problem] = []
        self.area_codes = {area.code for area in plan.areas}
        self.unit_codes = {unit.code for unit in plan.units}
        self.leader_names = {leader.name for leader in plan.leaders}
        self.periods = set(plan.plan.periods) if plan.plan else set()
        self.unit_by_phrase: dict[str, str] = {}
        for unit in plan.units:
            for phrase in (unit.name, *unit.aliases):
                self.unit_by_phrase.setdefault(phrase, unit.code)
        self.task_refs = {task.ref for task in plan.tasks()}
        #: Without a readable tasks.yaml, references to tasks cannot be judged: say nothing of them
        #: rather than bury the one real problem under a false one per reference.
        self.tasks_known = plan.tasks_file is not None
        self.task_numbers = {task.number for task in plan.tasks()}

    def add(self, file: str, path: str, reason: str) -> None:
        self.problems.append(Problem(file, path, reason))

    def run(self) -> list[Problem]:
        self.check_directories()
        self.check_calendar()
        self.check_tasks()
        self.check_plan_file()
        self.check_annex()
        self.check_inspection()
        self.check_target_keys()
        return self.problems

    # -- directories ------------------------------------------------------------------------
    def check_directories(self) -> None:
        for file, values in (
            (AREAS_FILE, [a.code for a in self.plan.areas]),
            (UNITS_FILE, [u.code for u in self.plan.units]),
            (LEADERS_FILE, [leader.name for leader in self.plan.leaders]),
        ):
            for value, count in Counter(values).items():
                if count > 1:
                    self.add(file, value, f"重复 {count} 次 / repeated {count} times")
        owners: dict[str, str] = {}
        for unit in self.plan.units:
            for phrase in (unit.name, *unit.aliases):
                other = owners.setdefault(phrase, unit.code)
                if other != unit.code:
                    self.add(
                        UNITS_FILE,
                        f"{unit.code}.aliases",
                        f"名称“{phrase}”同时属于 {other} 与 {unit.code} / "
                        f"the name {phrase!r} belongs to both {other} and {unit.code}",
                    )
            if unit.parent_code and unit.parent_code not in self.unit_codes:
                self.add(
                    UNITS_FILE,
                    f"{unit.code}.parent_code",
                    f"未知上级单位 {unit.parent_code} / unknown parent unit {unit.parent_code}",
                )

    def check_calendar(self) -> None:
        for day, count in Counter(row.date for row in self.plan.calendar).items():
            if count > 1:
                self.add(CALENDAR_FILE, day.isoformat(), "日期重复 / date repeated")
        for row in self.plan.calendar:
            if row.kind == "workday" and row.date.weekday() < 5:
                self.add(
                    CALENDAR_FILE,
                    row.date.isoformat(),
                    "调休上班日应为周末 / a make-up working day must fall on a weekend",
                )

    # -- tasks --------------------------------------------------------------------------------
    def check_numbering(self, file: str, path: str, numbers: list[int], what: str) -> None:
        expected = list(range(1, len(numbers) + 1))
        if numbers != expected:
            repeated = sorted(n for n, c in Counter(numbers).items() if c > 1)
            missing = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
            detail = []
            if repeated:
                detail.append(f"重复 repeated {repeated}")
            if missing:
                detail.append(f"缺少 missing {missing}")
            if not detail:
                detail.append(f"顺序 order {numbers}")
            self.add(
                file,
                path,
                f"{what}编号应为 1…{len(numbers)} 连续 / {what} numbers must run 1…{len(numbers)}: "
                + "; ".join(detail),
            )

    def check_tasks(self) -> None:
        tasks_file = self.plan.tasks_file
        if tasks_file is None:
            return
        self.check_numbering(
            TASKS_FILE, "sections", [s.number for s in tasks_file.sections], "章节 section "
        )
        numbers = [t.number for s in tasks_file.sections for t in s.tasks]
        self.check_numbering(TASKS_FILE, "sections[*].tasks", numbers, "任务 task ")
        for s_index, section in enumerate(tasks_file.sections):
            for t_index, task in enumerate(section.tasks):
                path = f"sections[{s_index}].tasks[{t_index}]"
                if task.items:
                    self.check_numbering(
                        TASKS_FILE,
                        f"{path}.items",
                        [i.number for i in task.items],
                        f"任务 {task.number} 子项 items of task {task.number} ",
                    )
                    for i_index, item in enumerate(task.items):
                        self.check_assignment(
                            f"{path}.items[{i_index}]", f"{task.number}({item.number})", item
                        )
                else:
                    assignment = Assignment.model_validate(
                        task.model_dump(exclude={"number", "title", "text", "items"})
                    )
                    self.check_assignment(path, str(task.number), assignment)

    def check_assignment(self, path: str, ref: str, assignment: Assignment) -> None:
        file = TASKS_FILE
        where = f"任务 task {ref}"
        for index, name in enumerate(assignment.leaders):
            if name not in self.leader_names:
                self.add(
                    file,
                    f"{path}.leaders[{index}]",
                    f"{where}: 未知责任领导“{name}”（不在 leaders.csv）/ unknown leader {name!r}",
                )
        named = self.leaders_in_text(assignment.leaders_text)
        if named is None:
            self.add(
                file,
                f"{path}.leaders_text",
                f"{where}: 无法识别“{assignment.leaders_text}”中的领导 / "
                f"cannot read the leaders in {assignment.leaders_text!r}",
            )
        elif named != assignment.leaders:
            self.add(
                file,
                f"{path}.leaders",
                f"{where}: 与原文“{assignment.leaders_text}”不符（原文为 {named}）/ "
                f"leaders {assignment.leaders} differ from the text, which names {named}",
            )
        for role in ("lead_units", "cooperating_units"):
            codes: list[str] = getattr(assignment, role)
            text: str | None = getattr(assignment, f"{role}_text")
            for index, code in enumerate(codes):
                if code not in self.unit_codes:
                    self.add(
                        file,
                        f"{path}.{role}[{index}]",
                        f"{where}: 未知单位代码 {code}（不在 units.csv）/ unknown unit code {code!r}",
                    )
            if text is None:
                if codes:
                    self.add(
                        file,
                        f"{path}.{role}_text",
                        f"{where}: 缺少原文 / the seed's words for {role} are missing",
                    )
                continue
            resolved, unknown = self.units_in_text(text)
            for phrase in unknown:
                self.add(
                    file,
                    f"{path}.{role}_text",
                    f"{where}: 原文单位“{phrase}”不在 units.csv 的名称或别名中 / "
                    f"{phrase!r} is neither a unit name nor an alias in units.csv",
                )
            if not unknown and resolved != codes:
                self.add(
                    file,
                    f"{path}.{role}",
                    f"{where}: {codes} 与原文“{text}”不符（应为 {resolved}）/ "
                    f"{role} {codes} differ from the text, which names {resolved}",
                )
        if assignment.responsible_areas is not None:
            self.check_areas(f"{path}.responsible_areas", where, assignment.responsible_areas)
        for index, deadline in enumerate(assignment.deadlines):
            self.check_deadline(file, f"{path}.deadlines[{index}]", where, deadline)
        for index, target in enumerate(assignment.targets):
            self.check_target(file, f"{path}.targets[{index}]", where, target)
        for number in assignment.assignment_shared_with or []:
            if number not in self.task_numbers:
                self.add(
                    file,
                    f"{path}.assignment_shared_with",
                    f"{where}: 没有任务 {number} / there is no task {number}",
                )

    def leaders_in_text(self, text: str) -> list[str] | None:
        names = []
        for phrase in text.split(LIST_SEPARATOR):
            phrase = phrase.strip()
            match = next(
                (
                    leader.name
                    for leader in self.plan.leaders
                    if phrase == leader.name + leader.title
                ),
                None,
            )
            if match is None:
                return None
            names.append(match)
        return names

    def units_in_text(self, text: str) -> tuple[list[str], list[str]]:
        generic = self.plan.plan.generic_unit_phrases if self.plan.plan else {}
        codes: list[str] = []
        unknown: list[str] = []
        for phrase in text.split(LIST_SEPARATOR):
            phrase = phrase.strip()
            if phrase in generic:
                continue
            # The seed writes the city prefix 市 on the first unit of a list only.
            candidates = [phrase, phrase.removeprefix("市"), "市" + phrase]
            code = next(
                (self.unit_by_phrase[c] for c in candidates if c in self.unit_by_phrase), None
            )
            if code is None:
                unknown.append(phrase)
            else:
                codes.append(code)
        return codes, unknown

    def areas_in_text(self, text: str) -> ResponsibleAreas | None:
        phrases = self.plan.plan.area_phrases if self.plan.plan else {}
        all_of: list[str] = []
        relevant_of: list[str] = []
        areas: list[str] = []
        quantifier = "all"
        for phrase in text.split(LIST_SEPARATOR):
            phrase = phrase.strip()
            if phrase.startswith("各"):
                quantifier, phrase = "all", phrase[1:]
            elif phrase.startswith("相关"):
                quantifier, phrase = "relevant", phrase[2:]
            mapped = phrases.get(phrase)
            if mapped is None:
                return None
            if mapped.area:
                areas.append(mapped.area)
            elif mapped.kind:
                (all_of if quantifier == "all" else relevant_of).append(mapped.kind)
        return ResponsibleAreas.model_validate(
            {"text": text, "all_of": all_of, "relevant_of": relevant_of, "areas": areas}
        )

    def check_areas(self, path: str, where: str, responsible: ResponsibleAreas) -> None:
        for index, code in enumerate(responsible.areas):
            if code not in self.area_codes:
                self.add(
                    TASKS_FILE,
                    f"{path}.areas[{index}]",
                    f"{where}: 未知区域代码 {code}（不在 areas.csv）/ unknown area code {code!r}",
                )
        expected = self.areas_in_text(responsible.text)
        if expected is None:
            self.add(
                TASKS_FILE,
                f"{path}.text",
                f"{where}: 无法按 plan.yaml 的 area_phrases 识别“{responsible.text}” / "
                f"cannot read {responsible.text!r} with plan.yaml's area_phrases",
            )
            return
        for name in ("all_of", "relevant_of", "areas"):
            if sorted(getattr(expected, name)) != sorted(getattr(responsible, name)):
                self.add(
                    TASKS_FILE,
                    f"{path}.{name}",
                    f"{where}: {getattr(responsible, name)} 与原文“{responsible.text}”不符"
                    f"（应为 {getattr(expected, name)}）/ {name} differs from the text",
                )

    def check_deadline(self, file: str, path: str, where: str, deadline: Deadline) -> None:
        if deadline.period and deadline.period not in self.periods:
            self.add(
                file,
                f"{path}.period",
                f"{where}: plan.yaml 中没有时段 {deadline.period} / no period {deadline.period!r}",
            )
        if deadline.date is not None:
            self.check_date(file, f"{path}.date", where, deadline.date)

    def check_date(self, file: str, path: str, where: str, day: date) -> None:
        if self.plan.plan is None:
            return
        earliest = date(self.plan.plan.issued_on.year - 1, 1, 1)
        latest = date(self.plan.plan.issued_on.year + 2, 12, 31)
        if not earliest <= day <= latest:
            self.add(
                file,
                path,
                f"{where}: 日期 {day} 不在计划年份附近（{earliest}…{latest}）/ "
                f"date {day} is far from the plan's years",
            )

    def check_target(self, file: str, path: str, where: str, target: Target) -> None:
        if target.unit == "%" and not 0 <= target.value <= 100:
            self.add(
                file,
                f"{path}.value",
                f"{where}: 百分比 {target.value} 超出 0–100 / percentage {target.value} outside 0–100",
            )
        if target.value < 0:
            self.add(file, f"{path}.value", f"{where}: 目标值为负 / negative target value")
        if target.by is not None:
            self.check_date(file, f"{path}.by", where, target.by)
        if target.task is not None and self.tasks_known and target.task not in self.task_refs:
            self.add(
                file,
                f"{path}.task",
                f"{where}: 没有任务 {target.task} / there is no task {target.task!r}",
            )
        if target.period is not None and target.period not in self.periods:
            self.add(
                file,
                f"{path}.period",
                f"{where}: plan.yaml 中没有时段 {target.period} / no period {target.period!r}",
            )
        if target.lead_unit is not None and target.lead_unit not in self.unit_codes:
            self.add(
                file,
                f"{path}.lead_unit",
                f"{where}: 未知单位代码 {target.lead_unit} / unknown unit code {target.lead_unit!r}",
            )

    # -- plan.yaml, annex, inspection -----------------------------------------------------------
    def check_unit(self, file: str, path: str, code: str | None) -> None:
        if code is not None and code not in self.unit_codes:
            self.add(
                file, path, f"未知单位代码 {code}（不在 units.csv）/ unknown unit code {code!r}"
            )

    def check_plan_file(self) -> None:
        plan = self.plan.plan
        if plan is None:
            return
        self.check_unit(PLAN_FILE, "campaign_office", plan.campaign_office)
        self.check_unit(
            PLAN_FILE, "reporting.monthly_progress.to", plan.reporting.monthly_progress.to
        )
        for index, target in enumerate(plan.overall_targets):
            self.check_target(PLAN_FILE, f"overall_targets[{index}]", "总体目标 overall", target)
        for index, duty in enumerate(plan.reporting.duties):
            path = f"reporting.duties[{index}]"
            self.check_unit(PLAN_FILE, f"{path}.to", duty.to)
            if duty.task is not None and self.tasks_known and duty.task not in self.task_refs:
                self.add(
                    PLAN_FILE,
                    f"{path}.task",
                    f"没有任务 {duty.task} / there is no task {duty.task!r}",
                )
            if duty.due is not None:
                self.check_date(PLAN_FILE, f"{path}.due", f"报送 duty {duty.key}", duty.due)
        for phrase, mapped in plan.area_phrases.items():
            if mapped.area and mapped.area not in self.area_codes:
                self.add(
                    PLAN_FILE,
                    f"area_phrases.{phrase}",
                    f"未知区域代码 {mapped.area} / unknown area code {mapped.area!r}",
                )

    def check_annex(self) -> None:
        annex = self.plan.annex
        if annex is None:
            return
        known_targets = {target.key for target, _, _ in self.plan.targets()}
        for index, row in enumerate(annex.rows):
            path = f"rows[{index}]"
            where = f"附件第 {index + 1} 行 annex row {index + 1}"
            for t_index, ref in enumerate(row.tasks):
                if self.tasks_known and ref not in self.task_refs:
                    self.add(
                        ANNEX_FILE,
                        f"{path}.tasks[{t_index}]",
                        f"{where}: 没有任务 {ref} / no task {ref!r}",
                    )
            for k_index, key in enumerate(row.target_keys):
                if self.tasks_known and key not in known_targets:
                    self.add(
                        ANNEX_FILE,
                        f"{path}.target_keys[{k_index}]",
                        f"{where}: 没有目标 {key} / no target {key!r}",
                    )
            for t_index, target in enumerate(row.targets):
                self.check_target(ANNEX_FILE, f"{path}.targets[{t_index}]", where, target)
            deadline = row.deadline
            if deadline.kind in ("by", "from") and deadline.date is None:
                self.add(ANNEX_FILE, f"{path}.deadline.date", f"{where}: 缺少日期 / date missing")
            if deadline.date is not None:
                self.check_date(ANNEX_FILE, f"{path}.deadline.date", where, deadline.date)
            if deadline.period and deadline.period not in self.periods:
                self.add(
                    ANNEX_FILE,
                    f"{path}.deadline.period",
                    f"{where}: plan.yaml 中没有时段 {deadline.period} / no period {deadline.period!r}",
                )

    def check_inspection(self) -> None:
        inspection = self.plan.inspection
        if inspection is None:
            return
        self.check_unit(INSPECTION_FILE, "host_unit", inspection.host_unit)
        self.check_unit(INSPECTION_FILE, "supervising_unit", inspection.supervising_unit)
        for path, person in inspection.people():
            self.check_unit(INSPECTION_FILE, f"{path}.unit", person.unit)
            printed = person.unit_text
            if (
                printed
                and person.unit in self.unit_codes
                and self.unit_by_phrase.get(printed) != person.unit
            ):
                self.add(
                    INSPECTION_FILE,
                    f"{path}.unit_text",
                    f"“{printed}”不是单位 {person.unit} 的名称或别名 / {printed!r} is not a "
                    f"name or alias of unit {person.unit!r} in units.csv",
                )
        keys = [group.key for group in inspection.working_groups]
        for key, count in Counter(keys).items():
            if count > 1:
                self.add(
                    INSPECTION_FILE, "working_groups", f"工作组 {key} 重复 / group {key!r} repeated"
                )
        rules = inspection.rules
        references = [
            ("rules.duty.group", rules.duty.group),
            ("rules.daily_report.to_group", rules.daily_report.to_group),
            *(
                (f"rules.daily_report.reporting_groups[{index}]", key)
                for index, key in enumerate(rules.daily_report.reporting_groups)
            ),
        ]
        for path, key in references:
            if key not in keys:
                self.add(
                    INSPECTION_FILE, path, f"没有工作组 {key} / no working group with key {key!r}"
                )
        for path, article in (
            ("rules.duty.article", rules.duty.article),
            ("rules.daily_report.article", rules.daily_report.article),
        ):
            if article > len(rules.articles):
                self.add(
                    INSPECTION_FILE,
                    path,
                    f"只有 {len(rules.articles)} 条纪律要求，没有第 {article} 条 / there are "
                    f"{len(rules.articles)} articles, not {article}",
                )
        due_article = rules.articles[rules.daily_report.article - 1 : rules.daily_report.article]
        if due_article and rules.daily_report.due_local_time not in due_article[0]:
            self.add(
                INSPECTION_FILE,
                "rules.daily_report.due_local_time",
                f"时间 {rules.daily_report.due_local_time} 不在所引第 {rules.daily_report.article} "
                "条中 / the due time is not in the article it cites",
            )

    def check_target_keys(self) -> None:
        keys = Counter(target.key for target, _, _ in self.plan.targets())
        for key, count in keys.items():
            if count > 1:
                self.add(
                    "(plan)",
                    f"targets.{key}",
                    f"目标键 {key} 出现 {count} 次 / target key {key!r} is used {count} times",
                )
