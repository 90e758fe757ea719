"""Reading and checking a plan folder (docs/plan-files.md): the one reader of plan files.

:func:`read_plan` reads every file of a plan folder, checks each record against
:mod:`lantian.plan.schema` and every reference between files, and returns the plan together
with the list of problems found — all of them, not just the first: a city transcribing its plan
fixes them in one pass. Each :class:`Problem` names the file, the path inside it (``line 7, code``
for CSV files, ``sections[2].tasks[0].lead_units[1]`` for YAML and TOML), the line where known, and
the reason, Chinese first. :func:`load_plan` is the same read for the platform: it refuses a plan
with problems.

The checks beyond the shape of records (what a typo would otherwise slip past):

* task numbers run 1…N without gaps or repeats, sub-items (1)…(n) likewise, sections too;
* every leader, unit and area code exists in leaders.csv, units.csv, areas.csv — named by tasks,
  plan.yaml, the inspection plan's people, stations.csv and adjacency.csv;
* the coded lists agree with the seed's words beside them: ``lead_units_text`` "市环保局、公安局"
  must resolve (through units.csv names and aliases) to exactly ``lead_units``; the same for
  leaders, cooperating units and responsible areas (through plan.yaml's ``area_phrases``);
* target keys are unique across the plan, percentages lie in 0–100, periods and task references
  exist, the calendar's make-up working days fall on weekends;
* the warning levels named by reduction_targets.toml and staggered.toml are levels of the
  warning scheme (warning_rules.toml defines the levels; nothing else does).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel

from lantian.errors import InputError
from lantian.plan.briefing_schema import BriefingFile
from lantian.plan.levels import LevelScheme
from lantian.plan.reading import (
    Problem,
    parse_key_path,
    read_csv_rows,
    read_toml,
    read_yaml,
    yaml_line,
)
from lantian.plan.schema import (
    AdjacencyRow,
    AnnexFile,
    AreaRow,
    Assignment,
    BanZonesFile,
    CalendarRow,
    Deadline,
    EmissionLimitsFile,
    InspectionFile,
    LeaderRow,
    PermitSector,
    PlanFile,
    ReductionTargetsFile,
    ResponsibleAreas,
    StaggeredFile,
    StationRow,
    Target,
    TasksFile,
    TownshipsFile,
    UnitRow,
    WarningRulesFile,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

PLAN_FILE = "plan.yaml"
TASKS_FILE = "tasks.yaml"
ANNEX_FILE = "annex.yaml"
INSPECTION_FILE = "inspection.yaml"
AREAS_FILE = "areas.csv"
UNITS_FILE = "units.csv"
LEADERS_FILE = "leaders.csv"
CALENDAR_FILE = "calendar.csv"
STATIONS_FILE = "stations.csv"
ADJACENCY_FILE = "adjacency.csv"
WARNING_RULES_FILE = "warning_rules.toml"
#: The three-level variant of the scheme (no blue), kept beside the plan's own for comparison.
WARNING_RULES_THREE_LEVEL_FILE = "warning_rules_three_level.toml"
REDUCTION_TARGETS_FILE = "reduction_targets.toml"
STAGGERED_FILE = "staggered.toml"
#: The high-polluting-fuel ban zones of task 12(1) as GeoJSON polygons (optional).
BAN_ZONES_FILE = "ban_zones.geojson"
#: The township-level units' polygons, to locate a point to its township (optional).
TOWNSHIPS_FILE = "townships.geojson"
#: Emission limits and reference O2 per sector for the CEMS judgement of task 21 (optional).
EMISSION_LIMITS_FILE = "emission_limits.toml"
#: The template of the weekly and monthly briefings (optional; issue 18).
BRIEFING_FILE = "briefing.toml"

#: The seed separates names in a list with the enumeration comma.
LIST_SEPARATOR = "、"


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


@dataclass(frozen=True, eq=False)
class Plan:
    """A plan folder read into memory: every file's model (None or empty where a file could not
    be read, or an optional file is absent) and the problems found. Read once, then shared."""

    folder: Path
    plan: PlanFile | None = None
    tasks_file: TasksFile | None = None
    annex: AnnexFile | None = None
    inspection: InspectionFile | None = None
    areas: list[AreaRow] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    leaders: list[LeaderRow] = field(default_factory=list)
    calendar: list[CalendarRow] = field(default_factory=list)
    stations: list[StationRow] = field(default_factory=list)
    adjacency: list[AdjacencyRow] = field(default_factory=list)
    warning_rules: WarningRulesFile | None = None
    warning_rules_three_level: WarningRulesFile | None = None
    reduction_targets: ReductionTargetsFile | None = None
    staggered: StaggeredFile | None = None
    ban_zones: BanZonesFile | None = None
    townships: TownshipsFile | None = None
    emission_limits: EmissionLimitsFile | None = None
    briefing: BriefingFile | None = None
    problems: list[Problem] = field(default_factory=list)

    def briefing_template(self) -> BriefingFile:
        """The briefing template: ``briefing.toml``, or the defaults without one."""
        return self.briefing if self.briefing is not None else BriefingFile()

    def area_names(self) -> dict[str, str]:
        """Area code → name (areas.csv)."""
        return {area.code: area.name for area in self.areas}

    def unit_names(self) -> dict[str, str]:
        """Unit code → name (units.csv)."""
        return {unit.code: unit.name for unit in self.units}

    def level_keys(self) -> list[str]:
        """The warning levels of the plan's scheme, lowest first (warning_rules.toml)."""
        return self.warning_rules.level_keys() if self.warning_rules is not None else []

    @property
    def levels(self) -> LevelScheme:
        """The warning levels of the plan's scheme (the one definition of the levels)."""
        if self.warning_rules is None:
            raise InputError(f"{self.folder}: 计划没有预警规则 / the plan has no warning rules")
        return LevelScheme.from_rules(self.warning_rules)

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

    def permit_sectors(self) -> dict[str, PermitSector]:
        """Sector key → the sector of task 22 whose firms need a discharge permit by its deadline
        (tasks.yaml ``permit_sectors``, in the order of the plan)."""
        return {
            sector.key: sector for task in self.tasks() for sector in task.assignment.permit_sectors
        }

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


