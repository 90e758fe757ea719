"""The plan files' schema (docs/plan-files.md): one pydantic model per file and per record.

A plan folder holds ``plan.yaml`` (the document, periods, overall targets, reporting duties),
``tasks.yaml`` (the numbered tasks of 二、主要任务 with their sub-items), ``annex.yaml`` (the
annex table), ``inspection.yaml`` (the inspection-support plan), and the CSV directories
``areas.csv``, ``units.csv``, ``leaders.csv`` and ``calendar.csv``. These models check the shape
of each record; cross-references between files are checked by :mod:`lantian.campaign.plan_files`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AreaKind = Literal["township", "subdistrict", "scenic_area", "industrial_cluster"]
AREA_KINDS: tuple[str, ...] = ("township", "subdistrict", "scenic_area", "industrial_cluster")
UnitKind = Literal[
    "department", "office", "party_organ", "government", "enterprise", "sub_unit", "other"
]
Comparator = Literal[">=", "<=", ">", "<", "="]
#: ``cumulative``: reports give what was done in the month; the roll-up is their sum.
#: ``level``: reports give the current value; the roll-up is the mean of each reporter's latest.
Measure = Literal["cumulative", "level"]
DeadlineKind = Literal["by", "from", "period", "recurring"]
Frequency = Literal["day", "week", "month"]

UNIT_CODE_PATTERN = r"^[a-z][a-z0-9]*$"
AREA_CODE_PATTERN = r"^\d{9}$"


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must not be silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AreaRow(Strict):
    code: str = Field(pattern=AREA_CODE_PATTERN)
    name: str = Field(min_length=1)
    nbs_name: str = Field(min_length=1)
    kind: AreaKind
    note: str = ""


class UnitRow(Strict):
    code: str = Field(pattern=UNIT_CODE_PATTERN, max_length=32)
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    kind: UnitKind
    parent_code: str | None = None
    note: str = ""


class LeaderRow(Strict):
    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    note: str = ""


class CalendarRow(Strict):
    """One day of the official holiday calendar: a day off or a make-up working day (调休上班)."""

    date: dt.date
    kind: Literal["holiday", "workday"]
    name: str = Field(min_length=1)
    source: str = Field(min_length=1)


class Deadline(Strict):
    """A date or period in a task's text.

    ``by``: done by ``date`` (inclusive); ``from``: applies from ``date`` on; ``period``: during a
    named period of plan.yaml; ``recurring``: every day/week/month (from ``date`` if given).
    """

    kind: DeadlineKind
    date: dt.date | None = None
    period: str | None = None
    every: Frequency | None = None
    what: str = Field(min_length=1)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Deadline:
        if self.kind in ("by", "from") and self.date is None:
            raise ValueError(f"a '{self.kind}' deadline needs a date / 需要日期")
        if self.kind == "period" and not self.period:
            raise ValueError("a 'period' deadline needs a period / 需要时段名")
        if self.kind == "recurring" and self.every is None:
            raise ValueError("a 'recurring' deadline needs every: day|week|month / 需要频次")
        return self


class Target(Strict):
    """A quantified target: ``indicator comparator value unit``, quoted from ``source``."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    indicator: str = Field(min_length=1)
    comparator: Comparator
    value: float
    unit: str = Field(min_length=1)
    measure: Measure
    by: dt.date | None = None
    source: str = Field(min_length=1)
    note: str | None = None
    #: Only in annex.yaml: the task whose progress reports carry this target's values.
    task: str | None = None
    #: Only in plan.yaml's overall targets.
    period: str | None = None
    lead_unit: str | None = None


class ResponsibleAreas(Strict):
    """责任单位: the areas that deliver, as the seed's words and as a selector over areas.csv."""

    text: str = Field(min_length=1)
    all_of: list[AreaKind] = Field(default_factory=list)
    relevant_of: list[AreaKind] = Field(default_factory=list)
    areas: list[str] = Field(default_factory=list)


class Assignment(Strict):
    """Who answers for a task or sub-item, and its dates and targets."""

    leaders: list[str] = Field(min_length=1)
    leaders_text: str = Field(min_length=1)
    lead_units: list[str] = Field(min_length=1)
    lead_units_text: str = Field(min_length=1)
    cooperating_units: list[str] = Field(default_factory=list)
    cooperating_units_text: str | None = None
    responsible_areas: ResponsibleAreas | None = None
    #: The seed states one assignment after several tasks (e.g. after task 3 for tasks 1–3).
    assignment_shared_with: list[int] | None = None
    deadlines: list[Deadline] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)


