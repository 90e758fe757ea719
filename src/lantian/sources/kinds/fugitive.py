"""Fugitive emissions of industrial enterprises (工业企业无组织排放, plan tasks 18–19).

Task 18: "组织开展工业企业无组织排放状况摸底排查工作 … 要求企业及时准确上报存在无组织排放的节点、位置、
排放污染物种类、拟采取的治污措施等，建立无组织排放改造全口径清单，于2017年9月29日前报送市攻坚办。"
Task 19: "在2017年10月底前，完成无组织排放治理。… 密闭储存 … 密闭输送 … 集气罩并配备除尘设施 … 料场路面
应实施硬化，出口处配备车轮和车身清洗装置。未落实无组织排放控制要求的企业，要依法予以处罚，实施停产整治，
纳入冬季错峰生产方案。"

One entry is one enterprise of the emission inventory (named by its 统一社会信用代码: the same
record as :class:`lantian.emissions.models.Enterprise`). Its survey is the list of its fugitive
nodes, one per line of the ``nodes`` cell as ``位置/污染物/措施`` — the measure starting with one of
the plan's controls (密闭储存, 密闭输送, 集气罩除尘, 抑尘措施, 料场硬化, 车轮清洗). The field check has
one item per control, each a pass with a photo; the controls are accepted only when every node's
control has been checked as done with a photo (the guard names each node still lacking it), so
the survey is checked node by node.

Lifecycle::

    listed ──report_survey (nodes reported)──► surveyed ──accept_controls (every node's control
                                                              checked with a photo)──► controlled
    listed / surveyed ──order_staggering (after the controls' deadline; note)──► staggered
        (an order of the emissions module: the enterprise stops in the heating season)
    staggered ──accept_controls──► controlled ──reopen (a revisit found a control not kept)──► surveyed
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from sqlalchemy import Date, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.kinds._industry import (
    CREDIT_CODE_COLUMN,
    ORDERED,
    PRODUCTION_STOPPED,
    SAMPLE_NOTE,
    CreditCode,
    area_name,
    inventory_enterprises,
    order_effect,
    place,
    producing_while_ordered,
    split_items,
)
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, VERIFIERS, Lifecycle, State, Unmet
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
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

KEY = "fugitive"
CLAUSE_18 = (
    "任务18：要求企业及时准确上报存在无组织排放的节点、位置、排放污染物种类、拟采取的治污措施等，"
    "建立无组织排放改造全口径清单，于2017年9月29日前报送市攻坚办"
)
CLAUSE_19 = "任务19：在2017年10月底前，完成无组织排放治理"
CLAUSE_19_PENALTY = (
    "任务19：未落实无组织排放控制要求的企业，要依法予以处罚，实施停产整治，纳入冬季错峰生产方案"
)
TARGET_SURVEYED = "fugitive_nodes_reported"
TARGET_CONTROLLED = "fugitive_controls_accepted"

#: The focus sectors of task 18 (钢铁、建材、有色、火电 … 锅炉物料).
INDUSTRIES = {
    "steel": "钢铁",
    "building_materials": "建材",
    "nonferrous": "有色",
    "power": "火电",
    "boiler_materials": "锅炉物料",
    "other": "其他",
}
Industry = Literal[
    "steel", "building_materials", "nonferrous", "power", "boiler_materials", "other"
]
POLLUTANTS = ("颗粒物", "二氧化硫", "氮氧化物", "VOCs")


@dataclass(frozen=True)
class Control:
    """One control of task 19, with the words a township's sheet may use for it."""

    key: str
    zh: str
    en: str
    words: tuple[str, ...]


#: The controls of task 19, in the clause's order (each a field-check item with a photo).
CONTROLS = (
    Control(
        "enclosed_storage", "密闭储存", "enclosed storage", ("入棚入仓", "封闭料棚", "密闭料仓")
    ),
    Control(
        "enclosed_conveying",
        "密闭输送",
        "enclosed conveying",
        ("密闭皮带", "封闭通廊", "管状带式输送机", "密闭车厢", "真空罐车", "气力输送"),
    ),
    Control("hood", "集气罩除尘", "hood with dust collector", ("集气罩", "密闭罩", "加盖封闭")),
    Control(
        "dust_suppression",
        "抑尘措施",
        "dust suppression",
        ("防风抑尘网", "洒水", "喷淋", "苫盖"),
    ),
    Control("hardened_yard", "料场硬化", "hardened yard", ("路面硬化", "硬化")),
    Control("wheel_washing", "车轮清洗", "wheel and body washing", ("车辆清洗", "车轮和车身清洗")),
)
CONTROL_BY_KEY = {c.key: c for c in CONTROLS}


