"""Non-road mobile machinery (非道路移动机械, plan task 24) and the built-up area they are banned from.

Task 24: "为进一步减少非道路移动机械（含装载机、平地机、挖掘机、压路机、铺路机、叉车等）污染排放 …
我市城市建成区内为禁止使用冒黑烟高排放（国 I 及以下（2009 年 10 月 1 日前生产））非道路移动机械区域；
加快淘汰高排放的工程机械和农业机械 … 以施工工地、工厂企业、物流场所为重点，每周进行巡查，对违法
行为依法实施顶格处罚，并对业主单位依法实施按日计罚。"

One entry is one machine: its type, the site owning or using it (施工工地、工厂企业、物流场所), its
emission stage and date of manufacture, its registration code and where it works. The ban zone is the
plan's ``ban_zones.geojson`` zone carrying the ``machinery`` ban (the built-up area, 城市建成区). A
high-emission machine (国 I or below, or made before 2009-10-01) in use inside the zone, or a machine
found smoking black there, is a breach: it opens a case for the entry's township and unit, whose
action is the 顶格处罚 and the owner's 按日计罚 (recorded by the enforcement-action register).

Lifecycle::

    in_use ──stop (责令停用/移出禁用区)──► stopped ──resume (整改合格)──► in_use
    in_use / stopped ──eliminate (淘汰, scrapping proven with a photo)──► eliminated
    eliminated ──reopen (found working again)──► stopped
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field
from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources import registry
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    Indicator,
    IndicatorValue,
    RegisterKind,
    Rule,
    SampleContext,
    end_of_day,
    overdue_rule,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column
from lantian.timeutil import to_china

if TYPE_CHECKING:
    from lantian.plan import Plan

MACHINE_TYPES = {
    "loader": "装载机",
    "grader": "平地机",
    "excavator": "挖掘机",
    "roller": "压路机",
    "paver": "铺路机",
    "forklift": "叉车",
    "crane": "起重机",
    "agricultural": "农业机械",
    "other": "其他",
}
MachineType = Literal[
    "loader", "grader", "excavator", "roller", "paver", "forklift", "crane", "agricultural", "other"
]
#: Emission stages of GB 20891 (非道路移动机械用柴油机排气污染物排放限值); "stage1" is 国 I and below.
STAGES = {"stage1": "国I及以下", "stage2": "国II", "stage3": "国III", "stage4": "国IV"}
Stage = Literal["stage1", "stage2", "stage3", "stage4"]
#: Where the plan wants the weekly patrols to look first (施工工地、工厂企业、物流场所).
SITE_KINDS = {
    "construction": "施工工地",
    "factory": "工厂企业",
    "logistics": "物流场所",
    "farm": "农业生产",
    "other": "其他",
}
SiteKind = Literal["construction", "factory", "logistics", "farm", "other"]
#: "国 I 及以下（2009 年 10 月 1 日前生产）": a machine made before this day is high-emission.
HIGH_EMISSION_BEFORE = date(2009, 10, 1)

CLAUSE_ZONE = (
    "任务24：我市城市建成区内为禁止使用冒黑烟高排放（国 I 及以下（2009 年 10 月 1 日前生产））"
    "非道路移动机械区域"
)
CLAUSE_ELIMINATE = "任务24：加快淘汰高排放的工程机械和农业机械"
CLAUSE_PATROL = (
    "任务24：以施工工地、工厂企业、物流场所为重点，每周进行巡查，对违法行为依法实施顶格处罚，"
    "并对业主单位依法实施按日计罚"
)


class NonroadMachine(RegisterRecord):
    __tablename__ = "src_nonroad_machinery"
    __audit_type__ = "nonroad_machine"

    machine_type: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(8), index=True)
    made_on: Mapped[date | None] = mapped_column(Date)
    registration_code: Mapped[str | None] = mapped_column(String(40), index=True)
    #: The site owning or using the machine (所有/使用单位).
    owner: Mapped[str] = mapped_column(String(200))
    site_kind: Mapped[str] = mapped_column(String(16))


class MachineRow(RegisterRow):
    machine_type: MachineType
    stage: Stage
    made_on: date | None = Field(default=None, ge=date(1950, 1, 1), le=date(2030, 12, 31))
    registration_code: str | None = Field(default=None, max_length=40)
    owner: str = Field(min_length=1, max_length=200)
    site_kind: SiteKind = "construction"


SMOKE_FREE = ChecklistItem(
    "smoke_free", "未冒黑烟", "no black smoke", CLAUSE_ZONE, evidence_required=False
)
OUT_OF_ZONE = ChecklistItem(
    "out_of_zone", "未在禁用区内使用", "not used inside the ban zone", CLAUSE_ZONE
)
SCRAPPED = ChecklistItem(
    "scrapped", "已报废拆解（淘汰）", "scrapped (eliminated)", CLAUSE_ELIMINATE, True
)
CHECKLIST = (SMOKE_FREE, OUT_OF_ZONE, SCRAPPED)


def is_high_emission(stage: str | None, made_on: date | None) -> bool:
    """国 I and below, or made before 2009-10-01 whatever the stage written (task 24)."""
    return stage == "stage1" or (made_on is not None and made_on < HIGH_EMISSION_BEFORE)


def in_ban_zone(plan: Plan | None, longitude: float | None, latitude: float | None) -> bool:
    """Whether a point lies in one of the plan's zones banning non-road machinery (task 24)."""
    return registry.in_ban_zone("machinery", plan, longitude, latitude)


