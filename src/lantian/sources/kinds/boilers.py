"""Coal boilers, tea stoves, small commercial coal stoves and gas producers (燃煤锅炉、茶水炉、经营性
小煤炉、煤气发生炉, plan tasks 14–17), with the gas boilers that replace them.

Task 14: "排查出的燃煤锅炉、煤气发生炉要逐一登记，建立管理清单和台账。2017年10月1日起，凡存在瞒报漏报
燃煤锅炉、煤气发生炉，完不成淘汰任务或弄虚作假的地区，严格问责。"
Task 15: "2017年8月底前，全面完成燃煤茶炉大灶、经营性小煤炉淘汰取缔工作。"
Task 16: "淘汰燃煤锅炉方式主要包括取缔关闭、集中供热替代、煤改气、煤改电，改用地热、风能、太阳能，不包括
改燃洁净型煤、水煤浆、无烟煤、兰炭、绿焦、原油等，取缔关闭燃煤锅炉必须拆除烟囱或物理割断烟道，不具备复产
条件。各乡镇政府、街道办事处要对照清单，逐一销号。市工商质监部门对已淘汰的燃煤锅炉注销使用登记证 …"
Task 17: "新建天然气锅炉应采取低氮燃烧技术，城市建成区天然气锅炉逐步实施低氮燃烧技术改造。"

Each entry's deadline is the row's own (8-31 for tea and small commercial stoves, the list's date for
each boiler), not a constant of this module. The certificate's cancellation is a checklist item the
市工商质监局 (unit ``gszjj``, the task's cooperating unit) records on any entry, with the notice.

Lifecycle::

    registered ──start──► eliminating ──close_off (method's checks + certificate cancelled)──► eliminated
    registered ──retrofit (gas boilers: low-NOx burner, with a photo)──► retrofitted
    eliminated ──reopen (a revisit found it operating again)──► eliminating
    retrofitted ──revoke_retrofit (a check found no low-NOx burner)──► registered
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import Boolean, Date, Float, String, select
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
    overdue_rule,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column
from lantian.tabular.cells import name_key
from lantian.timeutil import CHINA_TZ

TYPES = {
    "coal_boiler": "燃煤锅炉",
    "tea_stove": "茶水炉/茶炉大灶",
    "small_stove": "经营性小煤炉",
    "gas_producer": "煤气发生炉",
    "gas_boiler": "天然气锅炉",
}
BoilerType = Literal["coal_boiler", "tea_stove", "small_stove", "gas_producer", "gas_boiler"]
#: The ways of eliminating a coal boiler task 16 allows.
METHODS = {
    "ban": "取缔关闭",
    "central_heating": "集中供热替代",
    "gas": "煤改气",
    "electric": "煤改电",
    "geothermal": "改用地热",
    "wind": "改用风能",
    "solar": "改用太阳能",
}
Method = Literal["ban", "central_heating", "gas", "electric", "geothermal", "wind", "solar"]
#: What task 16 says is *not* an elimination (a cell naming one is refused, saying so).
EXCLUDED_METHODS = {
    "briquette": "改燃洁净型煤",
    "coal_water_slurry": "水煤浆",
    "anthracite": "无烟煤",
    "semi_coke": "兰炭",
    "green_coke": "绿焦",
    "crude_oil": "原油",
}
#: Types that hold a 使用登记证 the 市工商质监局 cancels (stoves hold one only when a number is given).
CERTIFIED_TYPES = frozenset({"coal_boiler", "gas_producer", "gas_boiler"})
#: Types whose concealment after 10-01 is held to account (task 14 names these two).
ACCOUNTABLE_TYPES = frozenset({"coal_boiler", "gas_producer"})
#: The day from which task 14 holds concealed boilers and gas producers to account.
ACCOUNTABLE_FROM = date(2017, 10, 1)
CERTIFICATE_UNIT = "gszjj"

CLAUSE_14 = "任务14：排查出的燃煤锅炉、煤气发生炉要逐一登记，建立管理清单和台账"
CLAUSE_14_HIDDEN = (
    "任务14：2017年10月1日起，凡存在瞒报漏报燃煤锅炉、煤气发生炉，完不成淘汰任务或弄虚作假的地区，"
    "严格问责"
)
CLAUSE_15 = "任务15：2017年8月底前，全面完成燃煤茶炉大灶、经营性小煤炉淘汰取缔工作"
CLAUSE_16 = "任务16：确保纳入2017年度淘汰清单中的燃煤锅炉全部“清零” … 对照清单，逐一销号"
CLAUSE_16_METHODS = (
    "任务16：淘汰燃煤锅炉方式主要包括取缔关闭、集中供热替代、煤改气、煤改电，改用地热、风能、太阳能，"
    "不包括改燃洁净型煤、水煤浆、无烟煤、兰炭、绿焦、原油等"
)
CLAUSE_16_BAN = "任务16：取缔关闭燃煤锅炉必须拆除烟囱或物理割断烟道，不具备复产条件"
CLAUSE_16_CERTIFICATE = "任务16：市工商质监部门对已淘汰的燃煤锅炉注销使用登记证"
CLAUSE_17 = "任务17：新建天然气锅炉应采取低氮燃烧技术，城市建成区天然气锅炉逐步实施低氮燃烧技术改造"


class Boiler(RegisterRecord):
    __tablename__ = "src_boilers"
    __audit_type__ = "boiler"

    boiler_type: Mapped[str] = mapped_column(String(16), index=True)
    #: Rated capacity in tonnes of steam an hour (蒸吨/小时).
    capacity_tph: Mapped[float | None] = mapped_column(Float)
    #: On the 2017 elimination list (纳入2017年度淘汰清单, task 16).
    on_2017_list: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    #: How it is eliminated: one of :data:`METHODS` (never one of :data:`EXCLUDED_METHODS`).
    method: Mapped[str | None] = mapped_column(String(20))
    #: The 使用登记证 number (special-equipment registration) the 市工商质监局 cancels.
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    #: Found by an inspection, not declared by the township (瞒报漏报, task 14).
    found_by_inspection: Mapped[bool] = mapped_column(Boolean, default=False)
    found_on: Mapped[date | None] = mapped_column(Date)
    #: Gas boilers: a low-NOx burner (低氮燃烧, task 17); None: not stated.
    low_nox: Mapped[bool | None] = mapped_column(Boolean)
    new_build: Mapped[bool] = mapped_column(Boolean, default=False)
    built_up_area: Mapped[bool] = mapped_column(Boolean, default=False)
    operator: Mapped[str | None] = mapped_column(String(100))


def _excluded_refusal(label: str) -> str:
    allowed = "、".join(METHODS.values())
    return (
        f"「{label}」不是淘汰方式：{CLAUSE_16_METHODS}（可选：{allowed}）/ {label!r} is not a way of "
        "eliminating a coal boiler: task 16 excludes switching to briquettes, coal-water slurry, "
        "anthracite, semi-coke, green coke or crude oil"
    )


def _excluded_of(text: str) -> str | None:
    """The excluded method a text names (by key or label, or a label within it), or None."""
    key = name_key(text)
    for value, label in EXCLUDED_METHODS.items():
        if key == name_key(value) or name_key(label) in key:
            return value
    return None


class BoilerRow(RegisterRow):
    boiler_type: BoilerType
    capacity_tph: float | None = Field(default=None, ge=0, le=1000)
    on_2017_list: bool = False
    method: Method | None = None
    certificate_no: str | None = Field(default=None, max_length=64)
    found_by_inspection: bool = False
    found_on: date | None = None
    low_nox: bool | None = None
    new_build: bool = False
    built_up_area: bool = False
    operator: str | None = Field(default=None, max_length=100)

    @field_validator("method", mode="before")
    @classmethod
    def _refuse_excluded_methods(cls, value: Any) -> Any:
        """Task 16: switching fuels (型煤, 水煤浆, 无烟煤, 兰炭, 绿焦, 原油) is no elimination."""
        if isinstance(value, str):
            for key, label in METHODS.items():  # a form or an API body may send the label
                if name_key(value) in {name_key(label), name_key(f"{label}{key}")}:
                    return key
            excluded = _excluded_of(value)
            if excluded is not None:
                raise ValueError(_excluded_refusal(EXCLUDED_METHODS[excluded]))
        return value


@dataclass(frozen=True)
class MethodColumn(Column):
    """The method column: its drop-down offers task 16's methods only; a cell naming an excluded
    one reaches the row's validator, which refuses it citing task 16 (not a bare "one of")."""

    def choice_of(self, text: str) -> str | None:
        return super().choice_of(text) or _excluded_of(text)


