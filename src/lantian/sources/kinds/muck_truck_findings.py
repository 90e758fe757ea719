"""Muck trucks found at a site or on the road (渣土车查处, plan task 29).

Task 29: "渣土运输车不符合要求上路行驶的，一经查处按上限处罚并取消渣土运输资格；严厉打击黑渣土车。"

Each finding names the truck by its plate and, when found at a construction site, the site's key:
the site's page lists the findings made there (task 28's 渣土车辆密闭运输). A plate not in the
muck-truck register is a 黑渣土车 (breach → case); a registered truck found not approved,
disqualified, open or with its GPS off is an illegal truck (breach → case).

Lifecycle::

    found ──punish (按上限处罚)──► punished
    found ──clear (核实合规: the truck is approved, enclosed and tracked)──► cleared
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from sqlalchemy import Boolean, Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.kinds.muck_trucks import PLATE_PATTERN, MuckTruck, normal_plate
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    Facts,
    Panel,
    RegisterKind,
    Rule,
    SampleContext,
    end_of_day,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

CLAUSE_FOUND = (
    "任务29：渣土运输车不符合要求上路行驶的，一经查处按上限处罚并取消渣土运输资格；严厉打击黑渣土车"
)
PLACES = {"site": "施工工地", "road": "道路"}
Place = Literal["site", "road"]


class MuckTruckFinding(RegisterRecord):
    __tablename__ = "src_muck_truck_findings"
    __audit_type__ = "muck_truck_finding"

    plate: Mapped[str] = mapped_column(String(16), index=True)
    found_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(8))
    site_key: Mapped[str | None] = mapped_column(String(64), index=True)
    enclosed: Mapped[bool] = mapped_column(Boolean, default=True)
    gps_on: Mapped[bool] = mapped_column(Boolean, default=True)


class FindingRow(RegisterRow):
    plate: str = Field(pattern=PLATE_PATTERN)
    found_on: date
    place: Place
    site_key: str | None = Field(
        default=None, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$"
    )
    enclosed: bool = True
    gps_on: bool = True

    @field_validator("plate", mode="before")
    @classmethod
    def _plate(cls, value: object) -> object:
        return normal_plate(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _site_named(self) -> FindingRow:
        if self.place == "site" and not self.site_key:
            raise ValueError("在工地查处须填写工地编号 / a finding at a site names the site's key")
        return self


def _context(session: Session, record: RegisterRecord) -> Mapping[str, Any]:
    assert isinstance(record, MuckTruckFinding)
    truck = session.execute(
        select(MuckTruck.id, MuckTruck.key, MuckTruck.state).where(MuckTruck.plate == record.plate)
    ).first()
    site = None
    if record.site_key:
        from lantian.sources.kinds.construction import ConstructionSite

        site = session.execute(
            select(ConstructionSite.id, ConstructionSite.name).where(
                ConstructionSite.key == record.site_key
            )
        ).first()
    return {
        "truck": None
        if truck is None
        else {"id": truck.id, "key": truck.key, "state": truck.state},
        "site": None if site is None else {"id": site.id, "name": site.name},
    }


def _finding(facts: Facts) -> MuckTruckFinding:
    record = facts.record
    assert isinstance(record, MuckTruckFinding)
    return record


def _where(record: MuckTruckFinding) -> str:
    return f"工地 {record.site_key}" if record.place == "site" else (record.address or "道路")


def _unregistered(facts: Facts) -> Breach | None:
    """黑渣土车: the plate is not in the muck-truck register."""
    record = _finding(facts)
    if facts.context.get("truck") is not None:
        return None
    return Breach(
        title=f"查处未登记渣土车（黑渣土车）：{record.plate}",
        description=f"{record.found_on} 在{_where(record)}查处，车辆未在渣土车台账登记 / an "
        "unregistered muck truck",
        observed_at=end_of_day(record.found_on),
        severity="serious",
    )


def _illegal(facts: Facts) -> Breach | None:
    """A registered truck found on the move not approved, disqualified, open or untracked."""
    record = _finding(facts)
    truck = facts.context.get("truck")
    if truck is None:
        return None
    wrong = []
    if truck["state"] == "disqualified":
        wrong.append("已取消运输资格")
    elif truck["state"] != "approved":
        wrong.append("未核准")
    if not record.enclosed:
        wrong.append("未密闭")
    if not record.gps_on:
        wrong.append("定位未在线")
    if not wrong:
        return None
    return Breach(
        title=f"渣土车不符合要求上路：{record.plate}（{'、'.join(wrong)}）",
        description=f"{record.found_on} 在{_where(record)}查处，台账 {truck['key']} / the truck "
        f"does not meet the rules: {', '.join(wrong)}",
        observed_at=end_of_day(record.found_on),
        severity="serious",
    )


def _clear_unmet(facts: Facts) -> list[Unmet]:
    record = _finding(facts)
    truck = facts.context.get("truck")
    if truck is None:
        return [("车辆未登记，不能核实合规", "the truck is not registered")]
    if truck["state"] != "approved" or not record.enclosed or not record.gps_on:
        return [("车辆不符合要求，应处罚", "the truck does not meet the rules: punish it")]
    return []


LIFECYCLE = Lifecycle(
    states=(
        State("found", "已查处", "found"),
        State("punished", "已按上限处罚", "punished", closed=True),
        State("cleared", "核实合规", "cleared", closed=True),
    ),
    initial="found",
    transitions=(
        step(
            "punish",
            ("按上限处罚", "punish"),
            {"found"},
            "punished",
            KEEPERS | VERIFIERS,
            CLAUSE_FOUND,
            note_required=True,
        ),
        step(
            "clear",
            ("核实合规", "clear"),
            {"found"},
            "cleared",
            KEEPERS | VERIFIERS,
            CLAUSE_FOUND,
            guard=_clear_unmet,
        ),
    ),
)


def findings_at_site(session: Session, site_key: str) -> Panel:
    """The muck trucks found at a construction site, newest first (the site's page)."""
    rows = session.execute(
        select(
            MuckTruckFinding.id,
            MuckTruckFinding.found_on,
            MuckTruckFinding.plate,
            MuckTruckFinding.enclosed,
            MuckTruckFinding.gps_on,
            MuckTruckFinding.state,
            MuckTruck.id.label("truck_id"),
        )
        .outerjoin(MuckTruck, MuckTruck.plate == MuckTruckFinding.plate)
        .where(MuckTruckFinding.site_key == site_key)
        .order_by(MuckTruckFinding.found_on.desc(), MuckTruckFinding.id.desc())
    ).all()
    return Panel(
        "muck_truck_findings",
        "在本工地查处的渣土车",
        "Muck trucks found at this site",
        (
            ("日期", "date"),
            ("车牌号", "plate"),
            ("登记", "registered"),
            ("密闭/定位", "enclosed/GPS"),
            ("状态", "state"),
        ),
        tuple(
            (
                str(row.found_on),
                row.plate,
                "已登记" if row.truck_id is not None else "未登记（黑渣土车）",
                f"{'是' if row.enclosed else '否'}/{'是' if row.gps_on else '否'}",
                LIFECYCLE.state(row.state).zh,
            )
            for row in rows
        ),
        tuple(f"/sources/{KIND.key}/{row.id}" for row in rows),
        empty=("尚无查处记录", "no truck found here yet"),
    )


def _panels(session: Session, record: RegisterRecord) -> list[Panel]:
    assert isinstance(record, MuckTruckFinding)
    context = _context(session, record)
    truck, site = context["truck"], context["site"]
    rows: list[tuple[str, ...]] = []
    links: list[str | None] = []
    if truck is not None:
        rows.append((truck["key"], "渣土车台账 / muck truck register"))
        links.append(f"/sources/muck_truck/{truck['id']}")
    else:
        rows.append((record.plate, "未登记（黑渣土车）/ not registered"))
        links.append(None)
    if record.site_key:
        rows.append(
            (record.site_key, f"施工工地 {site['name'] if site else '（未登记 / not registered）'}")
        )
        links.append(f"/sources/construction_site/{site['id']}" if site else None)
    return [
        Panel(
            "links",
            "车辆与工地",
            "Truck and site",
            (("编号", "key"), ("台账", "register")),
            tuple(rows),
            tuple(links),
        )
    ]


def _sample(context: SampleContext) -> list[FindingRow]:
    rng = context.rng
    rows = []
    number = 0
    for code, area_name in context.areas[:6]:
        for _ in range(rng.randint(1, 2)):
            number += 1
            at_site = rng.random() < 0.6
            rows.append(
                FindingRow(
                    key=f"ZTC-CC-{code[-3:]}-{number:03d}",
                    name=f"{area_name}渣土车查处{number:03d}",
                    area_code=code,
                    unit_code="zfj",
                    address=f"{area_name}示例路口" if not at_site else f"{area_name}示例工地",
                    note="示例数据 / sample",
                    plate=f"豫A{rng.choice('BCDEFGHJK')}{rng.randint(1000, 9999)}",
                    found_on=date(2017, 10, rng.randint(1, 28)),
                    place="site" if at_site else "road",
                    site_key=f"GD-{code[-3:]}-{rng.randint(1, 2):04d}" if at_site else None,
                    enclosed=rng.random() < 0.7,
                    gps_on=rng.random() < 0.8,
                )
            )
    return rows


KIND = RegisterKind(
    key="muck_truck_finding",
    zh="渣土车查处",
    en="muck truck finding",
    tasks=("29",),
    model=MuckTruckFinding,
    row=FindingRow,
    columns=columns(
        Column("plate", "plate", "车牌号", aliases=("号牌", "车牌"), example="豫A12345", width=12),
        Column("found_on", "found on", "查处日期", example="2017-10-12", width=12),
        Column("place", "place", "查处地点类别", choices=PLACES, example="施工工地", width=12),
        Column(
            "site_key",
            "site key",
            "工地编号",
            example="GD-100-0001",
            note_zh="在工地查处时填写施工工地台账编号",
            note_en="the construction site's key when found at a site",
        ),
        Column("enclosed", "enclosed", "密闭运输", example="否", width=10),
        Column("gps_on", "GPS online", "定位在线", example="是", width=10),
    ),
    lifecycle=LIFECYCLE,
    rules=(
        Rule("unregistered", "黑渣土车", "unregistered truck", CLAUSE_FOUND, _unregistered),
        Rule("illegal", "不符合要求上路", "truck not meeting the rules", CLAUSE_FOUND, _illegal),
    ),
    sample=_sample,
    list_fields=("plate", "found_on", "place", "site_key"),
    filter_fields=("place",),
    order=29,
    context=_context,
    panels=_panels,
)