def ban_zone_geojson(plan: Plan) -> dict[str, Any] | None:
    """The plan's machinery ban zones as a GeoJSON FeatureCollection for the map (None: none)."""
    return registry.ban_zone_layer("machinery", plan)


def _resume_holds(facts: Facts) -> list[Unmet]:
    record: Any = facts.record
    unmet: list[Unmet] = []
    if is_high_emission(record.stage, record.made_on) and in_ban_zone(
        facts.plan_in_force(), record.longitude, record.latitude
    ):
        unmet.append(
            (
                "高排放机械不得在城市建成区内恢复使用（先更新位置或淘汰）",
                "a high-emission machine may not resume work inside the built-up area (move it "
                "or eliminate it)",
            )
        )
    if facts.latest(SMOKE_FREE.key) == "fail":
        unmet.append(("最近一次核查仍冒黑烟", "the latest check found black smoke"))
    return unmet


def _eliminated_holds(facts: Facts) -> list[Unmet]:
    return unproven(facts, (SCRAPPED,))


LIFECYCLE = Lifecycle(
    states=(
        State("in_use", "在用", "in use"),
        State("stopped", "停用整改", "stopped"),
        State("eliminated", "已淘汰", "eliminated", closed=True),
    ),
    initial="in_use",
    transitions=(
        step(
            "stop",
            ("责令停用", "order to stop"),
            {"in_use"},
            "stopped",
            KEEPERS | VERIFIERS,
            CLAUSE_PATROL,
        ),
        step(
            "resume",
            ("整改后恢复使用", "resume after rectification"),
            {"stopped"},
            "in_use",
            KEEPERS,
            CLAUSE_ZONE,
            guard=_resume_holds,
            note_required=True,
        ),
        step(
            "eliminate",
            ("淘汰", "eliminate"),
            {"in_use", "stopped"},
            "eliminated",
            KEEPERS,
            CLAUSE_ELIMINATE,
            guard=_eliminated_holds,
        ),
        step(
            "reopen",
            ("发现仍在使用", "found working again"),
            {"eliminated"},
            "stopped",
            VERIFIERS,
            CLAUSE_ZONE,
            note_required=True,
        ),
    ),
)


def _label(record: Any) -> str:
    kind = MACHINE_TYPES.get(record.machine_type, record.machine_type)
    return f"{record.owner}{kind}{f'（{record.registration_code}）' if record.registration_code else ''}"


