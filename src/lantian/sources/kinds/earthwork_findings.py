"""Earthworks and demolition found at work (土石方作业、拆迁施工发现, plan task 30), judged against
the earth order and its approved exemptions.

Task 30: "采暖季期间，城市建成区内停止各类道路工程、水利工程等土石方作业和房屋拆迁（拆除）施工等。
对于重大民生工程和重点项目涉及土石方作业确实无法停工的，由项目建设单位申请、行业主管部门初审，报市人民
政府同意后实施。各相关部门要将其作为检查重点，严格监管。出现违规的企业，按相关规定上限处罚，并向社会
公开。"

One entry is one finding: where (coordinates, required), when, what was going on, by whom. A
finding in the built-up area (the plan's ban zone, :func:`in_built_up_area`) on a day of the plan's
heating season (``periods.heating_season``) is a breach unless an exemption approved by the city
government covers that place and day (its site's radius, its period): the kind's ``context`` reads
the approved exemptions of :mod:`lantian.sources.kinds.earthwork_exemptions`. One case per finding.

Lifecycle::

    found ──stop (works stopped, with a photo)──► stopped
    found ──confirm_exempt (an approved exemption covers it)──► exempt
    stopped ──reopen (found working again)──► found
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.kinds._coal import heating_season
from lantian.sources.kinds._earthworks import (
    CLAUSE_30,
    CLAUSE_30_ENFORCEMENT,
    CLAUSE_30_EXEMPTION,
    SAMPLE_NOTE,
    distance_m,
    in_built_up_area,
    seat_area,
    seat_point,
)
from lantian.sources.kinds.earthwork_exemptions import EarthworkExemption
from lantian.sources.kinds.loose_coal import ban_zone_geojson
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    RegisterKind,
    Rule,
    SampleContext,
    end_of_day,
    overdue_rule,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

ACTIVITIES = {
    "earthworks": "土石方作业",
    "demolition": "房屋拆迁（拆除）施工",
    "road_works": "道路工程",
    "water_works": "水利工程",
}
Activity = Literal["earthworks", "demolition", "road_works", "water_works"]


class EarthworkFinding(RegisterRecord):
    __tablename__ = "src_earthwork_findings"
    __audit_type__ = "earthwork_finding"

    found_on: Mapped[date] = mapped_column(Date, index=True)
    activity: Mapped[str] = mapped_column(String(12))
    builder: Mapped[str | None] = mapped_column(String(200))
    project: Mapped[str | None] = mapped_column(String(200))


class FindingRow(RegisterRow):
    found_on: date
    activity: Activity
    builder: str | None = Field(default=None, max_length=200)
    project: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _located(self) -> FindingRow:
        if self.longitude is None or self.latitude is None:
            raise ValueError(
                "发现地点须填写经度和纬度（判断是否在建成区、是否有豁免）/ a finding needs its "
                "longitude and latitude (built-up area, exemptions)"
            )
        return self


WORK_STOPPED = ChecklistItem(
    "work_stopped", "已停止土石方作业", "earthworks stopped", CLAUSE_30, evidence_required=True
)
SITE_COVERED = ChecklistItem("site_covered", "裸土已覆盖", "bare earth covered", CLAUSE_30)
CHECKLIST = (WORK_STOPPED, SITE_COVERED)


def covering(facts: Facts) -> dict[str, Any] | None:
    """The approved exemption covering the finding's place and day (context), or None."""
    record: Any = facts.record
    for exemption in facts.context.get("exemptions", ()):
        if not exemption["period_start"] <= record.found_on <= exemption["period_end"]:
            continue
        if record.longitude is None or record.latitude is None:
            continue
        away = distance_m(
            (record.longitude, record.latitude), (exemption["longitude"], exemption["latitude"])
        )
        if away <= exemption["radius_m"]:
            return dict(exemption)
    return None


def in_earth_order(facts: Facts) -> bool:
    """Whether the finding lies where and when the earth order binds: in the built-up area on a
    day of the plan's heating season."""
    record: Any = facts.record
    season = heating_season(facts.plan_in_force())
    if season is None or not season[0] <= record.found_on <= season[1]:
        return False
    return in_built_up_area(facts.plan_in_force(), record.longitude, record.latitude)


def _approved_exemptions(session: Session, record: RegisterRecord) -> Mapping[str, Any]:
    found_on = getattr(record, "found_on", None)
    if found_on is None:
        return {}
    model = EarthworkExemption
    rows = session.scalars(
        select(model).where(
            model.state == "approved",
            model.period_start <= found_on,
            model.period_end >= found_on,
        )
    ).all()
    return {
        "exemptions": [
            {
                "key": e.key,
                "name": e.name,
                "longitude": e.longitude,
                "latitude": e.latitude,
                "radius_m": e.radius_m,
                "period_start": e.period_start,
                "period_end": e.period_end,
            }
            for e in rows
            if e.longitude is not None and e.latitude is not None
        ]
    }


def _exempt_holds(facts: Facts) -> list[Unmet]:
    if covering(facts) is None:
        return [
            (
                "没有市政府同意的豁免覆盖该地点和日期",
                "no exemption approved by the city government covers this place and day",
            )
        ]
    return []


