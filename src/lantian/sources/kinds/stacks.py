"""Stacks and their CEMS (排气筒/排放口台账, plan task 21).

Task 21: "在 2017 年 10 月底前，全面排查排气口高度超过 45 米的高架源，全部安装自动监控设施，电力、水泥、
玻璃、有色、砖瓦企业和燃煤锅炉均应安装自动监控设施，做到全覆盖、无遗漏，加强自动监控设施运营维护，数据
传输有效率达到 90%。对超标排放企业实施即超即罚 …"

One entry is one outlet (排放口), keyed by its outlet code, of an enterprise of the emission
inventory (统一社会信用代码), with the MN of its HJ 212 data logger (a ``devices`` row: saving the
stack writes the outlet code into the device's ``source_code``, so the receiver's transmission
rates name the outlet), its height, its sector (a key of the plan's ``emission_limits.toml``), the
limit set it is held to and the pollutants its CEMS measures. The hourly judgement of its data
(即超即罚, 按日计罚, 挂牌督办) is :mod:`lantian.cems`.

Lifecycle::

    surveyed ──install_cems (MN given)──► installed ──accept_online (acceptance checked with a
        photo)──► online
    online ──report_outage (note)──► suspended ──restore──► online
    any ──remove (note: demolished or merged)──► removed
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field
from sqlalchemy import Float, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.kinds._industry import (
    CREDIT_CODE_COLUMN,
    SAMPLE_NOTE,
    CreditCode,
    area_name,
    inventory_enterprises,
    place,
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
    Panel,
    RegisterKind,
    Rule,
    SampleContext,
    end_of_day,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column
from lantian.timeutil import CHINA_TZ

KEY = "stacks"
CLAUSE_COVERAGE = (
    "任务21：在 2017 年 10 月底前，全面排查排气口高度超过 45 米的高架源，全部安装自动监控设施，电力、"
    "水泥、玻璃、有色、砖瓦企业和燃煤锅炉均应安装自动监控设施，做到全覆盖、无遗漏"
)
CLAUSE_OPERATION = "任务21：加强自动监控设施运营维护，数据传输有效率达到 90%"
CLAUSE_LIST = "保障措施：2017年10月18日前报送排气筒高度超过45米的高架源清单"
TARGET_ELEVATED = "elevated_sources_with_cems"
TARGET_COVERAGE = "cems_coverage"
TARGET_TRANSMISSION = "cems_valid_transmission_rate"
#: The day task 21's CEMS must be installed by (2017 年 10 月底).
COVERAGE_DEADLINE = date(2017, 10, 31)
#: The day the list of elevated sources was due (保障措施：2017年10月18日前报送 …高架源清单).
LIST_DEADLINE = date(2017, 10, 18)

#: The sectors of the default plan's emission_limits.toml (a city adds its own there).
SECTORS = {
    "power": "火电",
    "cement": "水泥",
    "glass": "玻璃",
    "nonferrous": "有色",
    "brick": "砖瓦",
    "coal_boiler": "燃煤锅炉",
    "gas_boiler": "燃气锅炉",
    "carbon": "炭素",
    "other": "其他",
}
Sector = Literal[
    "power",
    "cement",
    "glass",
    "nonferrous",
    "brick",
    "coal_boiler",
    "gas_boiler",
    "carbon",
    "other",
]
FUELS = {"coal": "煤", "oil": "油", "gas": "天然气", "biomass": "生物质", "none": "无（工艺排放）"}
Fuel = Literal["coal", "oil", "gas", "biomass", "none"]
LIMIT_SETS = {"standard": "标准限值", "special": "特别排放限值", "ultra_low": "超低排放限值"}
LimitSet = Literal["standard", "special", "ultra_low"]
#: Pollutants a stack's CEMS measures (HJ 212-2017 codes) and the names a sheet may use.
POLLUTANT_NAMES = {"a34013": "烟尘", "a21026": "二氧化硫", "a21002": "氮氧化物"}
_POLLUTANT_WORDS = {
    **{code: code for code in POLLUTANT_NAMES},
    **{name: code for code, name in POLLUTANT_NAMES.items()},
    "颗粒物": "a34013",
    "SO2": "a21026",
    "NOX": "a21002",
    "01": "a34013",
    "02": "a21026",
    "03": "a21002",
}
#: States in which the stack has a working CEMS.
WORKING = frozenset({"online"})


def parse_pollutants(text: str | None) -> list[str]:
    """The pollutant codes of a ``pollutants`` cell (codes or names, separated by ``,`` ``、``)."""
    found: list[str] = []
    for word in (text or "").replace("、", ",").replace("，", ",").replace(";", ",").split(","):
        word = word.strip()
        if not word:
            continue
        code = _POLLUTANT_WORDS.get(word) or _POLLUTANT_WORDS.get(word.upper())
        if code is None:
            raise ValueError(
                f"污染物「{word}」未知（可选 烟尘、二氧化硫、氮氧化物 或其编码）/ unknown pollutant "
                f"{word!r} (smoke dust, SO2, NOx or their HJ 212 codes)"
            )
        if code not in found:
            found.append(code)
    return found


def _normalised_pollutants(text: str | None) -> str:
    codes = parse_pollutants(text) or list(POLLUTANT_NAMES)
    return ",".join(codes)


def _mn(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > 32 or not value.isascii() or not value.isprintable() or ";" in value:
        raise ValueError("MN 应为 1–32 个可打印 ASCII 字符 / MN must be 1-32 printable ASCII")
    return value


class Stack(RegisterRecord):
    __tablename__ = "src_stacks"
    __audit_type__ = "stack"

    #: The enterprise of the emission inventory (``emission_enterprises.credit_code``).
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    #: MN of the HJ 212 data logger of the stack's CEMS (``devices.mn``), None before one is fitted.
    device_mn: Mapped[str | None] = mapped_column(String(32), index=True)
    height_m: Mapped[float] = mapped_column(Float)
    #: A sector key of the plan's emission_limits.toml.
    sector: Mapped[str] = mapped_column(String(20))
    fuel: Mapped[str | None] = mapped_column(String(10))
    limit_set: Mapped[str] = mapped_column(String(10))
    #: HJ 212 codes of the pollutants the CEMS measures, comma-separated.
    pollutants: Mapped[str] = mapped_column(String(100))


class StackRow(RegisterRow):
    credit_code: Annotated[str, CreditCode]
    device_mn: Annotated[str | None, AfterValidator(_mn)] = None
    height_m: float = Field(gt=0, le=400)
    sector: Sector
    fuel: Fuel | None = None
    limit_set: LimitSet = "standard"
    pollutants: Annotated[str | None, AfterValidator(_normalised_pollutants)] = Field(
        default=None, max_length=100, validate_default=True
    )


def covered(record: Any, elevated_height_m: float, required_sectors: frozenset[str]) -> bool:
    """Whether task 21 wants a working CEMS on the stack: higher than the elevated-source height
    (45 m) or of a sector the task names (电力、水泥、玻璃、有色、砖瓦、燃煤锅炉)."""
    return float(record.height_m) > elevated_height_m or record.sector in required_sectors


def coverage_terms(plan: Any) -> tuple[float, frozenset[str]]:
    """The elevated-source height and the sectors needing CEMS from the plan's limits file."""
    limits = getattr(plan, "emission_limits", None)
    if limits is None:
        return 45.0, frozenset({"power", "cement", "glass", "nonferrous", "brick", "coal_boiler"})
    return (
        limits.elevated_height_m,
        frozenset(key for key, sector in limits.sectors.items() if sector.cems_required),
    )


