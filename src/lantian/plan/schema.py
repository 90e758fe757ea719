"""The plan files' schema (docs/plan-files.md): one pydantic model per file and per record.

A plan folder holds ``plan.yaml`` (the document, periods, overall targets, reporting duties),
``tasks.yaml`` (the numbered tasks of 二、主要任务 with their sub-items), ``annex.yaml`` (the
annex table), ``inspection.yaml`` (the inspection-support plan), the CSV directories
``areas.csv``, ``units.csv``, ``leaders.csv``, ``calendar.csv``, ``stations.csv`` and
``adjacency.csv``, and the settings ``warning_rules.toml`` (and the optional
``warning_rules_three_level.toml``), ``reduction_targets.toml`` and ``staggered.toml``. These models
check the shape of each record (unknown keys are errors; YAML and TOML are validated strictly);
cross-references between files are checked by :mod:`lantian.plan.loader`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lantian.monitoring.models import POLLUTANTS, STATION_STATUSES, STATION_TIERS
from lantian.standards.geometry import ring_problems

AreaKind = Literal["township", "subdistrict", "scenic_area", "industrial_cluster"]
AREA_KINDS: tuple[str, ...] = ("township", "subdistrict", "scenic_area", "industrial_cluster")
UnitKind = Literal[
    "department", "office", "party_organ", "government", "enterprise", "sub_unit", "other"
]
Comparator = Literal[">=", "<=", ">", "<", "="]
#: ``cumulative``: reports give what was done in the month; the roll-up is their sum.
#: ``level``: reports give the current value; the roll-up is the mean of each reporter's latest.
Measure = Literal["cumulative", "level", "floor"]
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


class PermitSector(Strict):
    """A sector of task 22 (加快重点行业排污许可证核发) whose firms must hold a discharge permit
    (排污许可证) by ``deadline``: the permit register's sectors and deadlines are these, so another
    city's plan sets its own. ``industries`` are the emission inventory's industry codes of the
    sector's firms (``lantian.emissions.models.Enterprise.industry``); ``source`` quotes the task."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    name: str = Field(min_length=1)
    deadline: dt.date
    industries: list[str] = Field(min_length=1)
    source: str = Field(min_length=1)


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
    #: Task 22's sectors and their permit deadlines (the discharge-permit register reads them).
    permit_sectors: list[PermitSector] = Field(default_factory=list)


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
    permit_sectors: list[PermitSector] = Field(default_factory=list)

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


class CoalQualityLimit(Strict):
    """The limits one type of coal sold must meet (percent; ``None``: no limit for that item)."""

    name: str = Field(min_length=1)
    #: Total sulphur, dry basis (St,d), %.
    sulphur_max: float | None = Field(default=None, gt=0, le=100)
    #: Ash, dry basis (Ad), %.
    ash_max: float | None = Field(default=None, gt=0, le=100)
    #: Volatile matter, dry ash-free basis (Vdaf), %.
    volatile_max: float | None = Field(default=None, gt=0, le=100)


class CoalQuality(Strict):
    """Task 13's coal-quality limits (确保行政区域内使用的煤炭质量符合国家或地方煤炭质量标准): the
    standard the plan's coal sellers are sampled against, per coal type (the register's choices)."""

    standard: str = Field(min_length=1)
    source: str = Field(min_length=1)
    note: str | None = None
    limits: dict[str, CoalQualityLimit] = Field(min_length=1)


class RoadDustLoad(Strict):
    """Task 31's 以克论净 (roads judged by the grams of dust left per square metre): the most dust a
    swept road may hold at a check, g/m², per road class (the road register's choices)."""

    source: str = Field(min_length=1)
    note: str | None = None
    #: Road class (main, secondary, back_street, highway) → the most dust allowed, g/m².
    limits_g_m2: dict[str, float] = Field(min_length=1)


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
    coal_quality: CoalQuality | None = None
    road_dust_load: RoadDustLoad | None = None


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


# -- stations.csv, adjacency.csv ---------------------------------------------------------------

StationTier = Literal[STATION_TIERS]  # type: ignore[valid-type]
StationStatus = Literal[STATION_STATUSES]  # type: ignore[valid-type]
StationPollutant = Literal[POLLUTANTS]  # type: ignore[valid-type]