CHIMNEY = ChecklistItem(
    "chimney_removed",
    "烟囱已拆除或烟道已物理割断",
    "chimney removed or flue cut",
    CLAUSE_16_BAN,
    True,
)
NOT_RESTORABLE = ChecklistItem(
    "not_restorable", "不具备复产条件", "cannot be put back into use", CLAUSE_16_BAN
)
NO_COAL = ChecklistItem(
    "no_coal", "现场无燃煤及燃煤设施", "no coal or coal burner on site", CLAUSE_16
)
SUBSTITUTE = ChecklistItem(
    "substitute_in_use",
    "替代能源已接通使用（集中供热、气、电等）",
    "the substitute (central heating, gas, power …) in use",
    CLAUSE_16_METHODS,
)
CERTIFICATE = ChecklistItem(
    "certificate_cancelled",
    "使用登记证已注销（市工商质监局）",
    "registration certificate cancelled (market and quality bureau)",
    CLAUSE_16_CERTIFICATE,
    evidence_required=True,
)
NOT_OPERATING = ChecklistItem("not_operating", "未恢复使用", "not operating again", CLAUSE_16_BAN)
LOW_NOX = ChecklistItem(
    "low_nox_burner", "采用低氮燃烧器", "low-NOx burner fitted", CLAUSE_17, evidence_required=True
)
CHECKLIST = (CHIMNEY, NOT_RESTORABLE, NO_COAL, SUBSTITUTE, CERTIFICATE, NOT_OPERATING, LOW_NOX)