def _mn_given(facts: Facts) -> list[Unmet]:
    if not getattr(facts.record, "device_mn", None):
        return [("未填写数采仪 MN", "no data-logger MN given")]
    return []


#: The acceptance of the CEMS on site (验收): the report or the analyser cabinet photographed.
ACCEPTED = ChecklistItem(
    "cems_accepted",
    "自动监控设施验收合格并联网",
    "CEMS accepted and its data logger online",
    CLAUSE_COVERAGE,
    evidence_required=True,
)
#: Whether the outlet's sampling port and the CEMS run as installed (运营维护).
RUNNING = ChecklistItem(
    "cems_running", "自动监控设施正常运行", "CEMS running as installed", CLAUSE_OPERATION
)


def _accepted(facts: Facts) -> list[Unmet]:
    return _mn_given(facts) + unproven(facts, [ACCEPTED])


LIFECYCLE = Lifecycle(
    states=(
        State("surveyed", "已排查", "surveyed"),
        State("installed", "已安装自动监控", "CEMS installed"),
        State("online", "已验收联网", "accepted and online", closed=True),
        State("suspended", "自动监控停运", "CEMS out of service"),
        State("removed", "已拆除", "removed", closed=True),
    ),
    initial="surveyed",
    transitions=(
        step(
            "install_cems",
            ("安装自动监控设施", "install the CEMS"),
            {"surveyed"},
            "installed",
            KEEPERS,
            CLAUSE_COVERAGE,
            guard=_mn_given,
        ),
        step(
            "accept_online",
            ("验收联网", "accept and put online"),
            {"installed"},
            "online",
            VERIFIERS,
            CLAUSE_COVERAGE,
            guard=_accepted,
        ),
        step(
            "report_outage",
            ("报告停运（故障、检修）", "report an outage (fault, repair)"),
            {"online"},
            "suspended",
            KEEPERS,
            CLAUSE_OPERATION,
            note_required=True,
        ),
        step(
            "restore",
            ("恢复运行", "restore"),
            {"suspended"},
            "online",
            VERIFIERS,
            CLAUSE_OPERATION,
        ),
        step(
            "remove",
            ("拆除或合并", "remove (demolished or merged)"),
            {"surveyed", "installed", "online", "suspended"},
            "removed",
            OFFICE_ROLES,
            CLAUSE_COVERAGE,
            note_required=True,
        ),
    ),
)