class PlanError(InputError):
    """A plan folder with problems: the platform does not run on it (``problems`` lists them)."""

    problems: tuple[Problem, ...]

    def __init__(self, folder: Path, problems: list[Problem]) -> None:
        self.folder = folder
        shown = "\n".join(f"  {problem}" for problem in problems[:30])
        more = f"\n  … +{len(problems) - 30}" if len(problems) > 30 else ""
        super().__init__(
            f"{folder}: 计划文件有 {len(problems)} 处问题（运行 lantian plan check 查看）/ "
            f"the plan has {len(problems)} problem(s) (run lantian plan check):\n{shown}{more}",
            problems=problems,
        )


def _optional(folder: Path, name: str) -> bool:
    return (folder / name).is_file()


def read_plan(folder: Path) -> Plan:
    """Read and check every file of ``folder``; the problems are in ``Plan.problems``.

    ``stations.csv``, ``adjacency.csv``, ``warning_rules_three_level.toml`` and
    ``ban_zones.geojson``, ``townships.geojson``, ``emission_limits.toml`` and ``briefing.toml`` may be
    absent;
    every other file must be there.
    """
    problems: list[Problem] = []
    if not folder.is_dir():
        problems.append(Problem(str(folder), "(folder)", "找不到计划目录 / plan folder not found"))
        return Plan(folder=folder, problems=problems)
    plan = Plan(
        folder=folder,
        plan=read_yaml(folder / PLAN_FILE, PlanFile, problems),
        tasks_file=read_yaml(folder / TASKS_FILE, TasksFile, problems),
        annex=read_yaml(folder / ANNEX_FILE, AnnexFile, problems),
        inspection=read_yaml(folder / INSPECTION_FILE, InspectionFile, problems),
        areas=read_csv_rows(folder / AREAS_FILE, AreaRow, problems),
        units=read_csv_rows(folder / UNITS_FILE, UnitRow, problems),
        leaders=read_csv_rows(folder / LEADERS_FILE, LeaderRow, problems),
        calendar=read_csv_rows(folder / CALENDAR_FILE, CalendarRow, problems),
        stations=read_csv_rows(folder / STATIONS_FILE, StationRow, problems, separator=" ")
        if _optional(folder, STATIONS_FILE)
        else [],
        adjacency=read_csv_rows(folder / ADJACENCY_FILE, AdjacencyRow, problems)
        if _optional(folder, ADJACENCY_FILE)
        else [],
        warning_rules=read_toml(folder / WARNING_RULES_FILE, WarningRulesFile, problems),
        warning_rules_three_level=read_toml(
            folder / WARNING_RULES_THREE_LEVEL_FILE, WarningRulesFile, problems
        )
        if _optional(folder, WARNING_RULES_THREE_LEVEL_FILE)
        else None,
        reduction_targets=read_toml(
            folder / REDUCTION_TARGETS_FILE, ReductionTargetsFile, problems
        ),
        staggered=read_toml(folder / STAGGERED_FILE, StaggeredFile, problems),
        ban_zones=read_yaml(folder / BAN_ZONES_FILE, BanZonesFile, problems)
        if _optional(folder, BAN_ZONES_FILE)
        else None,
        townships=read_yaml(folder / TOWNSHIPS_FILE, TownshipsFile, problems)
        if _optional(folder, TOWNSHIPS_FILE)
        else None,
        emission_limits=read_toml(folder / EMISSION_LIMITS_FILE, EmissionLimitsFile, problems)
        if _optional(folder, EMISSION_LIMITS_FILE)
        else None,
        briefing=read_toml(folder / BRIEFING_FILE, BriefingFile, problems)
        if _optional(folder, BRIEFING_FILE)
        else None,
    )
    problems.extend(_locate(folder, _Checker(plan).run()))
    return replace(plan, problems=problems)