class StationRow(Strict):
    """A monitoring station the plan calls for (columns in the plan folder's README)."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    city: str = Field(min_length=1)
    tier: StationTier
    area_code: str | None = Field(default=None, pattern=AREA_CODE_PATTERN)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    status: StationStatus = "operating"
    pollutants: list[StationPollutant] = Field(default_factory=lambda: list(POLLUTANTS))
    reporting_interval_s: int = Field(default=3600, gt=0)

    @model_validator(mode="after")
    def _all_pollutants_when_empty(self) -> StationRow:
        if not self.pollutants:
            self.pollutants = list(POLLUTANTS)
        return self


class AdjacencyRow(Strict):
    """Two townships that border each other (9-digit NBS codes; names only for reading)."""

    area_a: str = Field(pattern=AREA_CODE_PATTERN)
    name_a: str = ""
    area_b: str = Field(pattern=AREA_CODE_PATTERN)
    name_b: str = ""
    #: ``inferred`` (from the map, no boundary data) or ``boundary`` (from boundary polygons).
    basis: str = ""

    @model_validator(mode="after")
    def _two_areas(self) -> AdjacencyRow:
        if self.area_a == self.area_b:
            raise ValueError("乡镇不能与自身相邻 / a township cannot border itself")
        return self


# -- warning_rules.toml (both schemes) -------------------------------------------------------------


class WarningScheme(Strict):
    name: str = ""
    title_zh: str = ""
    title_en: str = ""
    city_zh: str = ""
    city_code: str = ""
    observed_city: str = ""
    source: str = ""


class WarningThresholds(Strict):
    heavy_aqi: int = Field(default=200, gt=0)
    severe_aqi: int = Field(default=300, gt=0)
    peak_aqi: int = Field(default=500, gt=0)
    peak_inclusive: bool = True


class DayCounting(Strict):
    method: Literal["disjoint_windows", "full_days"] = "disjoint_windows"
    severe_days_consecutive: bool = True
    severe_inside_heavy_run: bool = True


class WarningClause(Strict):
    """One sufficient condition of a level; every field given must hold."""

    heavy_days: int = Field(default=0, ge=0)
    severe_days: int = Field(default=0, ge=0)
    peak: bool = False


class WarningLevel(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    rank: int = Field(ge=1)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    response_zh: str = ""
    colour: str = ""
    clauses: list[WarningClause] = Field(min_length=1)
    reduction_zh: str = ""


class Lifting(Strict):
    clean_aqi: int = 150
    clean_hours: int = Field(default=36, ge=1)
    clean_hours_inclusive: bool = True
    allow_downgrade: bool = True


class Merging(Strict):
    level: Literal["stricter_of_parts", "combined_days"] = "stricter_of_parts"


class EarlyStart(Strict):
    enabled: bool = True
    observed_aqi: int = 200
    horizon_hours: int = Field(default=12, ge=0)
    improved_aqi: int = 200
    observed_basis: Literal["rolling_24h", "hourly"] = "rolling_24h"
    count_observed_days: bool = True


class ForecastSettings(Strict):
    bridge_missing_hours: int = Field(default=3, ge=0)
    max_issue_lead_hours: int = Field(default=36, ge=0)


class LinkageSettings(Strict):
    min_townships: int = Field(default=3, ge=1)
    min_level: str = "orange"


class WarningRulesFile(Strict):
    """A warning scheme: its levels (the only definition of the warning levels) and settings."""

    scheme: WarningScheme = Field(default_factory=WarningScheme)
    thresholds: WarningThresholds = Field(default_factory=WarningThresholds)
    day_counting: DayCounting = Field(default_factory=DayCounting)
    levels: list[WarningLevel] = Field(min_length=1)
    lifting: Lifting = Field(default_factory=Lifting)
    merging: Merging = Field(default_factory=Merging)
    early_start: EarlyStart = Field(default_factory=EarlyStart)
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    linkage: LinkageSettings = Field(default_factory=LinkageSettings)

    @model_validator(mode="after")
    def _levels_distinct(self) -> WarningRulesFile:
        ranks = [level.rank for level in self.levels]
        keys = [level.key for level in self.levels]
        if len(set(ranks)) != len(ranks) or len(set(keys)) != len(keys):
            raise ValueError(
                "级别的 key 与 rank 须互不相同 / level keys and ranks must be distinct"
            )
        if self.linkage.min_level not in keys:
            raise ValueError(
                f"linkage.min_level {self.linkage.min_level!r} 不是已定义的级别 / is not a "
                f"defined level ({', '.join(keys)})"
            )
        return self

    def level_keys(self) -> list[str]:
        """The levels' keys, lowest first."""
        return [level.key for level in sorted(self.levels, key=lambda level: level.rank)]