def _admit(session: Session, plan: Any, row: StackRow) -> list[tuple[str, str]]:
    """The stack is judged against the plan's limits: its sector must be in the plan's
    emission_limits.toml with a limit of its limit set for every pollutant it monitors."""
    limits = getattr(plan, "emission_limits", None)
    if limits is None:
        return [
            (
                "sector",
                "计划没有排放限值文件 emission_limits.toml / the plan has no emission limits",
            )
        ]
    sector = limits.sectors.get(row.sector)
    if sector is None:
        return [
            (
                "sector",
                f"计划的排放限值中没有行业 {row.sector} / the plan's limits have no sector "
                f"{row.sector!r}",
            )
        ]
    missing = [
        code
        for code in (row.pollutants or "").split(",")
        if code and limits.limit(row.sector, row.limit_set, code) is None
    ]
    if missing:
        names = "、".join(POLLUTANT_NAMES.get(code, code) for code in missing)
        return [
            (
                "limit_set",
                f"{sector.name}（{sector.standard}）没有{LIMIT_SETS[row.limit_set]}的{names}限值 / "
                f"the plan sets no {row.limit_set} limit for {', '.join(missing)} in {row.sector}",
            )
        ]
    return []


def _no_cems(facts: Facts) -> Breach | None:
    """A covered stack without a working CEMS after task 21's deadline (2017-10-31)."""
    record = facts.record
    if facts.today <= COVERAGE_DEADLINE or record.state in WORKING or record.state == "removed":
        return None
    height, sectors = coverage_terms(facts.plan_in_force())
    if not covered(record, height, sectors):
        return None
    state = LIFECYCLE.state(record.state)
    return Breach(
        title=f"排气筒未安装自动监控或未联网：{record.name}（{record.key}）",
        description=f"高 {record.height_m:g} m，行业 {SECTORS.get(record.sector, record.sector)}，"  # type: ignore[attr-defined]
        f"当前「{state.zh}」；期限 {COVERAGE_DEADLINE} / stack without a working CEMS after "
        f"{COVERAGE_DEADLINE} ({state.en})",
        observed_at=end_of_day(COVERAGE_DEADLINE),
        severity="serious",
    )