def _needs_certificate(record: Any) -> bool:
    return record.boiler_type in CERTIFIED_TYPES or bool(record.certificate_no)


def _unchecked(item: ChecklistItem) -> Unmet:
    return (f"「{item.zh}」未核查合格", f"'{item.en}' not checked as done")


def _elimination_holds(facts: Facts) -> list[Unmet]:
    """Task 16: the method's proof, no coal left, and the certificate cancelled before 销号."""
    record: Any = facts.record
    unmet: list[Unmet] = []
    if record.method is None:
        return [("未填写淘汰方式", "no elimination method given")]
    if record.method == "ban":
        unmet.extend(unproven(facts, (CHIMNEY,)))
        if facts.latest(NOT_RESTORABLE.key) != "pass":
            unmet.append(_unchecked(NOT_RESTORABLE))
    elif facts.latest(SUBSTITUTE.key) != "pass":
        unmet.append(_unchecked(SUBSTITUTE))
    if facts.latest(NO_COAL.key) != "pass":
        unmet.append(_unchecked(NO_COAL))
    if _needs_certificate(record):
        unmet.extend(unproven(facts, (CERTIFICATE,)))
    return unmet


def _method_given(facts: Facts) -> list[Unmet]:
    record: Any = facts.record
    if record.boiler_type == "gas_boiler":
        return [
            ("天然气锅炉不在淘汰之列，应低氮改造", "a gas boiler is retrofitted, not eliminated")
        ]
    if record.method is None:
        return [("未填写淘汰方式", "no elimination method given")]
    return []


def _low_nox_fitted(facts: Facts) -> list[Unmet]:
    record: Any = facts.record
    if record.boiler_type != "gas_boiler":
        return [("只有天然气锅炉做低氮改造", "only a gas boiler is retrofitted with low NOx")]
    return unproven(facts, (LOW_NOX,))


