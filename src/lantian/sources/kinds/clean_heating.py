"""Villages converted to clean heating (“双替代”村庄: 气代煤、电代煤, plan task 10).

Task 10: "在集中供热管网确实无法覆盖的区域，按照“宜气则气、宜电则电”的原则，实施电代煤、气代煤 …
2017年9月底前，按照“整县整乡整村”推进的要求，进行摸排核实，确保完成“双替代”的村庄全部满足80%以上
的替代率，严禁摊派式在不同村庄零散开展". Annex: "完成气代煤、电代煤23400户".

One entry is one village: its households, how many are converted by gas and by electricity, the
method, and whether central heating reaches it. The 80 % is a floor for *each* village, not an
average: the indicator ``village_conversion_rate`` is the lowest village's rate (every village's
rate behind it), and acceptance of a village under the floor is refused. The floor is the plan's
``village_conversion_rate`` target (tasks.yaml), read through :meth:`Facts.target_value`, so a
city whose plan sets another value gets its own floor.

Lifecycle::

    registered ──survey (摸排核实, households verified; due 9-30)──► surveyed
    surveyed ──start (not where central heating reaches)──► converting
    converting ──accept (验收: rate ≥ floor, equipment installed and coal stoves removed, with
                 photos)──► accepted
    accepted ──reopen (a revisit found it short, or loose coal burnt again)──► converting
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import Boolean, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

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
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

if TYPE_CHECKING:
    from lantian.plan import Plan

METHODS = {"gas": "气代煤", "electric": "电代煤"}
Method = Literal["gas", "electric"]
#: The plan's target this register's floor and indicator read (tasks.yaml, task 10).
FLOOR_TARGET = "village_conversion_rate"
HOUSEHOLDS_TARGET = "households_converted"
CLAUSE_SURVEY = "任务10：2017年9月底前，按照“整县整乡整村”推进的要求，进行摸排核实"
CLAUSE_WHERE = (
    "任务10：在集中供热管网确实无法覆盖的区域，按照“宜气则气、宜电则电”的原则，实施电代煤、气代煤"
)
CLAUSE_FLOOR = "任务10：确保完成“双替代”的村庄全部满足80%以上的替代率"
CLAUSE_SCATTERED = "任务10：严禁摊派式在不同村庄零散开展"
CLAUSE_RELAPSE = (
    "任务12(2)：已完成电代煤、气代煤 … 的区域，一律不得燃用散煤，防止已完成替代的地区散煤复烧"
)


class HeatingVillage(RegisterRecord):
    __tablename__ = "src_heating_villages"
    __audit_type__ = "heating_village"

    households_total: Mapped[int] = mapped_column(Integer)
    households_gas: Mapped[int] = mapped_column(Integer, default=0)
    households_electric: Mapped[int] = mapped_column(Integer, default=0)
    method: Mapped[str] = mapped_column(String(10))
    #: Central heating reaches the village (then it is heated by the network, not converted).
    central_heating: Mapped[bool] = mapped_column(Boolean, default=False)


class VillageRow(RegisterRow):
    households_total: int = Field(ge=1, le=100_000)
    households_gas: int = Field(default=0, ge=0, le=100_000)
    households_electric: int = Field(default=0, ge=0, le=100_000)
    method: Method
    central_heating: bool = False

    @model_validator(mode="after")
    def _converted_within_total(self) -> VillageRow:
        if self.households_gas + self.households_electric > self.households_total:
            raise ValueError(
                "气代煤与电代煤户数之和超过总户数 / households converted exceed the village's "
                "households"
            )
        return self


def converted(record: Any) -> int:
    """Households converted in a village (gas and electricity)."""
    return int(record.households_gas or 0) + int(record.households_electric or 0)


def conversion_rate(record: Any) -> float:
    """A village's conversion rate in % (households converted / households), one decimal."""
    total = int(record.households_total or 0)
    return round(100.0 * converted(record) / total, 1) if total else 0.0


def under_floor(record: Any, floor: float) -> bool:
    """Whether a village's own rate is below ``floor`` %, exactly (79.96 % is under 80 %: the
    shown rate is rounded, the comparison is not)."""
    return converted(record) * 100 < floor * int(record.households_total or 0)


