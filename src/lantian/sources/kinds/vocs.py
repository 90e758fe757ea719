"""VOCs treatment of chemical, coating and printing firms (重点领域 VOCs 治理, plan task 20).

Task 20: "推进医药、农药等化工类，汽车制造、机械设备制造、家具制造等工业涂装类，包装印刷等行业 VOCs 综合
治理。全面完成 VOCs 提标治理任务，未完成治理改造的企业，实施停产整治；2017 年 10 月底前，未完成治理改造的
企业，纳入冬季错峰生产方案。大力推广使用低（无）VOCs 含量的涂料、有机溶剂、胶黏剂、油墨等原辅材料 … 含
VOCs 物料应密闭储存、输送 … 对泵、压缩机、阀门、法兰以及其他连接件等密封点，全面实施泄漏检测与修复
（LDAR）工作。"

One entry is one enterprise of the emission inventory (its 统一社会信用代码: the same record as
:class:`lantian.emissions.models.Enterprise`): its sector, treatment facility, whether it uses
low-VOCs materials, whether it has sealing points needing LDAR and the dates of its LDAR rounds
(dated records; the rounds of each year are counted). The treatment is accepted on a field check
with photos; a firm not treated by its deadline is put on the winter staggered-production list by
the office — an order of the emissions module stopping its VOCs lines in the heating season.

Lifecycle::

    listed ──start──► treating ──accept (checks with photos, facility, low-VOCs materials of
                                         coating and printing, an LDAR round this year)──► treated
    listed / treating ──order_staggering (after the deadline; note)──► staggered ──accept──► treated
    treated ──reopen (a revisit found the treatment not kept)──► treating
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from sqlalchemy import Boolean, String, Text, select
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
    ChecklistItem,
    Facts,
    Indicator,
    IndicatorValue,
    RegisterKind,
    Rule,
    SampleContext,
    overdue_rule,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

KEY = "vocs"
CLAUSE_20 = "任务20：全面完成 VOCs 提标治理任务，未完成治理改造的企业，实施停产整治"
CLAUSE_20_STAGGERED = "任务20：2017 年 10 月底前，未完成治理改造的企业，纳入冬季错峰生产方案"
CLAUSE_20_MATERIALS = (
    "任务20：大力推广使用低（无）VOCs 含量的涂料、有机溶剂、胶黏剂、油墨等原辅材料"
)
CLAUSE_20_LDAR = (
    "任务20：对泵、压缩机、阀门、法兰以及其他连接件等密封点，全面实施泄漏检测与修复（LDAR）工作"
)
TARGET_TREATED = "vocs_firms_treated"
TARGET_LDAR = "vocs_ldar_carried_out"

#: The sectors task 20 names: chemicals, industrial coating, printing.
SECTORS = {
    "pharmaceutical": "医药化工",
    "pesticide": "农药",
    "chemical": "其他化工",
    "auto": "汽车制造涂装",
    "machinery": "机械设备制造涂装",
    "furniture": "家具制造涂装",
    "printing": "包装印刷",
}
Sector = Literal[
    "pharmaceutical", "pesticide", "chemical", "auto", "machinery", "furniture", "printing"
]
#: Sectors using coatings, solvents, adhesives or inks: low-VOCs materials are asked of them.
MATERIAL_SECTORS = frozenset({"auto", "machinery", "furniture", "printing"})
TREATMENTS = {
    "none": "无治理设施",
    "activated_carbon": "活性炭吸附",
    "catalytic_combustion": "催化燃烧",
    "rto": "蓄热式焚烧（RTO）",
    "condensation": "冷凝回收",
    "other": "其他",
}
Treatment = Literal[
    "none", "activated_carbon", "catalytic_combustion", "rto", "condensation", "other"
]


def ldar_dates(text: str | None) -> list[date]:
    """The dates of the LDAR rounds of a ``ldar_rounds`` cell (``；`` or lines, ISO dates)."""
    found = set()
    for number, item in enumerate(split_items(text or ""), start=1):
        try:
            found.add(date.fromisoformat(item.replace("/", "-")))
        except ValueError:
            raise ValueError(
                f"第 {number} 次 LDAR 的日期「{item}」应为 YYYY-MM-DD / round {number}: the date "
                "must read YYYY-MM-DD"
            ) from None
    return sorted(found)


def _normalised_rounds(text: str | None) -> str | None:
    return "；".join(day.isoformat() for day in ldar_dates(text)) or None


class VocsEnterprise(RegisterRecord):
    __tablename__ = "src_vocs_enterprises"
    __audit_type__ = "vocs_enterprise"

    #: The enterprise of the emission inventory (``emission_enterprises.credit_code``).
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    sector: Mapped[str] = mapped_column(String(20))
    treatment: Mapped[str] = mapped_column(String(24), default="none")
    low_voc_materials: Mapped[bool] = mapped_column(Boolean, default=False)
    ldar_required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The dates of the LDAR rounds, ISO dates joined by ``；`` (see :func:`ldar_dates`).
    ldar_rounds: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(100))


class VocsRow(RegisterRow):
    credit_code: Annotated[str, CreditCode]
    sector: Sector
    treatment: Treatment = "none"
    low_voc_materials: bool = False
    ldar_required: bool = False
    ldar_rounds: Annotated[str | None, AfterValidator(_normalised_rounds)] = Field(
        default=None, max_length=2000
    )
    contact: str | None = Field(default=None, max_length=100)


ENCLOSED = ChecklistItem(
    "enclosed_materials",
    "含VOCs物料密闭储存、输送",
    "VOCs materials stored and conveyed enclosed",
    "任务20：含 VOCs 物料应密闭储存、输送",
    evidence_required=True,
)
COLLECTION = ChecklistItem(
    "collection",
    "投料、卸料、分装密闭或设集气系统",
    "charging, unloading and filling enclosed or collected",
    "任务20：投料、卸料以及含 VOCs 产品分装等过程应密闭操作或设置集气系统",
    evidence_required=True,
)
FACILITY = ChecklistItem(
    "facility_running",
    "治理设施正常运行",
    "treatment facility running",
    CLAUSE_20,
    evidence_required=True,
)
LOW_VOC = ChecklistItem(
    "low_voc_materials",
    "使用低（无）VOCs含量原辅材料",
    "low-VOCs materials in use",
    CLAUSE_20_MATERIALS,
)
LDAR = ChecklistItem("ldar_records", "LDAR记录齐全", "LDAR records kept", CLAUSE_20_LDAR)
CHECKLIST = (ENCLOSED, COLLECTION, FACILITY, LOW_VOC, LDAR, PRODUCTION_STOPPED)


def _treatment_holds(facts: Facts) -> list[Unmet]:
    record = facts.record
    unmet: list[Unmet] = []
    if getattr(record, "treatment", "none") == "none":
        unmet.append(("未建治理设施", "no treatment facility"))
    unmet.extend(unproven(facts, (ENCLOSED, COLLECTION, FACILITY)))
    if getattr(record, "sector", "") in MATERIAL_SECTORS and not getattr(
        record, "low_voc_materials", False
    ):
        unmet.append(
            (
                "涂装、印刷企业未使用低（无）VOCs含量原辅材料",
                "coating or printing without low-VOCs materials",
            )
        )
    if getattr(record, "ldar_required", False):
        this_year = [
            d
            for d in ldar_dates(getattr(record, "ldar_rounds", None))
            if d.year == facts.today.year
        ]
        if not this_year:
            unmet.append(
                (
                    f"{facts.today.year} 年未开展泄漏检测与修复（LDAR）",
                    f"no LDAR round in {facts.today.year}",
                )
            )
    return unmet


def _deadline_passed(facts: Facts) -> list[Unmet]:
    due = facts.record.deadline
    if due is None or facts.today <= due:
        return [
            (
                f"治理期限（{due or '未填'}）未过，不能纳入错峰生产",
                f"the deadline ({due or 'none'}) has not passed",
            )
        ]
    return []


LIFECYCLE = Lifecycle(
    states=(
        State("listed", "列入治理", "listed"),
        State("treating", "治理中", "being treated"),
        State(ORDERED, "停产整治并纳入错峰生产", "stopped, on the staggered list"),
        State("treated", "治理验收合格", "treatment accepted", closed=True),
    ),
    initial="listed",
    transitions=(
        step("start", ("开始治理", "start"), {"listed"}, "treating", KEEPERS, CLAUSE_20),
        step(
            "accept",
            ("治理验收", "accept the treatment"),
            {"listed", "treating", ORDERED},
            "treated",
            VERIFIERS,
            CLAUSE_20,
            guard=_treatment_holds,
        ),
        step(
            "order_staggering",
            ("停产整治并纳入冬季错峰生产", "order a stop and staggered production"),
            {"listed", "treating"},
            ORDERED,
            OFFICE_ROLES,
            CLAUSE_20_STAGGERED,
            guard=_deadline_passed,
            note_required=True,
        ),
        step(
            "reopen",
            ("重新整改", "reopen"),
            {"treated"},
            "treating",
            VERIFIERS,
            CLAUSE_20,
            note_required=True,
        ),
    ),
)


def _vocs_lines(session: Session, record: RegisterRecord) -> list[str]:
    """The enterprise's lines with VOCs processes or emissions (the order stops those; none:
    the whole enterprise)."""
    from lantian.emissions.service import get_enterprise

    enterprise = get_enterprise(session, str(getattr(record, "credit_code", "")))
    return [line.name for line in enterprise.lines if line.process == "vocs"]


def _treated_share(session: Session) -> IndicatorValue:
    rows = session.execute(select(VocsEnterprise.sector, VocsEnterprise.state)).all()
    total = Counter(str(sector) for sector, _ in rows)
    done = Counter(str(sector) for sector, state in rows if state == "treated")
    count, finished = sum(total.values()), sum(done.values())
    return IndicatorValue(
        TARGET_TREATED,
        round(100.0 * finished / count, 1) if count else None,
        count,
        f"台账 {count} 家涉VOCs企业中治理验收合格 {finished} 家",
        f"{finished} of {count} VOCs firms with their treatment accepted (by sector, %)",
        tuple(
            (f"{SECTORS.get(s, s)} {s}", round(100.0 * done[s] / total[s], 1))
            for s in sorted(total)
        ),
    )


def _ldar_share(session: Session) -> IndicatorValue:
    """Firms needing LDAR with a round in the latest year any round was made; the rounds of
    every year stand behind the figure (dated records, counted per year)."""
    rounds = session.scalars(
        select(VocsEnterprise.ldar_rounds).where(VocsEnterprise.ldar_required.is_(True))
    ).all()
    per_year: Counter[int] = Counter()
    dated = [ldar_dates(text) for text in rounds]
    for days in dated:
        per_year.update(d.year for d in days)
    year = max(per_year) if per_year else None
    done = sum(1 for days in dated if year is not None and any(d.year == year for d in days))
    count = len(dated)
    return IndicatorValue(
        TARGET_LDAR,
        round(100.0 * done / count, 1) if count else None,
        count,
        f"须开展LDAR的 {count} 家企业中{year or '-'}年已开展 {done} 家（明细：各年轮次数）",
        f"{done} of {count} firms needing LDAR had a round in {year or '-'} (detail: rounds per year)",
        tuple((f"{y} 年 LDAR 轮次 rounds", float(n)) for y, n in sorted(per_year.items())),
    )


_SECTOR_OF = {
    "pharmaceutical": "pharmaceutical",
    "pesticide": "pesticide",
    "chemical": "chemical",
    "furniture": "furniture",
    "printing": "printing",
}


def _sample(context: SampleContext) -> list[VocsRow]:
    """One entry per inventory enterprise of task 20's sectors (at most 40), in its township."""
    rng = context.rng
    areas = dict(context.areas)
    rows = []
    enterprises = [
        e for e in inventory_enterprises(context, frozenset(_SECTOR_OF)) if e[2] in areas
    ]
    for number, (code, name, area, industry) in enumerate(enterprises[:40], start=1):
        sector = _SECTOR_OF[industry]
        chemical = sector in ("pharmaceutical", "pesticide", "chemical")
        # The register as the firms report it: a facility, low-VOCs materials and a leak-detection
        # round this year, but for one firm in twenty with no facility yet, which stays behind
        # (the office's case).
        behind = number % 20 == 7
        rounds = [date(2017, rng.randint(3, 8), rng.randint(1, 28))] if chemical else []
        longitude, latitude = place(rng)
        rows.append(
            VocsRow(
                key=f"VOC-{area[-3:]}-{number:03d}",
                name=name,
                area_code=area,
                unit_code="hbj",
                address=f"{area_name(context, area)}示例工业园",
                longitude=longitude,
                latitude=latitude,
                deadline=date(2017, 10, 31),
                note=SAMPLE_NOTE,
                credit_code=code,
                sector=sector,  # type: ignore[arg-type]
                treatment="none"
                if behind
                else rng.choice(("activated_carbon", "catalytic_combustion", "rto")),
                low_voc_materials=not chemical,
                ldar_required=chemical,
                ldar_rounds="；".join(d.isoformat() for d in rounds) or None,
            )
        )
    return rows