# -- reduction_targets.toml ------------------------------------------------------------------------

ReductionPollutant = Literal["so2", "nox", "pm", "vocs"]


class SO2NOxTrade(Strict):
    enabled: bool = True
    form: Literal["ratio_sum", "pooled_tonnes"] = "ratio_sum"
    floor: float = Field(default=0.0, ge=0.0, le=1.0, allow_inf_nan=False)


class OptimiserFile(Strict):
    limit_step: float = Field(default=0.10, gt=0.0, le=1.0, allow_inf_nan=False)
    exempt_grade_a: bool = False
    days_per_level: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _days_not_negative(self) -> OptimiserFile:
        for key, days in self.days_per_level.items():
            if days < 0:
                raise ValueError(f"days_per_level.{key}: 应为非负数 / must be ≥ 0")
        return self


class ReductionTargetsFile(Strict):
    """Required reduction ratio (a fraction, 5 % is 0.05) per warning level and pollutant."""

    plan: str = ""
    source: str = ""
    inventory_year: int | None = None
    levels: dict[str, dict[ReductionPollutant, float]] = Field(min_length=1)
    so2_nox_trade: SO2NOxTrade = Field(default_factory=SO2NOxTrade)
    optimiser: OptimiserFile = Field(default_factory=OptimiserFile)

    @model_validator(mode="after")
    def _fractions(self) -> ReductionTargetsFile:
        for level, ratios in self.levels.items():
            for pollutant, value in ratios.items():
                if not 0.0 <= value <= 1.0:
                    raise ValueError(
                        f"levels.{level}.{pollutant}: {value} 不在 0 到 1 之间（比例写作小数，5% 写 "
                        "0.05） / is not between 0 and 1 (ratios are fractions: write 5 % as 0.05)"
                    )
        return self


# -- staggered.toml --------------------------------------------------------------------------------

MONTH_DAY_PATTERN = r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


class HeatingSeason(Strict):
    start: str = Field(default="11-15", pattern=MONTH_DAY_PATTERN)
    end: str = Field(default="03-15", pattern=MONTH_DAY_PATTERN)

    @model_validator(mode="after")
    def _real_days(self) -> HeatingSeason:
        for value in (self.start, self.end):
            month, day = (int(part) for part in value.split("-"))
            dt.date(2000, month, day)  # 2000 is a leap year: 02-29 is allowed
        return self


class StaggeredRuleFile(Strict):
    id: str = Field(min_length=1)
    task: int = Field(ge=1)
    text: str = Field(min_length=1)
    industries: list[str] = Field(min_length=1)
    period: Literal["heating_season", "warning"]
    action: Literal["stop", "limit"]
    limit: float = Field(default=1.0, ge=0.0, le=1.0)
    processes: list[str] = Field(default_factory=list)
    exempt_fuels: dict[str, list[str]] = Field(default_factory=dict)
    special_limits_limit: float | None = Field(default=None, ge=0.0, le=1.0)
    approval_exempts: bool = False


class Livelihood(Strict):
    caps_required_cut: bool = True
    #: The tasks whose rules the approved load caps: task 37 alone ("保民生任务的，要根据承担任务量
    #: 核定最大允许生产负荷" is in task 37; task 38's exception is the provincial approval).
    tasks: list[int] = Field(default_factory=lambda: [37])


class TransportFile(Strict):
    min_share_china4_plus: float = Field(default=0.8, ge=0.0, le=1.0)
    no_movements_during_warning: bool = True
    freight_cut_levels: list[str] = Field(default_factory=lambda: ["orange", "red"])
    freight_cut: float = Field(default=0.5, ge=0.0, le=1.0)


class StaggeredFile(Strict):
    """Staggered production and transport (seed tasks 37–39)."""

    plan: str = ""
    heating_season: HeatingSeason = Field(default_factory=HeatingSeason)
    rules: list[StaggeredRuleFile] = Field(default_factory=list)
    livelihood: Livelihood = Field(default_factory=Livelihood)
    transport: TransportFile = Field(default_factory=TransportFile)


