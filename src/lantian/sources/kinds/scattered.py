"""Scattered-polluting enterprises and clusters (散乱污企业及集群, plan tasks 4–5).

Task 4: "涉大气污染物排放列入淘汰类的，9月底前全部依法依规关停取缔，做到“两断三清”，即断水、断电、
清除原料、清除产品、清除设备 … 实行挂账销号，坚决杜绝已取缔“散乱污”企业异地转移和死灰复燃。"
Task 5: "列入升级改造的企业 … 升级改造完成并经由相关部门会审签字后方可投入运行 … 没有达到总体整改
要求 … 实行挂牌督办，限期整改。"

Lifecycle::

    registered ──start──► rectifying ──close_off (两断三清, each with evidence)──► closed_off
                              │      (取缔 / 整合搬迁)
                              └──sign_off (会审签字; 升级改造 only)──► signed_off ──restart──► operating
    closed_off / operating ──reopen (a revisit found it working again)──► rectifying
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import Field
from sqlalchemy import Boolean, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

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
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

CATEGORIES = {"ban": "取缔", "relocate": "整合搬迁", "upgrade": "升级改造"}
Category = Literal["ban", "relocate", "upgrade"]
CLAUSE_4 = "任务4：列入淘汰类的，9月底前全部依法依规关停取缔，做到“两断三清” … 实行挂账销号"
CLAUSE_4_RELAPSE = "任务4：坚决杜绝已取缔“散乱污”企业异地转移和死灰复燃"
CLAUSE_5 = "任务5：升级改造完成并经由相关部门会审签字后方可投入运行"
CLAUSE_5_LISTED = "任务5：没有达到总体整改要求 … 实行挂牌督办，限期整改"


class ScatteredEnterprise(RegisterRecord):
    __tablename__ = "src_scattered_enterprises"
    __audit_type__ = "scattered_enterprise"

    category: Mapped[str] = mapped_column(String(10))
    industry: Mapped[str | None] = mapped_column(String(100))
    cluster: Mapped[str | None] = mapped_column(String(100), index=True)
    #: The cluster is under listed supervision (挂牌督办, task 5).
    cluster_listed: Mapped[bool] = mapped_column(Boolean, default=False)
    contact: Mapped[str | None] = mapped_column(String(100))


class ScatteredRow(RegisterRow):
    category: Category
    industry: str | None = Field(default=None, max_length=100)
    cluster: str | None = Field(default=None, max_length=100)
    cluster_listed: bool = False
    contact: str | None = Field(default=None, max_length=100)


#: 两断三清: the five checks of a closure (each a pass with a photo before the entry is closed off).
TWO_CUTS_THREE_CLEARS = (
    ChecklistItem("water_cut", "断水", "water cut", CLAUSE_4, evidence_required=True),
    ChecklistItem("power_cut", "断电", "power cut", CLAUSE_4, evidence_required=True),
    ChecklistItem("materials_cleared", "清除原料", "raw materials cleared", CLAUSE_4, True),
    ChecklistItem("products_cleared", "清除产品", "products cleared", CLAUSE_4, True),
    ChecklistItem("equipment_cleared", "清除设备", "equipment cleared", CLAUSE_4, True),
)
#: A revisit's question: is the site idle (a fail means it works again: 死灰复燃).
IDLE = ChecklistItem("idle", "未恢复生产", "not producing", CLAUSE_4_RELAPSE)
CHECKLIST = (*TWO_CUTS_THREE_CLEARS, IDLE)


def _closure_holds(facts: Facts) -> list[Unmet]:
    record = facts.record
    unmet: list[Unmet] = []
    if getattr(record, "category", None) == "upgrade":
        unmet.append(
            ("升级改造企业应会审签字，不能销号", "an upgrade is signed off, not closed off")
        )
        return unmet
    unmet.extend(unproven(facts, TWO_CUTS_THREE_CLEARS))
    return unmet


def _upgrade_only(facts: Facts) -> list[Unmet]:
    if getattr(facts.record, "category", None) != "upgrade":
        return [("只有升级改造企业会审签字", "only an upgrade is signed off")]
    return []


LIFECYCLE = Lifecycle(
    states=(
        State("registered", "登记在册", "registered"),
        State("rectifying", "整治中", "being dealt with"),
        State("closed_off", "已销号", "closed off", closed=True),
        State("signed_off", "会审通过", "signed off"),
        State("operating", "改造完成投运", "upgraded and operating", closed=True),
    ),
    initial="registered",
    transitions=(
        step("start", ("开始整治", "start"), {"registered"}, "rectifying", KEEPERS, CLAUSE_4),
        step(
            "close_off",
            ("挂账销号", "close off"),
            {"rectifying"},
            "closed_off",
            KEEPERS,
            CLAUSE_4,
            guard=_closure_holds,
        ),
        step(
            "sign_off",
            ("会审签字", "joint sign-off"),
            {"rectifying"},
            "signed_off",
            OFFICE_ROLES,
            CLAUSE_5,
            guard=_upgrade_only,
            note_required=True,
        ),
        step("restart", ("投入运行", "restart"), {"signed_off"}, "operating", KEEPERS, CLAUSE_5),
        step(
            "reopen",
            ("重新整治", "reopen"),
            {"closed_off", "operating"},
            "rectifying",
            VERIFIERS,
            CLAUSE_4_RELAPSE,
            note_required=True,
        ),
    ),
)


def _relapse(facts: Facts) -> Breach | None:
    """A closed-off firm found producing again (死灰复燃) at a check after its closure."""
    record = facts.record
    if record.state != "closed_off":
        return None
    for check in facts.checks:
        if check.checked_at < record.state_since:
            break
        entry = (check.items or {}).get(IDLE.key)
        if entry is not None and entry["result"] == "fail":
            return Breach(
                title=f"已取缔“散乱污”企业死灰复燃：{record.name}",
                description=f"{check.checked_at:%Y-%m-%d} 核查发现已销号企业 {record.key} 恢复生产 / "
                "a closed-off firm was found producing again",
                observed_at=check.checked_at,
                severity="major",
                accountability=True,
            )
    return None


def _working_before_sign_off(facts: Facts) -> Breach | None:
    """An upgrade found producing before its joint sign-off (task 5)."""
    record = facts.record
    if getattr(record, "category", None) != "upgrade" or record.state not in (
        "registered",
        "rectifying",
    ):
        return None
    for check in facts.checks:
        entry = (check.items or {}).get(IDLE.key)
        if entry is not None:
            if entry["result"] != "fail":
                return None
            return Breach(
                title=f"升级改造企业未经会审签字即生产：{record.name}",
                description="升级改造完成并经会审签字后方可投入运行 / an upgrade may run only "
                "after the joint sign-off",
                observed_at=check.checked_at,
                severity="serious",
            )
    return None


def _listed_cluster(facts: Facts) -> Breach | None:
    """An entry of a cluster under listed supervision that is not yet dealt with."""
    record = facts.record
    assert isinstance(record, ScatteredEnterprise)
    if not record.cluster_listed or record.state in LIFECYCLE.closed_states:
        return None

    return Breach(
        title=f"挂牌督办集群企业未完成整治：{record.cluster or record.name}",
        description=f"{record.name} 所在集群 {record.cluster or '-'} 实行挂牌督办 / the firm's "
        "cluster is under listed supervision",
        observed_at=end_of_day(record.state_since.date()),
        severity="serious",
    )


def _rectified_count(session: Session) -> IndicatorValue:
    model = ScatteredEnterprise
    rows = session.execute(
        select(model.category, model.state, func.count()).group_by(model.category, model.state)
    ).all()
    done = {"closed_off", "operating"}
    total = sum(int(n) for _, _, n in rows)
    finished = sum(int(n) for _, state, n in rows if state in done)
    detail = tuple(
        (
            f"{CATEGORIES.get(cat, cat)} {cat}",
            float(sum(int(n) for c, s, n in rows if c == cat and s in done)),
        )
        for cat in CATEGORIES
    )
    return IndicatorValue(
        "scattered_polluting_enterprises",
        float(finished),
        total,
        f"台账 {total} 家中已销号或改造完成投运的家数",
        f"entries closed off or upgraded and operating, of {total} registered",
        detail,
    )


def _sample(context: SampleContext) -> list[ScatteredRow]:
    rng = context.rng
    industries = (
        "塑料加工",
        "石材切割",
        "家具喷漆",
        "铸造",
        "耐火材料",
        "废旧轮胎炼油",
        "小砖窑",
        "小石灰窑",
    )
    rows = []
    number = 0
    for code, area_name in context.areas:
        for _ in range(rng.randint(20, 45)):
            number += 1
            category: Category = rng.choices(("ban", "relocate", "upgrade"), (6, 2, 3))[0]
            cluster = (
                f"{area_name}{rng.choice(('东', '西', '南', '北'))}工业集群"
                if rng.random() < 0.3
                else None
            )
            rows.append(
                ScatteredRow(
                    key=f"SLW-{code[-3:]}-{number:04d}",
                    name=f"示例{rng.choice(industries)}厂{number:04d}",
                    area_code=code,
                    unit_code="hbj",
                    address=f"{area_name}示例村",
                    longitude=round(113.2 + rng.random() * 0.35, 5),
                    latitude=round(34.4 + rng.random() * 0.2, 5),
                    deadline=date(2017, 9, 30) if category == "ban" else date(2017, 10, 31),
                    note="示例数据 / sample",
                    category=category,
                    industry=rng.choice(industries),
                    cluster=cluster,
                    cluster_listed=bool(cluster) and rng.random() < 0.2,
                )
            )
    return rows


KIND = RegisterKind(
    key="scattered_enterprise",
    zh="“散乱污”企业",
    en="scattered-polluting enterprise",
    tasks=("4", "5"),
    model=ScatteredEnterprise,
    row=ScatteredRow,
    columns=columns(
        Column(
            "category", "category", "处置类别", choices=CATEGORIES, example="取缔 ban", width=14
        ),
        Column("industry", "industry", "行业", example="塑料加工"),
        Column("cluster", "cluster", "所属集群", example="某镇工业集群"),
        Column("cluster_listed", "cluster listed", "集群挂牌督办", example="否", width=10),
        Column("contact", "contact", "联系人", example="张三 13800000000"),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule("relapse", "死灰复燃", "producing again after closure", CLAUSE_4_RELAPSE, _relapse),
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_4,
            title=lambda record: f"“散乱污”企业逾期未完成整治：{record.name}",
            label=("逾期未整治", "not dealt with by the deadline"),
            done=LIFECYCLE.closed_states | {"signed_off"},
        ),
        Rule(
            "working_before_sign_off",
            "未会审即生产",
            "producing before the joint sign-off",
            CLAUSE_5,
            _working_before_sign_off,
        ),
        Rule(
            "listed_cluster",
            "挂牌督办集群",
            "cluster under listed supervision",
            CLAUSE_5_LISTED,
            _listed_cluster,
        ),
    ),
    indicators=(Indicator("scattered_polluting_enterprises", _rectified_count),),
    sample=_sample,
    list_fields=("category", "industry", "cluster"),
    filter_fields=("category", "cluster"),
    order=4,
)

#: How long after its deadline an overdue breach's case must be rectified (the office may change it).
RECTIFY_WITHIN = timedelta(days=7)