def _listed_late(facts: Facts) -> Breach | None:
    """An elevated stack (> 45 m) first entered after the list of 10-18 was due: it was missing
    from the list the township owed (safeguard: 2017年10月18日前报送排气筒高度超过45米的高架源清单)."""
    record = facts.record
    height, _ = coverage_terms(facts.plan_in_force())
    entered = record.created_at.astimezone(CHINA_TZ).date()
    if float(record.height_m) <= height or entered <= LIST_DEADLINE:  # type: ignore[attr-defined]
        return None
    return Breach(
        title=f"高架源未列入10月18日清单：{record.name}（{record.key}）",
        description=f"高 {record.height_m:g} m，{entered} 才登记，清单应于 {LIST_DEADLINE} "  # type: ignore[attr-defined]
        f"前报送 / elevated stack entered on {entered}, after the list due {LIST_DEADLINE}",
        observed_at=end_of_day(entered),
    )


def _share(session: Session, key: str, which: str, zh: str, en: str) -> IndicatorValue:
    from lantian.plan import plan_in_force

    height, sectors = coverage_terms(plan_in_force())
    records = [
        record
        for record in session.scalars(select(Stack).where(Stack.state != "removed"))
        if (record.height_m > height if which == "elevated" else covered(record, height, sectors))
    ]
    total = Counter(str(r.area_code) for r in records)
    done = Counter(str(r.area_code) for r in records if r.state in WORKING)
    count = sum(total.values())
    working = sum(done.values())
    return IndicatorValue(
        key,
        round(100.0 * working / count, 1) if count else None,
        count,
        f"{zh} {count} 个，已安装自动监控并联网 {working} 个",
        f"{working} of {count} {en} have a working CEMS (by township, %)",
        tuple((area, round(100.0 * done[area] / total[area], 1)) for area in sorted(total)),
    )


def _elevated(session: Session) -> IndicatorValue:
    return _share(
        session, TARGET_ELEVATED, "elevated", "排气口高度超过45米的高架源", "elevated stacks"
    )


def _coverage(session: Session) -> IndicatorValue:
    return _share(
        session,
        TARGET_COVERAGE,
        "covered",
        "应安装自动监控的排气筒（高架源及电力、水泥、玻璃、有色、砖瓦、燃煤锅炉）",
        "stacks task 21 covers",
    )


def _transmission(session: Session) -> IndicatorValue:
    """Last month's valid transmission rate of every outlet (task 21: ≥ 90 %); the value is the
    lowest outlet's (each outlet must reach it, never averaged away)."""
    from lantian.cems.judge import monthly_rates, previous_month

    month = previous_month()
    rates = monthly_rates(session, month)
    values = [(row.outlet, row.valid_rate) for row in rates]
    low = min((rate for _, rate in values), default=None)
    below = sum(1 for _, rate in values if rate < 90.0)
    return IndicatorValue(
        TARGET_TRANSMISSION,
        low,
        len(values),
        f"{month:%Y-%m} 联网排放口 {len(values)} 个，有效传输率最低 {low if low is not None else '—'}%，"
        f"低于 90% 的 {below} 个",
        f"{month:%Y-%m}: {len(values)} outlets online, lowest valid transmission rate "
        f"{low if low is not None else '—'} %, {below} below 90 %",
        tuple(sorted(values)),
    )


def _panels(session: Session, record: RegisterRecord) -> list[Panel]:
    from lantian.cems.judge import stack_panels

    return stack_panels(session, record)


#: Inventory industries (:mod:`lantian.emissions.synthetic`) → the sector of the limits file.
_SECTOR_OF = {
    "power": "power",
    "cement": "cement",
    "cement_grinding": "other",
    "brick_kiln": "brick",
    "ceramics": "other",
    "refractory": "other",
    "carbon": "carbon",
    "nonferrous_secondary": "nonferrous",
    "glass": "glass",
}
_HEIGHTS = {"power": (120, 210), "cement": (60, 105), "brick": (25, 45), "glass": (50, 80)}