# -- ban_zones.geojson (optional) -----------------------------------------------------------------

#: A polygon as GeoJSON gives it: rings of [longitude, latitude] positions, the outer ring first.
PolygonCoordinates = list[list[list[float]]]


#: What a zone bans: high-polluting fuels (task 12(1), 高污染燃料禁燃区), fireworks (task 36,
#: 烟花爆竹禁放区: the annex's "在城区范围内，全年禁止燃放任何形式的烟花爆竹") or black-smoking,
#: high-emission non-road machinery (task 24: "城市建成区内为禁止使用冒黑烟高排放 … 非道路移动机械区域").
Ban = Literal["fuel", "fireworks", "machinery"]
BANS: tuple[str, ...] = ("fuel", "fireworks", "machinery")


def _fuel_ban() -> list[Ban]:
    return ["fuel"]


class BanZoneProperties(Strict):
    """What a ban zone is: its name, where its boundary comes from and whether it is approximate."""

    name: str = Field(min_length=1)
    #: The bans in force in the zone (a zone without the key is a fuel ban zone, as the file was
    #: first written for task 12(1) alone).
    bans: list[Ban] = Field(default_factory=_fuel_ban, min_length=1)
    #: The boundary is an approximation (drawn by hand, not the official delimitation document).
    approximate: bool = False
    source: str = Field(min_length=1)
    note: str = ""
    #: The areas (areas.csv) the zone lies in, for the cases a finding inside it opens.
    area_codes: list[str] = Field(default_factory=list)


class BanZoneGeometry(Strict):
    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[PolygonCoordinates] | PolygonCoordinates

    @model_validator(mode="after")
    def _rings(self) -> BanZoneGeometry:
        depth, probe = 0, cast(Any, self.coordinates)
        while isinstance(probe, list) and probe:
            depth, probe = depth + 1, probe[0]
        if depth != (3 if self.type == "Polygon" else 4):
            raise ValueError(
                f"the coordinates are not those of a {self.type} / 坐标层次与几何类型不符"
            )
        problems = [
            problem
            for polygon in self.polygons()
            for ring in polygon
            for problem in ring_problems(ring)
        ]
        if any(not polygon for polygon in self.polygons()):
            problems.append("a polygon needs an outer ring / 多边形需要外环")
        if problems:
            raise ValueError("; ".join(dict.fromkeys(problems)))
        return self

    def polygons(self) -> list[PolygonCoordinates]:
        """The polygons of the geometry (one for a Polygon, its parts for a MultiPolygon)."""
        if self.type == "Polygon":
            return [cast(PolygonCoordinates, self.coordinates)]
        return cast(list[PolygonCoordinates], self.coordinates)


class BanZoneFeature(Strict):
    type: Literal["Feature"]
    id: str | None = None
    properties: BanZoneProperties
    geometry: BanZoneGeometry


class BanZonesFile(Strict):
    """``ban_zones.geojson`` (optional): the high-polluting-fuel ban zones of task 12(1)
    ("城市建成区应划定为高污染燃料禁燃区") and the fireworks ban zones of task 36, a GeoJSON
    FeatureCollection of polygons (WGS-84); each zone's ``bans`` says which bans it carries."""

    type: Literal["FeatureCollection"]
    name: str | None = None
    features: list[BanZoneFeature] = Field(min_length=1)

    def polygons(self, ban: Ban | None = None) -> list[PolygonCoordinates]:
        """The zones' polygons (``ban``: only those of zones with that ban)."""
        return [
            polygon
            for feature in self.features
            if ban is None or ban in feature.properties.bans
            for polygon in feature.geometry.polygons()
        ]

    def collection(self, ban: Ban) -> dict[str, Any] | None:
        """The zones with ``ban`` as a GeoJSON FeatureCollection (for a map), None without any."""
        document = self.model_dump(mode="json", exclude_none=True)
        document["features"] = [
            feature for feature in document["features"] if ban in feature["properties"]["bans"]
        ]
        return document if document["features"] else None


# -- townships.geojson (optional) -----------------------------------------------------------------