@dataclass(frozen=True)
class Node:
    """One reported fugitive node: where, which pollutant, which control (and its details)."""

    location: str
    pollutant: str
    control: Control
    detail: str

    def text(self) -> str:
        return f"{self.location}/{self.pollutant}/{self.control.zh}" + (
            f"：{self.detail}" if self.detail else ""
        )


def _control_of(measure: str) -> tuple[Control, str] | None:
    for control in CONTROLS:
        for word in (control.zh, *control.words):
            if measure.startswith(word):
                return control, measure[len(word) :].lstrip("：:，, ")
    return None


def parse_nodes(text: str | None) -> list[Node]:
    """The nodes of a ``nodes`` cell: one per line (or ``；``), each ``位置/污染物/措施``; a
    ValueError names the node and what is wrong with it."""
    found = []
    for number, item in enumerate(split_items(text or ""), start=1):
        parts = [p.strip() for p in item.replace("／", "/").split("/", 2)]
        if len(parts) != 3 or not all(parts):
            raise ValueError(
                f"第 {number} 个节点「{item}」应写作 位置/污染物/措施 / node {number} must read "
                "location/pollutant/measure"
            )
        location, pollutant, measure = parts
        if pollutant.upper() == "VOCS":
            pollutant = "VOCs"
        if pollutant not in POLLUTANTS:
            raise ValueError(
                f"第 {number} 个节点的污染物应为 {'、'.join(POLLUTANTS)} 之一，实为「{pollutant}」 / "
                f"node {number}: the pollutant must be one of {', '.join(POLLUTANTS)}"
            )
        control = _control_of(measure)
        if control is None:
            raise ValueError(
                f"第 {number} 个节点的措施应以 {'、'.join(c.zh for c in CONTROLS)} 之一开头，实为"
                f"「{measure}」 / node {number}: the measure must start with one of the plan's "
                "controls"
            )
        found.append(Node(location, pollutant, control[0], control[1]))
    return found


def _normalised_nodes(text: str | None) -> str | None:
    nodes = parse_nodes(text)
    return "；".join(node.text() for node in nodes) or None


class FugitiveEnterprise(RegisterRecord):
    __tablename__ = "src_fugitive_enterprises"
    __audit_type__ = "fugitive_enterprise"

    #: The enterprise of the emission inventory (``emission_enterprises.credit_code``).
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    industry: Mapped[str] = mapped_column(String(20))
    #: The reported nodes, ``位置/污染物/措施`` joined by ``；`` (see :func:`parse_nodes`).
    nodes: Mapped[str | None] = mapped_column(Text)
    #: When the controls are due (task 19: the end of October 2017).
    controls_deadline: Mapped[date | None] = mapped_column(Date)
    contact: Mapped[str | None] = mapped_column(String(100))


class FugitiveRow(RegisterRow):
    credit_code: Annotated[str, CreditCode]
    industry: Industry
    nodes: Annotated[str | None, AfterValidator(_normalised_nodes)] = Field(
        default=None, max_length=4000
    )
    controls_deadline: date | None = None
    contact: str | None = Field(default=None, max_length=100)


NO_VISIBLE_DUST = ChecklistItem(
    "no_visible_dust",
    "车间无可见烟尘外逸",
    "no visible dust escaping the workshop",
    "任务19：车间不能有可见烟尘外逸",
    evidence_required=True,
)
CHECKLIST = (
    *(ChecklistItem(c.key, c.zh, c.en, CLAUSE_19, evidence_required=True) for c in CONTROLS),
    NO_VISIBLE_DUST,
    PRODUCTION_STOPPED,
)


def _nodes_reported(facts: Facts) -> list[Unmet]:
    if not parse_nodes(getattr(facts.record, "nodes", None)):
        return [("未填报无组织排放节点", "no fugitive node reported")]
    return []


def _controls_hold(facts: Facts) -> list[Unmet]:
    """Every node's control checked as done with a photo, and no visible dust (node by node)."""
    nodes = parse_nodes(getattr(facts.record, "nodes", None))
    if not nodes:
        return [("未填报无组织排放节点", "no fugitive node reported")]
    unmet: list[Unmet] = [
        (
            f"节点「{node.location}」的「{node.control.zh}」未核查合格并附照片",
            f"node '{node.location}': '{node.control.en}' not checked as done with a photo",
        )
        for node in nodes
        if not facts.latest_with_evidence(node.control.key)
    ]
    if not facts.latest_with_evidence(NO_VISIBLE_DUST.key):
        unmet.append(
            (
                f"「{NO_VISIBLE_DUST.zh}」未核查合格并附照片",
                f"'{NO_VISIBLE_DUST.en}' not checked as done with a photo",
            )
        )
    return unmet