def _high_emission_in_zone(facts: Facts) -> Breach | None:
    """A 国 I-or-below machine (made before 2009-10-01) in use inside the built-up area."""
    record: Any = facts.record
    if record.state != "in_use" or not is_high_emission(record.stage, record.made_on):
        return None
    if not in_ban_zone(facts.plan_in_force(), record.longitude, record.latitude):
        return None
    made = f"，{record.made_on} 生产" if record.made_on else ""
    observed = end_of_day(to_china(record.state_since).date())
    return Breach(
        title=f"城市建成区内使用高排放非道路移动机械：{_label(record)}"[:200],
        description=f"{STAGES.get(record.stage, record.stage)}{made}，在禁用区内"
        f"（{record.longitude}, {record.latitude}）使用；依法顶格处罚，对业主单位按日计罚 / a "
        "high-emission machine in use inside the built-up area ban zone",
        observed_at=observed,
        severity="serious",
        deadline=observed + timedelta(days=3),
    )


def _black_smoke_in_zone(facts: Facts) -> Breach | None:
    """A machine found smoking black inside the built-up area (the newest smoke check failed)."""
    record: Any = facts.record
    if record.state == "eliminated":
        return None
    for check in facts.checks:
        entry = (check.items or {}).get(SMOKE_FREE.key)
        if entry is None:
            continue
        if entry["result"] != "fail":
            return None
        where = (check.longitude, check.latitude)
        if where[0] is None or where[1] is None:
            where = (record.longitude, record.latitude)
        if not in_ban_zone(facts.plan_in_force(), where[0], where[1]):
            return None
        return Breach(
            title=f"城市建成区内非道路移动机械冒黑烟：{_label(record)}"[:200],
            description=f"{check.checked_at:%Y-%m-%d %H:%M} 核查发现冒黑烟（{where[0]}, {where[1]}）；"
            "依法顶格处罚，对业主单位按日计罚 / black smoke found inside the ban zone",
            observed_at=check.checked_at,
            severity="serious",
            deadline=check.checked_at + timedelta(days=3),
        )
    return None


def _in_zone_count(session: Session) -> IndicatorValue:
    """High-emission machines still in use inside the built-up area (the plan bans them: 0)."""
    from lantian.plan import plan_in_force

    plan = plan_in_force()
    model = NonroadMachine
    rows = session.execute(
        select(
            model.area_code,
            model.state,
            model.stage,
            model.made_on,
            model.longitude,
            model.latitude,
        )
    ).all()
    names = plan.area_names()
    in_zone: Counter[str] = Counter()
    high = eliminated = 0
    for area, state, stage, made_on, longitude, latitude in rows:
        if not is_high_emission(stage, made_on):
            continue
        high += 1
        eliminated += state == "eliminated"
        if state == "in_use" and in_ban_zone(plan, longitude, latitude):
            in_zone[area] += 1
    detail = (
        *((f"{names.get(area, area)} {area}", float(n)) for area, n in sorted(in_zone.items())),
        ("已淘汰高排放机械 high-emission machines eliminated", float(eliminated)),
        ("登记高排放机械 high-emission machines registered", float(high)),
    )
    return IndicatorValue(
        "nonroad_high_emission_in_built_up_area",
        float(sum(in_zone.values())),
        len(rows),
        f"台账 {len(rows)} 台中，位于城市建成区禁用区内仍在用的国I及以下（2009-10-01前生产）机械台数",
        f"high-emission machines still in use inside the built-up area, of {len(rows)} registered",
        detail,
    )


#: The city seat's centre (the demo's machines in the built-up area).
SEAT = (113.385, 34.537)