class TownshipProperties(Strict):
    """One township's polygon: its NBS code (areas.csv), name, and where the boundary comes from."""

    code: str = Field(pattern=AREA_CODE_PATTERN)
    name: str = Field(min_length=1)
    #: The boundary is an approximation (not the surveyed boundary of the civil-affairs office).
    approximate: bool = False
    source: str = Field(min_length=1)
    note: str = ""


class TownshipFeature(Strict):
    type: Literal["Feature"]
    id: str | None = None
    properties: TownshipProperties
    geometry: BanZoneGeometry


class TownshipsFile(Strict):
    """``townships.geojson`` (optional): the township-level units' polygons (WGS-84), which locate a
    point (a satellite fire point of task 34: "充分利用卫星遥感等手段密切监测各地秸秆禁烧情况") to
    the township whose grid answers for it (网格化监管)."""

    type: Literal["FeatureCollection"]
    name: str | None = None
    features: list[TownshipFeature] = Field(min_length=1)

    def township_at(self, longitude: float, latitude: float) -> str | None:
        """The code of the township a point lies in, or None outside every polygon.

        A point on the edge two polygons share lies in both: the lowest code wins, so the answer
        does not depend on the order of the file's features."""
        from lantian.standards.geometry import in_any

        for feature in sorted(self.features, key=lambda f: f.properties.code):
            if in_any(longitude, latitude, feature.geometry.polygons()):
                return feature.properties.code
        return None


# -- emission_limits.toml (optional) --------------------------------------------------------------

#: The limit sets a stack may be held to: the standard's limits for plants in use, the special
#: limits (特别排放限值) of the key regions, the ultra-low (超低排放) limits.
LimitSet = Literal["standard", "special", "ultra_low"]
#: The stack pollutants judged (HJ 212-2017 codes): smoke dust, SO2, NOx.
STACK_POLLUTANTS = ("a34013", "a21026", "a21002")


class EmissionSector(Strict):
    """One sector's emission standard for task 21's exceedance checks (即超即罚): the reference
    O2 of its corrected concentrations (None: the standard defines none, the dry value is judged)
    and its hourly limits (mg/m³) per limit set and pollutant code. ``source`` says where the
    values come from and how sure they are (spec/standards.md §6.2, §6.4 marks)."""

    name: str = Field(min_length=1)
    standard: str = Field(min_length=1)
    reference_o2: float | None = Field(default=None, ge=0, lt=21)
    #: Whether task 21 names the sector (电力、水泥、玻璃、有色、砖瓦、燃煤锅炉): every stack of
    #: it must have a working CEMS, whatever its height.
    cems_required: bool = False
    limits: dict[LimitSet, dict[str, float]] = Field(default_factory=dict)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _known_pollutants(self) -> EmissionSector:
        for limit_set, values in self.limits.items():
            for code, value in values.items():
                if code not in STACK_POLLUTANTS:
                    raise ValueError(
                        f"限值组 {limit_set} 的污染物 {code!r} 未知（可选 "
                        f"{', '.join(STACK_POLLUTANTS)}）/ unknown pollutant code {code!r}"
                    )
                if value <= 0:
                    raise ValueError(
                        f"限值组 {limit_set} 的 {code} 限值须为正数 / limits must be positive"
                    )
        return self


class EmissionLimitsFile(Strict):
    """``emission_limits.toml`` (optional): per sector key the emission standard, reference O2
    and limits the CEMS judgement of task 21 uses; another city changes them here."""

    source: str = Field(min_length=1)
    #: Stacks higher than this (m) are the elevated sources of task 21 (排气口高度超过 45 米).
    elevated_height_m: float = Field(default=45.0, gt=0)
    sectors: dict[str, EmissionSector] = Field(min_length=1)

    @model_validator(mode="after")
    def _keys(self) -> EmissionLimitsFile:
        for key in self.sectors:
            if not key.replace("_", "").isalnum() or not key.islower():
                raise ValueError(
                    f"行业键 {key!r} 须为小写字母 / sector key {key!r} must be lower case"
                )
        return self

    def limit(self, sector: str, limit_set: str, pollutant: str) -> float | None:
        """The hourly limit (mg/m³) of a pollutant for a sector and limit set, None without one."""
        found = self.sectors.get(sector)
        if found is None:
            return None
        values: dict[str, float] = dict(found.limits).get(limit_set, {})  # type: ignore[call-overload]
        return values.get(pollutant)