def _controls_overdue(facts: Facts) -> list[Unmet]:
    due = getattr(facts.record, "controls_deadline", None)
    if due is None or facts.today <= due:
        return [
            (
                f"治理期限（{due or '未填'}）未过，不能纳入错峰生产",
                f"the controls' deadline ({due or 'none'}) has not passed",
            )
        ]
    return []


LIFECYCLE = Lifecycle(
    states=(
        State("listed", "列入排查", "listed"),
        State("surveyed", "节点已上报", "nodes reported"),
        State(ORDERED, "已处罚并纳入错峰生产", "penalised, on the staggered list"),
        State("controlled", "治理验收合格", "controls accepted", closed=True),
    ),
    initial="listed",
    transitions=(
        step(
            "report_survey",
            ("上报无组织排放节点", "report the nodes"),
            {"listed"},
            "surveyed",
            KEEPERS,
            CLAUSE_18,
            guard=_nodes_reported,
        ),
        step(
            "accept_controls",
            ("治理验收", "accept the controls"),
            {"surveyed", ORDERED},
            "controlled",
            VERIFIERS,
            CLAUSE_19,
            guard=_controls_hold,
        ),
        step(
            "order_staggering",
            ("处罚并纳入冬季错峰生产", "penalise and order staggered production"),
            {"listed", "surveyed"},
            ORDERED,
            OFFICE_ROLES,
            CLAUSE_19_PENALTY,
            guard=_controls_overdue,
            note_required=True,
        ),
        step(
            "reopen",
            ("重新整改", "reopen"),
            {"controlled"},
            "surveyed",
            VERIFIERS,
            CLAUSE_19,
            note_required=True,
        ),
    ),
)


def _uncontrolled(facts: Facts) -> Breach | None:
    """A firm whose controls are not accepted after their deadline (task 19: 10-31)."""
    record = facts.record
    due = getattr(record, "controls_deadline", None)
    if due is None or due >= facts.today or record.state not in ("listed", "surveyed"):
        return None
    reported = len(parse_nodes(getattr(record, "nodes", None)))
    return Breach(
        title=f"逾期未完成无组织排放治理：{record.name}",
        description=f"治理期限 {due}，已上报节点 {reported} 个，治理未验收 / controls due {due} "
        f"not accepted ({reported} nodes reported): 依法处罚，纳入冬季错峰生产方案",
        observed_at=end_of_day(due),
        severity="serious",
    )


def _share(session: Session, states: frozenset[str], key: str, zh: str, en: str) -> IndicatorValue:
    rows = session.execute(select(FugitiveEnterprise.area_code, FugitiveEnterprise.state)).all()
    total = Counter(str(area) for area, _ in rows)
    done = Counter(str(area) for area, state in rows if state in states)
    count = sum(total.values())
    finished = sum(done.values())
    return IndicatorValue(
        key,
        round(100.0 * finished / count, 1) if count else None,
        count,
        f"台账 {count} 家企业中{zh} {finished} 家",
        f"{finished} of {count} listed enterprises {en}",
        tuple((area, round(100.0 * done[area] / total[area], 1)) for area in sorted(total)),
    )


def _surveyed_share(session: Session) -> IndicatorValue:
    return _share(
        session,
        frozenset({"surveyed", ORDERED, "controlled"}),
        TARGET_SURVEYED,
        "已上报无组织排放节点的",
        "reported their fugitive nodes (by township, %)",
    )


def _controlled_share(session: Session) -> IndicatorValue:
    return _share(
        session,
        frozenset({"controlled"}),
        TARGET_CONTROLLED,
        "无组织排放治理验收合格的",
        "with their controls accepted (by township, %)",
    )


#: Typical nodes by inventory industry (location, pollutant, measure).
_NODES = {
    "cement": (
        ("熟料堆场", "颗粒物", "密闭储存：建设封闭料棚"),
        ("原料输送", "颗粒物", "密闭输送：封闭通廊"),
        ("包装车间", "颗粒物", "集气罩除尘：布袋除尘器"),
        ("厂区道路", "颗粒物", "料场硬化"),
        ("厂区出口", "颗粒物", "车轮清洗：洗车平台"),
    ),
    "brick_kiln": (
        ("原料堆场", "颗粒物", "抑尘措施：防风抑尘网及喷淋"),
        ("破碎工段", "颗粒物", "集气罩除尘"),
        ("厂区出口", "颗粒物", "车轮清洗"),
    ),
    "power": (
        ("煤场", "颗粒物", "密闭储存：全封闭煤棚"),
        ("输煤皮带", "颗粒物", "密闭输送：管状带式输送机"),
        ("灰库卸灰口", "颗粒物", "集气罩除尘"),
        ("厂区出口", "颗粒物", "车轮清洗"),
    ),
}
_DEFAULT_NODES = (
    ("原料库", "颗粒物", "密闭储存"),
    ("上料口", "颗粒物", "集气罩除尘"),
    ("料场路面", "颗粒物", "料场硬化"),
    ("厂区出口", "颗粒物", "车轮清洗"),
)
#: Inventory industries (:mod:`lantian.emissions.synthetic`) → the sector of task 18.
_SECTOR_OF = {
    "cement": "building_materials",
    "cement_grinding": "building_materials",
    "brick_kiln": "building_materials",
    "ceramics": "building_materials",
    "refractory": "building_materials",
    "carbon": "nonferrous",
    "nonferrous_secondary": "nonferrous",
    "foundry": "steel",
    "power": "power",
}