def _stopped_holds(facts: Facts) -> list[Unmet]:
    return unproven(facts, (WORK_STOPPED,))


LIFECYCLE = Lifecycle(
    states=(
        State("found", "已发现", "found"),
        State("stopped", "已停工", "stopped", closed=True),
        State("exempt", "已获豁免", "covered by an exemption", closed=True),
    ),
    initial="found",
    transitions=(
        step(
            "stop",
            ("责令停工", "stop the works"),
            {"found"},
            "stopped",
            KEEPERS,
            CLAUSE_30_ENFORCEMENT,
            guard=_stopped_holds,
        ),
        step(
            "confirm_exempt",
            ("核实已获豁免", "confirm the exemption"),
            {"found"},
            "exempt",
            OFFICE_ROLES,
            CLAUSE_30_EXEMPTION,
            guard=_exempt_holds,
        ),
        step(
            "reopen",
            ("再次发现施工", "found working again"),
            {"stopped", "exempt"},
            "found",
            VERIFIERS,
            CLAUSE_30_ENFORCEMENT,
            note_required=True,
        ),
    ),
)


def _without_exemption(facts: Facts) -> Breach | None:
    """Earthworks or demolition in the built-up area in the heating season, not covered by an
    exemption the city government approved (place and day)."""
    record: Any = facts.record
    if record.state == "exempt" or not in_earth_order(facts) or covering(facts) is not None:
        return None
    what = ACTIVITIES.get(record.activity, str(record.activity))
    observed = end_of_day(record.found_on)
    return Breach(
        title=f"采暖季建成区违规{what}：{record.project or record.address or record.name}",
        description=f"{record.found_on} 在城市建成区（{record.longitude}, {record.latitude}）发现"
        f"{what}{f'（{record.builder}）' if record.builder else ''}，无市政府同意的豁免 / "
        f"{record.activity} found in the built-up area in the heating season without an "
        "approved exemption",
        observed_at=observed,
        severity="serious",
        deadline=observed + timedelta(days=1),
    )


_OVERDUE = overdue_rule(
    lifecycle=LIFECYCLE,
    clause=CLAUSE_30_ENFORCEMENT,
    title=lambda record: f"违规土石方作业逾期未停工：{record.address or record.name}",
    label=("逾期未停工", "not stopped by the deadline"),
)


def _not_stopped(facts: Facts) -> Breach | None:
    """A finding the earth order binds, not covered by an exemption, still not stopped after its
    deadline (the overdue rule, only for works that must stop)."""
    if not in_earth_order(facts) or covering(facts) is not None:
        return None
    return _OVERDUE.check(facts)


NOT_STOPPED = Rule(_OVERDUE.key, _OVERDUE.zh, _OVERDUE.en, _OVERDUE.clause, _not_stopped)


def _sample(context: SampleContext) -> list[FindingRow]:
    """Inspectors' findings of a heating season in the city seat (some outside the season)."""
    rng = context.rng
    code, area_name = seat_area(list(context.areas))
    rows = []
    for number in range(1, 13):
        longitude, latitude = seat_point(rng)
        found_on = date(2017, 11, 10) + timedelta(days=rng.randint(0, 120))
        activity: Activity = rng.choices(
            ("earthworks", "demolition", "road_works", "water_works"), (5, 3, 2, 1)
        )[0]
        rows.append(
            FindingRow(
                key=f"TSF-{found_on:%m%d}-{number:03d}",
                name=f"{area_name}{ACTIVITIES[activity]}",
                area_code=code,
                unit_code="zjj",
                address=f"新密市{area_name}示例路口",
                longitude=longitude,
                latitude=latitude,
                deadline=found_on + timedelta(days=1),
                note=SAMPLE_NOTE,
                found_on=found_on,
                activity=activity,
                builder=rng.choice((None, "示例建筑公司", "示例拆迁公司")),
            )
        )
    return rows


KIND = RegisterKind(
    key="earthwork_finding",
    zh="限土令违规作业发现",
    en="earthworks finding",
    tasks=("30",),
    model=EarthworkFinding,
    row=FindingRow,
    columns=columns(
        Column("found_on", "found on", "发现日期", example="2017-12-05", width=12),
        Column(
            "activity", "activity", "作业类型", choices=ACTIVITIES, example="土石方作业", width=16
        ),
        Column("builder", "builder", "施工单位", example="某建筑公司", width=20),
        Column("project", "project", "项目名称", example="某小区二期", width=20),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "without_exemption",
            "采暖季建成区无豁免施工",
            "works in the built-up area in the heating season without an exemption",
            CLAUSE_30,
            _without_exemption,
        ),
        NOT_STOPPED,
    ),
    sample=_sample,
    list_fields=("found_on", "activity", "builder"),
    filter_fields=("activity",),
    order=30,
    context=_approved_exemptions,
    # The built-up area the earth order binds: the plan's ban zone (task 12(1) draws it there).
    map_layer=ban_zone_geojson,
    notes=(
        (
            "经纬度必填：平台据此判断是否在城市建成区内、是否在已获市政府同意的豁免范围内。",
            "Coordinates are required: they decide whether the finding is in the built-up area "
            "and on the site of an approved exemption.",
        ),
    ),
)