def load_plan(folder: Path) -> Plan:
    """The plan of ``folder``, read and checked once; :class:`PlanError` lists every problem."""
    plan = read_plan(folder)
    if plan.problems:
        raise PlanError(folder, plan.problems)
    return plan


def load_file(path: Path, model: type[ModelT]) -> ModelT:
    """One plan file (YAML or TOML) on its own, e.g. a ``--rules`` file given to a command:
    validated as ``model``; :class:`PlanError` lists every problem with its line and key."""
    problems: list[Problem] = []
    reader = read_toml if path.suffix == ".toml" else read_yaml
    found = reader(path, model, problems, name=str(path))
    if found is None:
        raise PlanError(path, problems)
    return found


def _locate(folder: Path, problems: list[Problem]) -> list[Problem]:
    """Give the cross-reference problems of YAML files the line of the key they name."""
    roots: dict[str, yaml.Node | None] = {}
    located = []
    for problem in problems:
        if problem.line is None and problem.file.endswith(".yaml"):
            if problem.file not in roots:
                try:
                    text = (folder / problem.file).read_text("utf-8")
                    roots[problem.file] = yaml.compose(text, Loader=yaml.SafeLoader)
                except (OSError, ValueError, yaml.YAMLError):
                    roots[problem.file] = None
            root = roots[problem.file]
            if root is not None:
                problem = replace(problem, line=yaml_line(root, parse_key_path(problem.path)))
        located.append(problem)
    return located