HOUSEHOLDS_VERIFIED = ChecklistItem(
    "households_verified", "入户摸排核实户数", "households verified door to door", CLAUSE_SURVEY
)
EQUIPMENT_INSTALLED = ChecklistItem(
    "equipment_installed",
    "燃气壁挂炉/电采暖设备安装到户",
    "gas wall boilers or electric heaters installed",
    CLAUSE_WHERE,
    evidence_required=True,
)
STOVES_REMOVED = ChecklistItem(
    "coal_stoves_removed",
    "燃煤炉具拆除或封存",
    "coal stoves removed or sealed",
    CLAUSE_RELAPSE,
    evidence_required=True,
)
NO_LOOSE_COAL = ChecklistItem(
    "no_loose_coal", "村内未燃用散煤", "no loose coal burnt", CLAUSE_RELAPSE
)
CHECKLIST = (HOUSEHOLDS_VERIFIED, EQUIPMENT_INSTALLED, STOVES_REMOVED, NO_LOOSE_COAL)


def floor_of(facts: Facts) -> float | None:
    """Each village's floor in %: the plan's ``village_conversion_rate`` target (None: no floor)."""
    return facts.target_value(FLOOR_TARGET)


def _surveyed(facts: Facts) -> list[Unmet]:
    if facts.latest(HOUSEHOLDS_VERIFIED.key) != "pass":
        return [("未入户摸排核实户数", "the households are not verified door to door")]
    return []


def _not_central_heating(facts: Facts) -> list[Unmet]:
    if getattr(facts.record, "central_heating", False):
        return [
            (
                "该村在集中供热覆盖范围内，应实施集中供热而非“双替代”",
                "central heating reaches the village: it is connected, not converted",
            )
        ]
    return []


def _acceptance_holds(facts: Facts) -> list[Unmet]:
    unmet: list[Unmet] = []
    floor = floor_of(facts)
    rate = conversion_rate(facts.record)
    if floor is not None and under_floor(facts.record, floor):
        unmet.append(
            (
                f"本村替代率 {rate:g}% 低于 {floor:g}%（每村均须达到，不是平均数）",
                f"the village's conversion rate {rate:g}% is below {floor:g}% (a floor for every "
                "village, not an average)",
            )
        )
    unmet.extend(unproven(facts, (EQUIPMENT_INSTALLED, STOVES_REMOVED)))
    return unmet


LIFECYCLE = Lifecycle(
    states=(
        State("registered", "待摸排", "to be surveyed"),
        State("surveyed", "已摸排核实", "surveyed"),
        State("converting", "改造中", "being converted"),
        State("accepted", "已验收", "accepted", closed=True),
    ),
    initial="registered",
    transitions=(
        step(
            "survey",
            ("摸排核实", "survey"),
            {"registered"},
            "surveyed",
            KEEPERS,
            CLAUSE_SURVEY,
            guard=_surveyed,
        ),
        step(
            "start",
            ("开始改造", "start converting"),
            {"surveyed"},
            "converting",
            KEEPERS,
            CLAUSE_WHERE,
            guard=_not_central_heating,
        ),
        step(
            "accept",
            ("验收", "accept"),
            {"converting"},
            "accepted",
            VERIFIERS,
            CLAUSE_FLOOR,
            guard=_acceptance_holds,
        ),
        step(
            "reopen",
            ("重新整改", "reopen"),
            {"accepted"},
            "converting",
            VERIFIERS,
            CLAUSE_RELAPSE,
            note_required=True,
        ),
    ),
)


def survey_due(plan: Plan | None) -> date | None:
    """The date the survey (摸排核实) is due: task 10's "by" deadline in the plan (9-30 in Xinmi)."""
    return None if plan is None else _survey_due(plan)


@lru_cache(maxsize=8)
def _survey_due(plan: Plan) -> date | None:
    for task in plan.tasks():
        if task.ref == "10":
            for deadline in task.assignment.deadlines:
                if deadline.kind == "by" and deadline.date is not None:
                    return deadline.date
    return None


