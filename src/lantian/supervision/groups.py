"""The inspection-support organisation as plan data: leading group, coordination office, working groups.

Read from ``<plan>/inspection_support.toml`` (the Xinmi file transcribes the seed's second document;
another city writes its own with the same keys). Reading checks what the rest of the package relies
on: unique group codes, a known collecting group, reporting groups that exist, a valid due time.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from lantian.errors import InputError

FILE_NAME = "inspection_support.toml"


@dataclass(frozen=True)
class Person:
    name: str
    post: str
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
        raise InputError(
            f"工作组 {code!r} 不存在，可选 {', '.join(g.code for g in self.groups)} / "
            f"no working group {code!r}"
        )


def _people(raw: Any, where: str) -> tuple[Person, ...]:
    people = []
    for index, item in enumerate(raw or []):
        if not isinstance(item, dict) or not item.get("name") or not item.get("post"):
            raise InputError(f"{where}[{index}]: 需要 name 和 post / needs name and post")
        people.append(Person(str(item["name"]), str(item["post"]), item.get("unit")))
    return tuple(people)


def _group(raw: dict[str, Any], where: str, code: str | None = None) -> WorkingGroup:
    group_code = code or raw.get("code")
    if not group_code or not raw.get("name"):
        raise InputError(f"{where}: 需要 code 和 name / needs code and name")
    return WorkingGroup(
        code=str(group_code),
        name=str(raw["name"]),
        name_en=str(raw.get("name_en", group_code)),
        leaders=_people(raw.get("leaders", raw.get("directors")), f"{where}.leaders"),
        deputy_leaders=_people(
            raw.get("deputy_leaders", raw.get("deputy_directors")), f"{where}.deputy_leaders"
        ),
        members=_people(raw.get("members"), f"{where}.members"),
        duties=tuple(str(d) for d in raw.get("duties", [])),
        handles_cases=bool(raw.get("handles_cases", False)),
        decides_accountability=bool(raw.get("decides_accountability", False)),
        field_staff=raw.get("field_staff"),
    )


def read_plan(path: Path) -> InspectionSupportPlan:
    """Read and check an inspection-support file (``path`` is the file or its plan folder)."""
    file = path / FILE_NAME if path.is_dir() else path
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{file}: 文件不存在 / no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{file}: TOML 格式错误 / not valid TOML: {error}") from None
    groups = tuple(
        _group(raw, f"{file.name}: groups[{i}]") for i, raw in enumerate(data.get("groups", []))
    )
    codes = [g.code for g in groups]
    if len(set(codes)) != len(codes):
        raise InputError(f"{file.name}: 工作组代码重复 / duplicate group codes in {codes}")
    report = data.get("daily_report", {})
    try:
        hours, minutes = (
            int(part) for part in str(report.get("due_local_time", "17:00")).split(":")
        )
        due = time(hours, minutes)
    except ValueError:
        raise InputError(
            f"{file.name}: daily_report.due_local_time 应为 HH:MM / must be HH:MM"
        ) from None
    reporting = tuple(report.get("reporting_groups", codes))
    collected_by = str(report.get("collected_by", codes[0] if codes else ""))
    duty_group = str(data.get("duty", {}).get("group", collected_by))
    for name, code in (
        *((f"daily_report.reporting_groups ({c})", c) for c in reporting),
        ("daily_report.collected_by", collected_by),
        ("duty.group", duty_group),
    ):
        if code not in codes:
            raise InputError(f"{file.name}: {name} 不是已定义的工作组 / is not a defined group")
    return InspectionSupportPlan(
        title=str(data.get("title", "")),
        source=str(data.get("source", "")),
        leading_group=_group(data.get("leading_group", {}), "leading_group", "leading_group"),
        office=_group(data.get("office", {}), "office", data.get("office", {}).get("code")),
        groups=groups,
        report_due=due,
        utc_offset_hours=int(report.get("utc_offset_hours", 8)),
        reporting_groups=reporting,
        collected_by=collected_by,
        summary_to=str(report.get("summary_to", "")),
        duty_group=duty_group,
        rules=tuple(str(r["text"]) for r in data.get("rules", [])),
    )


def _names_from_csv(path: Path) -> dict[str, str]:
    import csv

    if not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"code", "name"} <= set(reader.fieldnames):
            return {}
        return {row["code"]: row["name"] for row in reader if row.get("code")}


def unit_names(plan: Path) -> dict[str, str]:
    """Unit code → name from the plan's ``units.csv`` (columns ``code``, ``name``), if present."""
    return _names_from_csv(plan / "units.csv")


def area_names(plan: Path) -> dict[str, str]:
    """Area code → name from the plan's ``areas.csv`` (columns ``code``, ``name``), if present."""
    return _names_from_csv(plan / "areas.csv")