def _sample(context: SampleContext) -> list[StackRow]:
    """One or two outlets per inventory enterprise of the CEMS sectors (at most 40), most of them
    online, a few surveyed only — the shape of a township's list of 10-18."""
    rng = context.rng
    areas = dict(context.areas)
    rows: list[StackRow] = []
    enterprises = [
        e for e in inventory_enterprises(context, frozenset(_SECTOR_OF)) if e[2] in areas
    ]
    for number, (code, name, area, industry) in enumerate(enterprises[:40], start=1):
        sector = _SECTOR_OF[industry]
        low, high = _HEIGHTS.get(sector, (15, 40))
        for outlet in range(1, 2 + (sector in ("power", "cement"))):
            longitude, latitude = place(rng)
            rows.append(
                StackRow(
                    key=f"PK-{area[-3:]}-{number:03d}-{outlet:02d}",
                    name=f"{name} {outlet}# 排气筒",
                    area_code=area,
                    unit_code="hbj",
                    address=f"{area_name(context, area)}示例工业园",
                    longitude=longitude,
                    latitude=latitude,
                    deadline=COVERAGE_DEADLINE,
                    note=SAMPLE_NOTE,
                    credit_code=code,
                    device_mn=f"LD410183{number:04d}{outlet:02d}",
                    height_m=float(rng.randint(low, high)),
                    sector=sector,  # type: ignore[arg-type]
                    fuel="coal" if sector in ("power", "coal_boiler", "brick") else "none",
                    limit_set="ultra_low"
                    if sector == "power"
                    else ("standard" if sector in ("glass", "carbon", "other") else "special"),
                    pollutants="a34013,a21026" if sector == "carbon" else "a34013,a21026,a21002",
                )
            )
    return rows


def _link_device(session: Session, actor: str, entry: Any) -> None:
    """The device of the stack names the outlet (``devices.source_code``): the receiver's
    transmission rates and the judgement find the outlet by it."""
    from lantian.cems.judge import link_device

    link_device(session, entry)


KIND = RegisterKind(
    key=KEY,
    zh="排气筒及自动监控",
    en="stacks and CEMS",
    tasks=("21",),
    model=Stack,
    row=StackRow,
    columns=columns(
        CREDIT_CODE_COLUMN,
        Column(
            "device_mn",
            "data logger MN",
            "数采仪MN",
            aliases=("MN", "设备MN", "数采仪编号"),
            example="LD410183000101",
        ),
        Column("height_m", "height (m)", "排气筒高度(m)", aliases=("高度",), example="80"),
        Column("sector", "sector", "行业", choices=SECTORS, example="水泥 cement"),
        Column("fuel", "fuel", "燃料", choices=FUELS, example="煤 coal"),
        Column(
            "limit_set",
            "limit set",
            "执行限值",
            choices=LIMIT_SETS,
            example="特别排放限值 special",
        ),
        Column(
            "pollutants",
            "pollutants monitored",
            "监测污染物",
            example="烟尘,二氧化硫,氮氧化物",
            note_zh="烟尘、二氧化硫、氮氧化物（或 a34013、a21026、a21002），逗号分隔；空白为三项",
            note_en="smoke dust, SO2, NOx (or their codes), comma-separated; empty: all three",
            width=24,
        ),
    ),
    lifecycle=LIFECYCLE,
    rules=(
        Rule(
            "listed_late",
            "高架源清单逾期报送",
            "elevated stack missing from the list of 10-18",
            CLAUSE_LIST,
            _listed_late,
            once=True,
        ),
        Rule(
            "no_cems",
            "未安装自动监控或未联网",
            "no working CEMS on a covered stack",
            CLAUSE_COVERAGE,
            _no_cems,
        ),
    ),
    indicators=(
        Indicator(TARGET_ELEVATED, _elevated),
        Indicator(TARGET_COVERAGE, _coverage),
        Indicator(TARGET_TRANSMISSION, _transmission),
    ),
    sample=_sample,
    list_fields=("credit_code", "device_mn", "height_m", "sector", "limit_set"),
    filter_fields=("sector", "limit_set"),
    order=21,
    notes=(
        (
            "每行一个排放口（编号为排放口编码）；统一社会信用代码须为排放清单中的企业；行业决定"
            "排放标准、基准含氧量和限值（计划文件 emission_limits.toml）。",
            "One outlet per row (the key is the outlet code); the credit code must name an "
            "enterprise of the emission inventory; the sector selects the standard, reference O2 "
            "and limits (the plan's emission_limits.toml).",
        ),
    ),
    checklist=(ACCEPTED, RUNNING),
    panels=_panels,
    pages=(("/cems", "自动监控总览", "CEMS overview"),),
    admit=_admit,
    after_change=_link_device,
    enterprise_field="credit_code",
)