def _not_surveyed(facts: Facts) -> Breach | None:
    """Not surveyed (摸排核实) by the plan's date."""
    record = facts.record
    due = survey_due(facts.plan)
    if record.state != "registered" or due is None or facts.today <= due:
        return None

    return Breach(
        title=f"“双替代”村庄逾期未摸排核实：{record.name}",
        description=f"{due} 前应完成摸排核实，{record.name}（{record.key}）仍为「待摸排」/ the "
        f"survey was due by {due}",
        observed_at=end_of_day(due),
        severity="serious",
    )


def _scattered(facts: Facts) -> Breach | None:
    """Conversions spread thin (摊派式零散开展): a village with conversions but under the floor,
    still being converted past its deadline."""
    record: Any = facts.record
    floor = floor_of(facts)
    if (
        floor is None
        or record.state not in ("surveyed", "converting")
        or record.deadline is None
        or record.deadline >= facts.today
        or converted(record) == 0
    ):
        return None
    if not under_floor(record, floor):
        return None
    rate = conversion_rate(record)

    return Breach(
        title=f"“双替代”零散开展、未整村推进：{record.name}",
        description=f"完成时限 {record.deadline} 已过，本村 {record.households_total} 户中仅替代 "
        f"{converted(record)} 户（{rate:g}%，应不低于 {floor:g}%）/ deadline passed with "
        f"{rate:g}% converted (floor {floor:g}%)",
        observed_at=end_of_day(record.deadline),
        severity="serious",
    )


def _accepted_below_floor(facts: Facts) -> Breach | None:
    """A village accepted (claimed converted) whose own rate is under the floor (e.g. its figures
    were corrected after acceptance)."""
    record = facts.record
    floor = floor_of(facts)
    if floor is None or record.state != "accepted":
        return None
    if not under_floor(record, floor):
        return None
    rate = conversion_rate(record)
    return Breach(
        title=f"已验收“双替代”村庄替代率不足 {floor:g}%：{record.name}",
        description=f"{record.name}（{record.key}）替代率 {rate:g}%，低于每村 {floor:g}% 的要求 / "
        f"an accepted village at {rate:g}%, under the {floor:g}% floor",
        observed_at=max(record.state_since, record.updated_at),
        severity="serious",
    )


def _relapse(facts: Facts) -> Breach | None:
    """Loose coal burnt again in an accepted village, found at a check after its acceptance."""
    record = facts.record
    if record.state != "accepted":
        return None
    for check in facts.checks:
        if check.checked_at < record.state_since:
            break
        entry = (check.items or {}).get(NO_LOOSE_COAL.key)
        if entry is not None and entry["result"] == "fail":
            return Breach(
                title=f"已完成“双替代”村庄散煤复烧：{record.name}",
                description=f"{check.checked_at:%Y-%m-%d} 核查发现已验收村庄 {record.key} 燃用散煤 / "
                "loose coal burnt again in a village accepted as converted",
                observed_at=check.checked_at,
                severity="serious",
            )
    return None


def _households(session: Session) -> IndicatorValue:
    model = HeatingVillage
    rows = session.execute(
        select(model.area_code, model.households_gas, model.households_electric)
    ).all()
    by_area: dict[str, float] = {}
    for area, gas, electric in rows:
        by_area[area] = by_area.get(area, 0.0) + float(gas or 0) + float(electric or 0)
    total = sum(by_area.values())
    gas_total = float(sum(int(g or 0) for _, g, _ in rows))
    return IndicatorValue(
        HOUSEHOLDS_TARGET,
        total,
        len(rows),
        f"台账 {len(rows)} 个村庄气代煤、电代煤户数之和（气代煤 {gas_total:g} 户）",
        f"households converted by gas or electricity in {len(rows)} villages "
        f"({gas_total:g} by gas)",
        tuple(sorted(by_area.items())),
    )


def _lowest_village(session: Session) -> IndicatorValue:
    """The lowest village's rate among the villages with conversions: a floor, not an average."""
    model = HeatingVillage
    villages = session.scalars(select(model).order_by(model.key)).all()
    doing = [v for v in villages if converted(v) > 0]
    rates = sorted(((f"{v.name} {v.key}", conversion_rate(v)) for v in doing), key=lambda r: r[1])
    lowest = rates[0][1] if rates else None
    return IndicatorValue(
        FLOOR_TARGET,
        lowest,
        len(doing),
        f"开展“双替代”的 {len(doing)} 个村庄中替代率最低的村（每村须达标，不取平均）",
        f"the lowest rate of the {len(doing)} villages with conversions (each village must reach "
        "the floor; not an average)",
        tuple(rates),
    )