LIFECYCLE = Lifecycle(
    states=(
        State("registered", "登记在册", "registered"),
        State("eliminating", "淘汰中", "being eliminated"),
        State("eliminated", "已淘汰销号", "eliminated, closed off", closed=True),
        State("retrofitted", "已低氮改造", "retrofitted with low NOx", closed=True),
    ),
    initial="registered",
    transitions=(
        step(
            "start",
            ("开始淘汰", "start eliminating"),
            {"registered"},
            "eliminating",
            KEEPERS,
            CLAUSE_16_METHODS,
            guard=_method_given,
        ),
        step(
            "close_off",
            ("淘汰销号", "close off"),
            {"eliminating"},
            "eliminated",
            KEEPERS,
            f"{CLAUSE_16}；{CLAUSE_16_BAN}；{CLAUSE_16_CERTIFICATE}",
            guard=_elimination_holds,
        ),
        step(
            "retrofit",
            ("低氮改造完成", "low-NOx retrofit done"),
            {"registered"},
            "retrofitted",
            KEEPERS,
            CLAUSE_17,
            guard=_low_nox_fitted,
        ),
        step(
            "reopen",
            ("重新整治", "reopen"),
            {"eliminated"},
            "eliminating",
            VERIFIERS,
            CLAUSE_16_BAN,
            note_required=True,
        ),
        step(
            "revoke_retrofit",
            ("撤销低氮改造认定", "revoke the retrofit"),
            {"retrofitted"},
            "registered",
            VERIFIERS,
            CLAUSE_17,
            note_required=True,
        ),
    ),
)


def _china_day(record: RegisterRecord) -> date:
    return record.created_at.astimezone(CHINA_TZ).date()


def _hidden(facts: Facts) -> Breach | None:
    """A coal boiler or gas producer found by inspection on or after 10-01 (瞒报漏报): task 14 holds
    the area to account. One case per entry (the rule is ``once``): the concealment happened once.
    """
    record: Any = facts.record
    if record.boiler_type not in ACCOUNTABLE_TYPES or not record.found_by_inspection:
        return None
    found = record.found_on or _china_day(record)
    if found < ACCOUNTABLE_FROM:
        return None

    return Breach(
        title=f"瞒报漏报{TYPES[record.boiler_type]}：{record.name}",
        description=f"{found} 排查发现未登记的{TYPES[record.boiler_type]} {record.key}，"
        "2017年10月1日起瞒报漏报严格问责 / a concealed coal boiler or gas producer found after "
        "2017-10-01: the area is held to account",
        observed_at=end_of_day(found),
        severity="major",
        accountability=True,
    )


def _operating_again(facts: Facts) -> Breach | None:
    """An eliminated boiler found operating at a check after its closing-off (不具备复产条件)."""
    record = facts.record
    if record.state != "eliminated":
        return None
    for check in facts.checks:
        if check.checked_at < record.state_since:
            break
        entry = (check.items or {}).get(NOT_OPERATING.key)
        if entry is not None and entry["result"] == "fail":
            return Breach(
                title=f"已淘汰锅炉恢复使用：{record.name}",
                description=f"{check.checked_at:%Y-%m-%d} 核查发现已销号的 {record.key} 恢复使用 / "
                "an eliminated boiler was found operating again",
                observed_at=check.checked_at,
                severity="major",
                accountability=True,
            )
    return None


def _new_gas_boiler_without_low_nox(facts: Facts) -> Breach | None:
    """Task 17: a new gas boiler without a low-NOx burner (declared so, or found so by a check)."""
    record: Any = facts.record
    if record.boiler_type != "gas_boiler" or not record.new_build:
        return None

    for check in facts.checks:
        entry = (check.items or {}).get(LOW_NOX.key)
        if entry is not None:
            if entry["result"] != "fail":
                return None
            observed = check.checked_at
            break
    else:
        if record.low_nox is not False:
            return None
        observed = end_of_day(_china_day(record))
    return Breach(
        title=f"新建天然气锅炉未采用低氮燃烧技术：{record.name}",
        description="新建天然气锅炉应采取低氮燃烧技术 / a new gas boiler must burn low-NOx",
        observed_at=observed,
        severity="serious",
    )