def read_inspection(path: Path) -> Plan:
    """Read only ``inspection.yaml`` and ``units.csv`` of a plan folder, with their checks.

    For :mod:`lantian.supervision`'s reading of an inspection file on its own (``lantian
    supervision`` commands given a file). ``path`` is the folder or the inspection file itself
    (then the folder is its parent).
    """
    folder, name = (path, INSPECTION_FILE) if path.is_dir() else (path.parent, path.name)
    problems: list[Problem] = []
    plan = Plan(
        folder=folder,
        inspection=read_yaml(folder / name, InspectionFile, problems),
        units=read_csv_rows(folder / UNITS_FILE, UnitRow, problems),
    )
    checker = _Checker(plan)
    checker.check_inspection()
    problems.extend(checker.problems)
    return replace(plan, problems=problems)


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
        self.check_stations_and_adjacency()
        self.check_warning_levels()
        self.check_ban_zones()
        self.check_townships()
        return self.problems

    def check_townships(self) -> None:
        if self.plan.townships is None:
            return
        seen: dict[str, int] = {}
        for index, feature in enumerate(self.plan.townships.features):
            code = feature.properties.code
            where = f"features[{index}].properties.code"
            if self.area_codes and code not in self.area_codes:
                self.add(
                    TOWNSHIPS_FILE,
                    where,
                    f"未知区域代码 {code}（不在 areas.csv）/ unknown area code {code!r}",
                )
            if code in seen:
                self.add(
                    TOWNSHIPS_FILE,
                    where,
                    f"区域 {code} 已在 features[{seen[code]}] 出现 / area {code} already has "
                    f"features[{seen[code]}]",
                )
            seen.setdefault(code, index)

    def check_ban_zones(self) -> None:
        if self.plan.ban_zones is None:
            return
        for index, feature in enumerate(self.plan.ban_zones.features):
            for position, code in enumerate(feature.properties.area_codes):
                if code not in self.area_codes:
                    self.add(
                        BAN_ZONES_FILE,
                        f"features[{index}].properties.area_codes[{position}]",
                        f"未知区域代码 {code}（不在 areas.csv）/ unknown area code {code!r}",
                    )

    # -- stations, adjacency, warning levels ---------------------------------------------------
    def check_stations_and_adjacency(self) -> None:
        for code, count in Counter(station.code for station in self.plan.stations).items():
            if count > 1:
                self.add(STATIONS_FILE, code, f"重复 {count} 次 / repeated {count} times")
        if not self.plan.areas:
            return  # areas.csv unreadable: its own problem says so
        # Rows are numbered by their line in the file (the header is line 1).
        for line, station in enumerate(self.plan.stations, start=2):
            if station.area_code is not None and station.area_code not in self.area_codes:
                self.problems.append(
                    Problem(
                        STATIONS_FILE,
                        f"line {line}, area_code",
                        f"站点 {station.code}: 未知区域代码 {station.area_code}（不在 areas.csv）/ "
                        f"station {station.code}: unknown area code {station.area_code!r}",
                        line,
                    )
                )
        for line, pair in enumerate(self.plan.adjacency, start=2):
            for column in ("area_a", "area_b"):
                code = getattr(pair, column)
                if code not in self.area_codes:
                    self.problems.append(
                        Problem(
                            ADJACENCY_FILE,
                            f"line {line}, {column}",
                            f"未知区域代码 {code}（不在 areas.csv）/ unknown area code {code!r}",
                            line,
                        )
                    )

    def check_warning_levels(self) -> None:
        """The levels other files name must be levels of the plan's warning scheme."""
        rules = self.plan.warning_rules
        if rules is None:
            return
        keys = rules.level_keys()
        known = ", ".join(keys)

        def check(file: str, path: str, key: str) -> None:
            if key not in keys:
                self.add(
                    file,
                    path,
                    f"预警级别 {key} 不在 {WARNING_RULES_FILE} 中（可用：{known}）/ "
                    f"warning level {key!r} is not a level of the plan's scheme ({known})",
                )

        targets = self.plan.reduction_targets
        if targets is not None:
            for key in targets.levels:
                check(REDUCTION_TARGETS_FILE, f"levels.{key}", key)
            for key in targets.optimiser.days_per_level:
                check(REDUCTION_TARGETS_FILE, f"optimiser.days_per_level.{key}", key)
        staggered = self.plan.staggered
        if staggered is not None:
            for index, key in enumerate(staggered.transport.freight_cut_levels):
                check(STAGGERED_FILE, f"transport.freight_cut_levels[{index}]", key)

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
        self.check_permit_sectors()

    def check_permit_sectors(self) -> None:
        """Task 22's sectors: each named in the words it quotes, which are the task's own, its
        deadline one of the task's deadlines, its key used once in the plan."""
        tasks_file = self.plan.tasks_file
        assert tasks_file is not None
        seen: set[str] = set()
        for s_index, section in enumerate(tasks_file.sections):
            for t_index, task in enumerate(section.tasks):
                path = f"sections[{s_index}].tasks[{t_index}]"
                holders: list[tuple[str, str, str, Assignment]] = [
                    (
                        f"{path}.items[{i_index}]",
                        f"{task.number}({item.number})",
                        item.text,
                        item,
                    )
                    for i_index, item in enumerate(task.items or [])
                ]
                if not task.items:
                    holders.append(
                        (
                            path,
                            str(task.number),
                            task.text or "",
                            Assignment.model_validate(
                                task.model_dump(exclude={"number", "title", "text", "items"})
                            ),
                        )
                    )
                for where_path, ref, text, assignment in holders:
                    dates = {d.date for d in assignment.deadlines if d.kind == "by"}
                    for index, sector in enumerate(assignment.permit_sectors):
                        self.check_permit_sector(
                            f"{where_path}.permit_sectors[{index}]", ref, text, dates, sector, seen
                        )

    def check_permit_sector(
        self,
        path: str,
        ref: str,
        text: str,
        dates: set[date | None],
        sector: PermitSector,
        seen: set[str],
    ) -> None:
        where = f"任务 task {ref} 排污许可行业 permit sector {sector.key}"
        if sector.key in seen:
            self.add(TASKS_FILE, f"{path}.key", f"{where}: 行业重复 / the sector is repeated")
        seen.add(sector.key)
        if sector.source not in text:
            self.add(
                TASKS_FILE,
                f"{path}.source",
                f"{where}: 所引原文不在任务 {ref} 中 / the quoted words are not the task's",
            )
        if sector.name not in sector.source:
            self.add(
                TASKS_FILE,
                f"{path}.name",
                f"{where}: 原文中没有行业“{sector.name}”（未知行业）/ unknown sector: "
                f"{sector.name!r} is not in the words it quotes",
            )
        if sector.deadline not in dates:
            known = "、".join(sorted(str(d) for d in dates if d)) or "无 none"
            self.add(
                TASKS_FILE,
                f"{path}.deadline",
                f"{where}: 期限 {sector.deadline} 不是任务 {ref} 的完成时限（{known}）/ the "
                f"deadline {sector.deadline} is not one of the task's deadlines ({known})",
            )
        self.check_date(TASKS_FILE, f"{path}.deadline", where, sector.deadline)

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
