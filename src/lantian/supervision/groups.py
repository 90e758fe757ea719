"""The inspection-support organisation as the supervision package uses it: leading group,
coordination office, working groups, duty and daily-report rules.

The plan keeps it in one file, ``<plan>/inspection.yaml``, read and checked with
the rest of the plan by :func:`lantian.plan.load_plan` (the same schema and checks as
``lantian plan check``). This module adapts that record to what duty rosters, daily reports and the
supervision pages need: group codes (the working groups' ``key``), everyone's post as the seed prints
it, duties split at "；", the duty group, the reporting groups, the due time and the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from pathlib import Path

from lantian.errors import InputError, NotFound
from lantian.plan import INSPECTION_FILE, Plan, read_inspection, schema

FILE_NAME = INSPECTION_FILE
LEADING_GROUP_CODE = "leading_group"
OFFICE_CODE = "coordination_office"


@dataclass(frozen=True)
class Person:
    name: str
    post: str  # as the seed prints it, unit included: 市环保局副局长
    unit: str | None = None


@dataclass(frozen=True)
class WorkingGroup:
    code: str
    name: str
    name_en: str
    leaders: tuple[Person, ...]
    deputy_leaders: tuple[Person, ...]
    members: tuple[Person, ...]
    duties: tuple[str, ...]
    handles_cases: bool = False
    decides_accountability: bool = False
    field_staff: str | None = None

    @property
    def everyone(self) -> tuple[Person, ...]:
        return self.leaders + self.deputy_leaders + self.members


@dataclass(frozen=True)
class InspectionSupportPlan:
    title: str
    source: str
    leading_group: WorkingGroup
    office: WorkingGroup
    groups: tuple[WorkingGroup, ...]
    report_due: time
    utc_offset_hours: int
    reporting_groups: tuple[str, ...]
    collected_by: str
    summary_to: str
    duty_group: str
    rules: tuple[str, ...]

    def group(self, code: str) -> WorkingGroup:
        for group in (*self.groups, self.office):
            if group.code == code:
                return group
        raise NotFound(
            f"工作组 {code!r} 不存在，可选 {', '.join(g.code for g in self.groups)} / "
            f"no working group {code!r}"
        )

    @property
    def accountability_group(self) -> WorkingGroup | None:
        """责任追究组: the group that decides on accountability proposals, if the plan names one."""
        return next((g for g in self.groups if g.decides_accountability), None)


def split_duties(text: str) -> tuple[str, ...]:
    """The seed writes a group's duties as one sentence list: "负责……；负责……。" → each duty."""
    return tuple(part.strip() for part in text.strip().rstrip("。").split("；") if part.strip())


def _people(people: list[schema.Person], units: dict[str, str]) -> tuple[Person, ...]:
    return tuple(Person(p.name, p.printed_post(units), p.unit) for p in people)


def adapt(inspection: schema.InspectionFile, units: dict[str, str]) -> InspectionSupportPlan:
    """The supervision view of a checked ``inspection.yaml`` (``units``: code → name)."""
    leading = inspection.leadership_group
    office = inspection.coordination_office
    groups = tuple(
        WorkingGroup(
            code=group.key,
            name=group.name,
            name_en=group.name_en or group.key,
            leaders=_people([group.leader], units),
            deputy_leaders=_people(group.deputy_leaders, units),
            members=_people(group.members, units),
            duties=split_duties(group.duties),
            handles_cases=group.handles_cases,
            decides_accountability=group.decides_accountability,
            field_staff=group.members_note,
        )
        for group in inspection.working_groups
    )
    rules = inspection.rules
    hours, minutes = (int(part) for part in rules.daily_report.due_local_time.split(":"))
    return InspectionSupportPlan(
        title=inspection.title,
        source=inspection.source or "",
        leading_group=WorkingGroup(
            code=LEADING_GROUP_CODE,
            name=leading.name,
            name_en="leading group",
            leaders=_people([leading.leader], units),
            deputy_leaders=_people(leading.deputy_leaders, units),
            members=_people(leading.members, units),
            duties=split_duties(leading.duties),
        ),
        office=WorkingGroup(
            code=OFFICE_CODE,
            name=office.name,
            name_en="coordination office",
            leaders=_people(office.directors, units),
            deputy_leaders=_people(office.deputy_directors, units),
            members=(),
            duties=split_duties(office.duties),
        ),
        groups=groups,
        report_due=time(hours, minutes),
        utc_offset_hours=inspection.utc_offset_hours,
        reporting_groups=tuple(inspection.reporting_groups()),
        collected_by=rules.daily_report.to_group,
        summary_to=rules.daily_report.forwarded_to or "",
        duty_group=rules.duty.group,
        rules=tuple(rules.articles),
    )


def read_plan(path: Path) -> InspectionSupportPlan:
    """Read and check the plan's ``inspection.yaml`` (``path``: the plan folder or the file).

    Every problem ``lantian plan check`` would report in that file (or in ``units.csv``) refuses
    it, all of them in one message.
    """
    plan = read_inspection(path)
    if plan.problems or plan.inspection is None:
        listed = "; ".join(str(problem) for problem in plan.problems) or "(unreadable)"
        raise InputError(
            f"{plan.folder / (path.name if path.is_file() else FILE_NAME)}: 强化督查巡查保障方案有误 / "
            f"the inspection-support plan has problems: {listed}"
        )
    return adapt(plan.inspection, {unit.code: unit.name for unit in plan.units})


def inspection_plan(plan: Plan) -> InspectionSupportPlan:
    """The supervision view of a loaded plan's ``inspection.yaml``."""
    if plan.inspection is None:
        raise InputError(
            f"{plan.folder / FILE_NAME}: 计划没有强化督查巡查保障方案 / the plan has no "
            "inspection-support plan"
        )
    return adapt(plan.inspection, plan.unit_names())


def unit_names(plan: Plan) -> dict[str, str]:
    """Unit code → name from the plan's ``units.csv``."""
    return plan.unit_names()


def area_names(plan: Plan) -> dict[str, str]:
    """Area code → name from the plan's ``areas.csv``."""
    return plan.area_names()