KIND = RegisterKind(
    key=KEY,
    zh="重点行业VOCs治理",
    en="VOCs treatment",
    tasks=("20",),
    model=VocsEnterprise,
    row=VocsRow,
    columns=columns(
        CREDIT_CODE_COLUMN,
        Column("sector", "sector", "行业类别", choices=SECTORS, example="包装印刷 printing"),
        Column(
            "treatment",
            "treatment",
            "治理设施",
            choices=TREATMENTS,
            example="活性炭吸附 activated_carbon",
        ),
        Column(
            "low_voc_materials", "low-VOCs materials", "使用低VOCs原辅材料", example="是", width=10
        ),
        Column("ldar_required", "LDAR required", "须开展LDAR", example="否", width=10),
        Column(
            "ldar_rounds",
            "LDAR rounds",
            "LDAR开展日期",
            example="2017-06-12；2017-09-20",
            note_zh="每次泄漏检测与修复的日期，多个用“；”分隔",
            note_en="the date of each leak detection and repair round, separated by ；",
            width=24,
        ),
        Column("contact", "contact", "联系人", example="张三 13800000000"),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_20_STAGGERED,
            title=lambda record: f"VOCs企业逾期未完成治理：{record.name}",
            label=("逾期未完成治理", "not treated by the deadline"),
            done=frozenset({"treated", ORDERED}),
        ),
        Rule(
            "producing_while_ordered",
            "停产整治期间生产",
            "producing while ordered to stop",
            CLAUSE_20_STAGGERED,
            producing_while_ordered("VOCs企业", CLAUSE_20_STAGGERED),
        ),
    ),
    indicators=(
        Indicator(TARGET_TREATED, _treated_share),
        Indicator(TARGET_LDAR, _ldar_share),
    ),
    sample=_sample,
    list_fields=("credit_code", "sector", "treatment"),
    filter_fields=("sector", "treatment"),
    order=20,
    notes=(
        (
            "统一社会信用代码须为排放清单中的企业；LDAR 日期每次一个，用“；”分隔。",
            "The credit code must name an enterprise of the emission inventory; one date per "
            "LDAR round, separated by ；.",
        ),
    ),
    enterprise_field="credit_code",
    effects={"order_staggering": order_effect(KEY, CLAUSE_20_STAGGERED, _vocs_lines)},
)