def _sample(context: SampleContext) -> list[MachineRow]:
    """A township's machinery census of October 2017: a third of the machines in the city seat,
    one machine in eight of 国 I or below."""
    rng = context.rng
    areas = list(context.areas)
    seat_area = next((a for a in areas if a[0].endswith("100")), areas[0])
    owners = {
        "construction": ("建设工程项目部", "棚户区改造工地", "道路改造工程"),
        "factory": ("耐材厂", "建材公司", "机械厂"),
        "logistics": ("物流园", "货运站", "仓储中心"),
        "farm": ("农机合作社",),
        "other": ("市政养护队",),
    }
    rows: list[MachineRow] = []
    for number in range(1, 49):
        in_seat = number % 3 == 0
        code, area_name = seat_area if in_seat else rng.choice(areas)
        if in_seat:
            longitude = SEAT[0] + rng.uniform(-0.02, 0.02)
            latitude = SEAT[1] + rng.uniform(-0.015, 0.015)
        else:
            longitude = 113.2 + rng.random() * 0.35
            latitude = 34.4 + rng.random() * 0.1
        site_kind: SiteKind = rng.choices(
            ("construction", "factory", "logistics", "farm", "other"), (6, 3, 2, 1, 1)
        )[0]
        choices: tuple[MachineType, ...] = (
            ("loader", "excavator", "roller", "forklift", "grader", "paver")
            if site_kind != "farm"
            else ("agricultural",)
        )
        machine = rng.choice(choices)
        stage: Stage = rng.choices(("stage1", "stage2", "stage3", "stage4"), (1, 3, 4, 0))[0]
        year = {"stage1": 2006, "stage2": 2010, "stage3": 2015, "stage4": 2017}[stage]
        made_on = date(year + rng.randint(-2, 1), rng.randint(1, 12), 1)
        if stage != "stage1" and made_on < HIGH_EMISSION_BEFORE:
            made_on = HIGH_EMISSION_BEFORE + timedelta(days=rng.randint(30, 400))
        rows.append(
            MachineRow(
                key=f"FDL-{code[-3:]}-{number:03d}",
                name=f"{MACHINE_TYPES[machine]}{number:03d}",
                area_code=code,
                unit_code="hbj",
                address=f"新密市{area_name}{rng.choice(owners[site_kind])}",
                longitude=round(longitude, 5),
                latitude=round(latitude, 5),
                deadline=date(2017, 12, 31) if stage == "stage1" else None,
                note="示例数据 / sample",
                machine_type=machine,
                stage=stage,
                made_on=made_on,
                registration_code=f"HB410183{number:05d}",
                owner=f"示例{area_name}{rng.choice(owners[site_kind])}",
                site_kind=site_kind,
            )
        )
    return rows


KIND = RegisterKind(
    key="nonroad_machinery",
    zh="非道路移动机械",
    en="non-road mobile machine",
    tasks=("24",),
    model=NonroadMachine,
    row=MachineRow,
    columns=columns(
        Column(
            "machine_type",
            "machine type",
            "机械类型",
            choices=MACHINE_TYPES,
            example="挖掘机 excavator",
        ),
        Column("stage", "stage", "排放阶段", choices=STAGES, example="国III stage3", width=12),
        Column("made_on", "made on", "生产日期", example="2012-05-01", width=12),
        Column("registration_code", "registration code", "登记编码", example="HB41018300001"),
        Column("owner", "owner", "所有/使用单位", example="某建设工程项目部", width=24),
        Column("site_kind", "site kind", "使用场所类别", choices=SITE_KINDS, example="施工工地"),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "high_emission_in_zone",
            "建成区内使用高排放机械",
            "high-emission machine in the built-up area",
            CLAUSE_ZONE,
            _high_emission_in_zone,
        ),
        Rule(
            "black_smoke_in_zone",
            "建成区内冒黑烟",
            "black smoke in the built-up area",
            CLAUSE_ZONE,
            _black_smoke_in_zone,
        ),
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_ELIMINATE,
            title=lambda record: f"高排放非道路移动机械逾期未淘汰：{_label(record)}"[:200],
            label=("逾期未淘汰", "not eliminated by the deadline"),
        ),
    ),
    indicators=(Indicator("nonroad_high_emission_in_built_up_area", _in_zone_count),),
    sample=_sample,
    list_fields=("machine_type", "stage", "owner"),
    filter_fields=("machine_type", "stage", "site_kind"),
    order=24,
    map_layer=ban_zone_geojson,
    notes=(
        (
            "经纬度为机械使用地点：平台据此判断是否位于城市建成区禁用区内；完成时限为淘汰时限。",
            "Longitude and latitude are where the machine works: they decide whether it is inside "
            "the built-up area's ban zone; the deadline is the elimination deadline.",
        ),
    ),
)