class Item(Assignment):
    number: int = Field(ge=1)
    text: str = Field(min_length=1)


class Task(Strict):
    """A numbered task: either its own text and assignment, or sub-items that carry them."""

    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    text: str | None = None
    items: list[Item] | None = None
    leaders: list[str] | None = None
    leaders_text: str | None = None
    lead_units: list[str] | None = None
    lead_units_text: str | None = None
    cooperating_units: list[str] = Field(default_factory=list)
    cooperating_units_text: str | None = None
    responsible_areas: ResponsibleAreas | None = None
    assignment_shared_with: list[int] | None = None
    deadlines: list[Deadline] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)

    @model_validator(mode="after")
    def _items_or_assignment(self) -> Task:
        if self.items:
            own = [
                name
                for name in ("text", "leaders", "lead_units")
                if getattr(self, name) is not None
            ]
            if own:
                raise ValueError(
                    f"a task with items keeps {', '.join(own)} in its items / "
                    "有子项的任务，其内容和分工写在子项中"
                )
            return self
        missing = [
            name
            for name in ("text", "leaders", "leaders_text", "lead_units", "lead_units_text")
            if not getattr(self, name)
        ]
        if missing:
            raise ValueError(
                f"a task without items needs {', '.join(missing)} / 无子项的任务缺少 {', '.join(missing)}"
            )
        return self


class Section(Strict):
    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    tasks: list[Task] = Field(min_length=1)


class TasksFile(Strict):
    sections: list[Section] = Field(min_length=1)


class Period(Strict):
    name: str = Field(min_length=1)
    start: dt.date | None = None
    end: dt.date | None = None
    source: str = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start and self.end and self.end < self.start:
            raise ValueError("period ends before it starts / 时段结束早于开始")
        return self


class MonthlyReporting(Strict):
    what: str
    to: str
    due_day: int = Field(ge=1, le=28)
    first_due: dt.date
    last_due: dt.date
    shift_to_working_day: bool = True
    source: str
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> MonthlyReporting:
        if self.last_due < self.first_due:
            raise ValueError("last_due is before first_due / 截止日期顺序颠倒")
        return self