def _list_eliminated(session: Session) -> IndicatorValue:
    """Task 16's target: the share of the 2017 list's entries eliminated (entries off the list, e.g.
    boilers found later, do not count), with the register's counts by type behind it."""
    rows = session.execute(select(Boiler.boiler_type, Boiler.state, Boiler.on_2017_list)).all()
    built_up_gas = session.execute(
        select(Boiler.state, Boiler.low_nox).where(
            Boiler.boiler_type == "gas_boiler", Boiler.built_up_area.is_(True)
        )
    ).all()
    listed = [state for _, state, on_list in rows if on_list]
    eliminated = sum(1 for state in listed if state == "eliminated")
    registered = Counter(kind for kind, _, _ in rows)
    done = Counter(kind for kind, state, _ in rows if state == "eliminated")
    detail: list[tuple[str, float]] = [
        ("2017年度淘汰清单 在册 / on the 2017 list", float(len(listed))),
        ("2017年度淘汰清单 已淘汰销号 / on the list, eliminated", float(eliminated)),
    ]
    for key, zh in TYPES.items():
        detail.append((f"{zh} 登记 / {key} registered", float(registered[key])))
        detail.append((f"{zh} 已淘汰销号 / {key} eliminated", float(done[key])))
    detail.append(
        (
            "城市建成区天然气锅炉 低氮 / built-up-area gas boilers with low NOx (task 17)",
            float(sum(1 for state, low in built_up_gas if state == "retrofitted" or low)),
        )
    )
    detail.append(
        ("城市建成区天然气锅炉 登记 / built-up-area gas boilers", float(len(built_up_gas)))
    )
    return IndicatorValue(
        "boilers_on_2017_list_eliminated",
        round(100 * eliminated / len(listed), 1) if listed else None,
        len(listed),
        f"2017年度淘汰清单 {len(listed)} 台中已淘汰销号的比例",
        f"share of the {len(listed)} entries of the 2017 list eliminated and closed off",
        tuple(detail),
    )


def _sample(context: SampleContext) -> list[BoilerRow]:
    """A township's boiler sheet: boilers on the 2017 list with the list's dates, tea and small
    commercial stoves due 8-31 (task 15), a few gas producers and the gas boilers replacing them."""
    rng = context.rng
    trades = ("宾馆", "学校", "医院", "浴池", "饭店", "洗浴中心", "耐材厂", "食品厂", "机关")
    list_dates = (date(2017, 9, 30), date(2017, 10, 31), date(2017, 11, 15))
    rows: list[BoilerRow] = []
    number = 0
    for code, area_name in context.areas:
        counts: dict[BoilerType, int] = {
            "coal_boiler": rng.randint(2, 6),
            "tea_stove": rng.randint(2, 8),
            "small_stove": rng.randint(3, 10),
            "gas_producer": rng.randint(0, 2),
            "gas_boiler": rng.randint(0, 3),
        }
        for boiler_type, count in counts.items():
            for _ in range(count):
                number += 1
                on_list = boiler_type in {"coal_boiler", "gas_producer"} and rng.random() < 0.8
                stove = boiler_type in {"tea_stove", "small_stove"}
                method: Method | None = None
                if on_list or stove:
                    method = rng.choices(
                        ("ban", "central_heating", "gas", "electric", "geothermal", "solar"),
                        (5, 2, 4, 3, 1, 1),
                    )[0]
                deadline = date(2017, 8, 31) if stove else None
                if on_list:
                    deadline = rng.choice(list_dates)
                gas = boiler_type == "gas_boiler"
                rows.append(
                    BoilerRow(
                        key=f"GL-{code[-3:]}-{number:04d}",
                        name=f"示例{area_name}{rng.choice(trades)}{TYPES[boiler_type]}{number:04d}",
                        area_code=code,
                        unit_code="hbj",
                        address=f"{area_name}示例村",
                        longitude=round(113.2 + rng.random() * 0.35, 5),
                        latitude=round(34.4 + rng.random() * 0.2, 5),
                        deadline=deadline,
                        note="示例数据 / sample",
                        boiler_type=boiler_type,
                        capacity_tph=(
                            None if stove else round(rng.choice((0.5, 1, 2, 4, 6, 10)), 1)
                        ),
                        on_2017_list=on_list,
                        method=method,
                        certificate_no=(None if stove else f"锅豫A{rng.randint(10000, 99999)}(17)"),
                        low_nox=(rng.random() < 0.85) if gas else None,
                        new_build=gas and rng.random() < 0.5,
                        built_up_area=rng.random() < 0.3,
                        operator=f"示例{rng.choice(trades)}",
                    )
                )
    return rows