#: Plausible village names per township for the demo (示例数据: the demo does not claim that the
#: figures are any real village's).
SAMPLE_VILLAGES = (
    "东村",
    "西村",
    "南庄",
    "北岗",
    "王沟",
    "李寨",
    "张庄",
    "刘沟",
    "马岭",
    "杨湾",
    "柏树坡",
    "石门",
    "河西",
    "坡头",
    "老寨",
    "新庄",
)


def sample_villages(context: SampleContext) -> list[VillageRow]:
    """A township's village sheet per township (not sub-districts): 4–7 villages each, most at
    82–100 %, exactly one village under 80 % (the one the floor must catch)."""
    rng = context.rng
    rows: list[VillageRow] = []
    townships = [(code, name) for code, name in context.areas if code[6] in "12"]
    under = rng.randrange(len(townships)) if townships else -1
    for index, (code, area_name) in enumerate(townships):
        names = rng.sample(SAMPLE_VILLAGES, rng.randint(4, 7))
        for number, village in enumerate(names, start=1):
            total = rng.randint(120, 560)
            rate = rng.uniform(0.82, 1.0)
            if index == under and number == 1:
                rate = rng.uniform(0.70, 0.79)
            done = int(total * rate)
            method: Method = rng.choice(("gas", "electric"))
            gas = done if method == "gas" else rng.randint(0, done // 10)
            rows.append(
                VillageRow(
                    key=f"SDT-{code[-3:]}-{number:02d}",
                    name=f"{area_name[:-1]}{village}村",
                    area_code=code,
                    unit_code="fgw",
                    address=f"新密市{area_name}{village}村",
                    longitude=round(113.2 + rng.random() * 0.35, 5),
                    latitude=round(34.4 + rng.random() * 0.2, 5),
                    deadline=date(2017, 10, 31),
                    note="示例数据 / sample",
                    households_total=total,
                    households_gas=gas,
                    households_electric=done - gas,
                    method=method,
                )
            )
    return rows


KIND = RegisterKind(
    key="heating_village",
    zh="“双替代”村庄",
    en="village converted to clean heating",
    tasks=("10",),
    model=HeatingVillage,
    row=VillageRow,
    columns=columns(
        Column("households_total", "households", "总户数", aliases=("户数",), example="420"),
        Column("households_gas", "gas households", "气代煤户数", example="380", width=12),
        Column("households_electric", "electric households", "电代煤户数", example="0", width=12),
        Column("method", "method", "替代方式", choices=METHODS, example="气代煤 gas", width=12),
        Column(
            "central_heating",
            "central heating",
            "集中供热覆盖",
            example="否",
            note_zh="集中供热覆盖的村应实施集中供热",
            note_en="a village central heating reaches is connected, not converted",
            width=12,
        ),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule("not_surveyed", "逾期未摸排", "not surveyed by 9-30", CLAUSE_SURVEY, _not_surveyed),
        Rule("scattered", "零散开展", "conversions spread thin", CLAUSE_SCATTERED, _scattered),
        Rule(
            "accepted_below_floor",
            "验收村庄替代率不足",
            "accepted village under the floor",
            CLAUSE_FLOOR,
            _accepted_below_floor,
        ),
        Rule("relapse", "散煤复烧", "loose coal burnt again", CLAUSE_RELAPSE, _relapse),
    ),
    indicators=(
        Indicator(HOUSEHOLDS_TARGET, _households),
        Indicator(FLOOR_TARGET, _lowest_village),
    ),
    sample=sample_villages,
    list_fields=("households_total", "households_gas", "households_electric", "method"),
    filter_fields=("method",),
    order=10,
    notes=(
        (
            "每个“双替代”村庄替代率均须达到计划值（80%），不是各村平均。",
            "Every converted village must reach the plan's rate (80 %) on its own, not on average.",
        ),
    ),
)