class ReportingDuty(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    what: str
    due: dt.date | None = None
    every: Frequency | None = None
    to: str | None = None
    to_text: str | None = None
    from_text: str | None = None
    task: str | None = None
    source: str

    @model_validator(mode="after")
    def _when(self) -> ReportingDuty:
        if (self.due is None) == (self.every is None):
            raise ValueError("a duty has either due (a date) or every / 需要 due 或 every 之一")
        return self


class Reporting(Strict):
    monthly_progress: MonthlyReporting
    duties: list[ReportingDuty] = Field(default_factory=list)


class AreaPhrase(Strict):
    kind: AreaKind | None = None
    area: str | None = None

    @model_validator(mode="after")
    def _one(self) -> AreaPhrase:
        if (self.kind is None) == (self.area is None):
            raise ValueError("an area phrase maps to a kind or to an area / 需要 kind 或 area 之一")
        return self


class PlanFile(Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    title: str
    title_en: str
    city: str
    city_code: str
    document_number: str
    issued_by: str
    issued_on: dt.date
    campaign_office: str
    source: str
    periods: dict[str, Period]
    overall_targets: list[Target] = Field(default_factory=list)
    reporting: Reporting
    area_phrases: dict[str, AreaPhrase] = Field(default_factory=dict)
    generic_unit_phrases: dict[str, str] = Field(default_factory=dict)


class AnnexDeadline(Strict):
    kind: DeadlineKind
    date: dt.date | None = None
    period: str | None = None


class AnnexRow(Strict):
    category: str
    key_work: str
    main_task: str
    deadline_text: str
    deadline: AnnexDeadline
    measures: str
    tasks: list[str] = Field(default_factory=list)
    target_keys: list[str] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    note: str | None = None


class AnnexFile(Strict):
    columns: list[str]
    rows: list[AnnexRow] = Field(min_length=1)


class Person(Strict):
    """A person of the inspection-support plan: the seed prints "<unit><post>" after the name.

    ``unit_text`` is how the seed names the unit when that is not units.csv's ``name`` (one of its
    aliases, e.g. 市环境攻坚办 for gjb), or ``""`` when the seed prints no unit (姬贤杰 副市长).
    """

    name: str = Field(min_length=1)
    unit: str
    unit_text: str | None = None
    post: str = Field(min_length=1)

    def printed_post(self, unit_names: dict[str, str]) -> str:
        """The post as the seed prints it: "市环保局副局长" from unit hbj and post 副局长."""
        unit = self.unit_text if self.unit_text is not None else unit_names.get(self.unit, "")
        return f"{unit}{self.post}"


class LeadershipGroup(Strict):
    name: str
    duties: str
    leader: Person
    deputy_leaders: list[Person] = Field(default_factory=list)
    members: list[Person] = Field(default_factory=list)


class CoordinationOffice(Strict):
    name: str
    duties: str
    directors: list[Person] = Field(min_length=1)
    deputy_directors: list[Person] = Field(default_factory=list)


class WorkingGroup(Strict):
    """专项工作组. ``key`` is the code the supervision tables store (duty shifts, daily reports)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    name: str
    name_en: str | None = None
    leader: Person
    deputy_leaders: list[Person] = Field(default_factory=list)
    members: list[Person] = Field(default_factory=list)
    members_note: str | None = None
    duties: str
    #: 现场保障及案件查办组: handles the inspection teams' cases and proposes accountability.
    handles_cases: bool = False
    #: 责任追究组: decides on accountability proposals.
    decides_accountability: bool = False


class DutyRule(Strict):
    """24-hour duty kept by ``group``; ``article`` is the 1-based rule article it comes from."""

    group: str
    hours_per_day: int = Field(ge=1, le=24)
    article: int = Field(ge=1)


class DailyReportRule(Strict):
    """Daily report of ``reporting_groups`` (empty: every working group) to ``to_group`` by
    ``due_local_time`` (in the file's ``utc_offset_hours``), summed up for ``forwarded_to``."""

    due_local_time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    reporting_groups: list[str] = Field(default_factory=list)
    to_group: str
    forwarded_to: str | None = None
    contents: str
    article: int = Field(ge=1)


class InspectionRules(Strict):
    #: The plan's rule articles (三、工作纪律和有关要求), verbatim and in order.
    articles: list[str] = Field(min_length=1)
    duty: DutyRule
    daily_report: DailyReportRule


class InspectionFile(Strict):
    title: str
    source: str | None = None
    purpose: str
    #: 主办 and 督办 of the document (unit codes).
    host_unit: str | None = None
    supervising_unit: str | None = None
    #: The local clock of the rules' times and of duty days (China: 8).
    utc_offset_hours: int = Field(default=8, ge=-12, le=14)
    leadership_group: LeadershipGroup
    coordination_office: CoordinationOffice
    working_groups: list[WorkingGroup] = Field(min_length=1)
    rules: InspectionRules

    def people(self) -> list[tuple[str, Person]]:
        """Everyone with the path of their entry (``working_groups[2].members[0]``)."""
        found: list[tuple[str, Person]] = [
            ("leadership_group.leader", self.leadership_group.leader)
        ]
        for name in ("deputy_leaders", "members"):
            for index, person in enumerate(getattr(self.leadership_group, name)):
                found.append((f"leadership_group.{name}[{index}]", person))
        for name in ("directors", "deputy_directors"):
            for index, person in enumerate(getattr(self.coordination_office, name)):
                found.append((f"coordination_office.{name}[{index}]", person))
        for g_index, group in enumerate(self.working_groups):
            found.append((f"working_groups[{g_index}].leader", group.leader))
            for name in ("deputy_leaders", "members"):
                for index, person in enumerate(getattr(group, name)):
                    found.append((f"working_groups[{g_index}].{name}[{index}]", person))
        return found

    def reporting_groups(self) -> list[str]:
        """The keys of the groups that report daily (every group when the file lists none)."""
        listed = self.rules.daily_report.reporting_groups
        return list(listed) if listed else [group.key for group in self.working_groups]