KIND = RegisterKind(
    key="boiler",
    zh="燃煤锅炉及小煤炉",
    en="coal boiler and stove",
    tasks=("14", "15", "16", "17"),
    model=Boiler,
    row=BoilerRow,
    columns=columns(
        Column(
            "boiler_type", "type", "类型", choices=TYPES, example="燃煤锅炉 coal_boiler", width=16
        ),
        Column(
            "capacity_tph",
            "capacity t/h",
            "额定容量（蒸吨/小时）",
            aliases=("蒸吨", "容量"),
            example="4",
            width=10,
        ),
        Column(
            "on_2017_list",
            "on 2017 list",
            "列入2017年淘汰清单",
            aliases=("淘汰清单",),
            example="是",
            width=10,
        ),
        MethodColumn(
            "method",
            "method",
            "淘汰方式",
            choices=METHODS,
            example="煤改气 gas",
            note_zh="不包括改燃洁净型煤、水煤浆、无烟煤、兰炭、绿焦、原油等（任务16）",
            note_en="switching to briquettes, slurry, anthracite, semi-coke, green coke or crude "
            "oil is no elimination (task 16)",
            width=14,
        ),
        Column(
            "certificate_no",
            "certificate no",
            "使用登记证编号",
            aliases=("登记证编号",),
            example="锅豫A12345(17)",
        ),
        Column(
            "found_by_inspection",
            "found by inspection",
            "排查新发现（瞒报漏报）",
            example="否",
            width=10,
        ),
        Column("found_on", "found on", "发现日期", example="", width=12),
        Column("low_nox", "low NOx", "低氮燃烧", note_zh="天然气锅炉填写", example="", width=10),
        Column("new_build", "new build", "新建", example="否", width=8),
        Column("built_up_area", "built-up area", "城市建成区", example="否", width=10),
        Column("operator", "operator", "使用单位", aliases=("联系人",), example="某宾馆"),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule("hidden", "瞒报漏报", "concealed after 10-01", CLAUSE_14_HIDDEN, _hidden, once=True),
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=f"{CLAUSE_15}；{CLAUSE_16}",
            title=lambda record: f"{TYPES[record.boiler_type]}逾期未淘汰：{record.name}",
            label=("逾期未淘汰", "not eliminated by the deadline"),
        ),
        Rule(
            "operating_again",
            "淘汰后恢复使用",
            "operating again after elimination",
            CLAUSE_16_BAN,
            _operating_again,
        ),
        Rule(
            "gas_boiler_low_nox",
            "新建天然气锅炉未低氮",
            "new gas boiler without low NOx",
            CLAUSE_17,
            _new_gas_boiler_without_low_nox,
        ),
    ),
    indicators=(Indicator("boilers_on_2017_list_eliminated", _list_eliminated),),
    sample=_sample,
    list_fields=("boiler_type", "capacity_tph", "on_2017_list", "method"),
    filter_fields=("boiler_type", "method"),
    order=14,
    notes=(
        (
            "茶水炉、经营性小煤炉的完成时限填 2017-08-31（任务15）；锅炉填淘汰清单上的时限。",
            "Tea and small commercial stoves are due 2017-08-31 (task 15); boilers the list's date.",
        ),
        (
            "使用登记证的注销由市工商质监局在平台上核查记录（附注销文书）。",
            "The market and quality bureau records the certificate's cancellation with the notice.",
        ),
    ),
    cooperating={CERTIFICATE_UNIT: frozenset({CERTIFICATE.key})},
)