def _sample(context: SampleContext) -> list[FugitiveRow]:
    """One entry per inventory enterprise of task 18's sectors (at most 40), in its township."""
    rng = context.rng
    areas = dict(context.areas)
    rows = []
    enterprises = [
        e for e in inventory_enterprises(context, frozenset(_SECTOR_OF)) if e[2] in areas
    ]
    for number, (code, name, area, industry) in enumerate(enterprises[:40], start=1):
        typical = _NODES.get(industry, _DEFAULT_NODES)
        chosen = rng.sample(typical, rng.randint(2, len(typical)))
        longitude, latitude = place(rng)
        rows.append(
            FugitiveRow(
                key=f"WZZ-{area[-3:]}-{number:03d}",
                name=name,
                area_code=area,
                unit_code="hbj",
                address=f"{area_name(context, area)}示例工业园",
                longitude=longitude,
                latitude=latitude,
                deadline=date(2017, 9, 29),
                note=SAMPLE_NOTE,
                credit_code=code,
                industry=_SECTOR_OF[industry],  # type: ignore[arg-type]
                nodes="；".join("/".join(node) for node in chosen),
                controls_deadline=date(2017, 10, 31),
            )
        )
    return rows


KIND = RegisterKind(
    key=KEY,
    zh="工业企业无组织排放",
    en="industrial fugitive emissions",
    tasks=("18", "19"),
    model=FugitiveEnterprise,
    row=FugitiveRow,
    columns=columns(
        CREDIT_CODE_COLUMN,
        Column(
            "industry", "industry", "行业", choices=INDUSTRIES, example="建材 building_materials"
        ),
        Column(
            "nodes",
            "nodes",
            "无组织排放节点",
            aliases=("排放节点", "节点"),
            example="熟料堆场/颗粒物/密闭储存：建设封闭料棚；厂区出口/颗粒物/车轮清洗",
            note_zh="每个节点写作 位置/污染物/措施，多个节点用“；”或换行分隔；措施以 "
            + "、".join(c.zh for c in CONTROLS)
            + " 之一开头",
            note_en="one node per line (or ；) as location/pollutant/measure; the measure starts "
            "with one of the plan's controls",
            width=48,
        ),
        Column(
            "controls_deadline",
            "controls deadline",
            "治理完成时限",
            example="2017-10-31",
            width=12,
        ),
        Column("contact", "contact", "联系人", example="张三 13800000000"),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_18,
            title=lambda record: f"无组织排放节点逾期未上报：{record.name}",
            label=("逾期未上报节点", "nodes not reported by the deadline"),
            done=frozenset({"surveyed", ORDERED, "controlled"}),
        ),
        Rule(
            "uncontrolled",
            "逾期未完成治理",
            "controls not accepted by their deadline",
            CLAUSE_19_PENALTY,
            _uncontrolled,
        ),
        Rule(
            "producing_while_ordered",
            "错峰停产期间生产",
            "producing while ordered to stop",
            CLAUSE_19_PENALTY,
            producing_while_ordered("无组织排放企业", CLAUSE_19_PENALTY),
        ),
    ),
    indicators=(
        Indicator(TARGET_SURVEYED, _surveyed_share),
        Indicator(TARGET_CONTROLLED, _controlled_share),
    ),
    sample=_sample,
    list_fields=("credit_code", "industry", "controls_deadline"),
    filter_fields=("industry",),
    order=18,
    notes=(
        (
            "统一社会信用代码须为排放清单中的企业；节点每行一个：位置/污染物/措施。",
            "The credit code must name an enterprise of the emission inventory; one node per "
            "line: location/pollutant/measure.",
        ),
    ),
    enterprise_field="credit_code",
    effects={"order_staggering": order_effect(KEY, CLAUSE_19_PENALTY, lambda session, r: ())},
)
