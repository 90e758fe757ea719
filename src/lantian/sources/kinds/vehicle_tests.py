"""Vehicle emission test records (机动车排放检测记录, plan task 23): remote sensing (遥感监测), roadside
checks (路检路查) and checks where vehicles park (停放地抽检).

Task 23(2): "超标重型柴油车（3.5吨以上）由环保部门依法处罚，其他超标车辆（3.5吨以下）及冒黑烟车由公安交通
管理部门依法处罚；并由公安交通管理部门全部劝返。" — the entry's responsible unit is set by that rule
(:func:`responsible_unit`), whatever a file says, and the case its breach opens goes to that unit.
Task 23(3): "要溯源车辆制造企业、排放检验机构、所属运输企业、注册登记地、行驶途经地等" — the tracing fields;
the testing agencies named by exceeding vehicles are ranked on each agency's page
(:mod:`lantian.sources.kinds.testing_agencies`).

The verdict is the file's; a row without one is judged against the HJ 845-2017 limits of the
settings (``LANTIAN_VEHICLE_*``; the values are UNCONFIRMED, spec/standards.md §8).

Besides its template, the import accepts the remote-sensing vendor's own CSV export
(:data:`VENDOR_LAYOUT`, GBK or UTF-8): its rows are located to their township by the site's
coordinates (the plan's ``townships.geojson``).

Lifecycle::

    recorded ──deal (依法处罚 + 劝返 recorded; exceeding only)──► dealt_with
             └─file (合格; passing only)──► filed
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import UtcDateTime
from lantian.errors import Invalid
from lantian.plan import Plan
from lantian.sources.lifecycle import KEEPERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    Layout,
    RegisterKind,
    Rule,
    SampleContext,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column, TableSpec
from lantian.timeutil import CHINA_TZ

METHODS = {"remote_sensing": "遥感监测", "roadside": "路检路查", "parking": "停放地抽检"}
Method = Literal["remote_sensing", "roadside", "parking"]
FUELS = {"diesel": "柴油", "petrol": "汽油", "gas": "天然气", "other": "其他"}
Fuel = Literal["diesel", "petrol", "gas", "other"]
VERDICTS = {"pass": "合格", "exceed": "超标", "black_smoke": "冒黑烟"}
Verdict = Literal["pass", "exceed", "black_smoke"]
#: Task 23(2): the gross weight above which an exceeding diesel vehicle is "heavy" (3.5 t).
HEAVY_TONNES = 3.5
#: The environment bureau and the traffic police (公安交通管理部门) of the plan's units.
ENVIRONMENT_BUREAU = "hbj"
TRAFFIC_POLICE = "gaj"

CLAUSE_NETWORK = "任务23(1)：建成互联互通、共管共享的遥感监测网络，全面筛查超标排放车辆"
CLAUSE_ROUTING = (
    "任务23(2)：超标重型柴油车（3.5吨以上）由环保部门依法处罚，其他超标车辆（3.5吨以下）及冒黑烟车"
    "由公安交通管理部门依法处罚；并由公安交通管理部门全部劝返"
)
CLAUSE_TRACING = (
    "任务23(3)：对于通过路检路查、停放地抽检和遥感监测等排放检验发现的超标排放车辆，要溯源车辆制造企业、"
    "排放检验机构、所属运输企业、注册登记地、行驶途经地等"
)


class VehicleTest(RegisterRecord):
    __tablename__ = "src_vehicle_tests"
    __audit_type__ = "vehicle_test"

    plate: Mapped[str] = mapped_column(String(16), index=True)
    tested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    method: Mapped[str] = mapped_column(String(16))
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    opacity_pct: Mapped[float | None] = mapped_column(Float)
    absorption_m1: Mapped[float | None] = mapped_column(Float)
    no_ppm: Mapped[float | None] = mapped_column(Float)
    ringelmann: Mapped[int | None] = mapped_column(Integer)
    fuel: Mapped[str] = mapped_column(String(10))
    gross_weight_t: Mapped[float | None] = mapped_column(Float)
    vehicle_type: Mapped[str | None] = mapped_column(String(40))
    verdict: Mapped[str] = mapped_column(String(12), index=True)
    maker: Mapped[str | None] = mapped_column(String(100))
    testing_agency: Mapped[str | None] = mapped_column(String(100), index=True)
    haulier: Mapped[str | None] = mapped_column(String(200))
    registered_in: Mapped[str | None] = mapped_column(String(100))
    route: Mapped[str | None] = mapped_column(String(300))


def _in_china_time(value: datetime) -> datetime:
    """A time written without a zone is China time (sheets and vendors write local time)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TZ)
    return value.astimezone(UTC)


class VehicleTestRow(RegisterRow):
    plate: str = Field(min_length=2, max_length=16)
    tested_at: datetime
    method: Method
    speed_kmh: float | None = Field(default=None, ge=0, le=200)
    opacity_pct: float | None = Field(default=None, ge=0, le=100)
    absorption_m1: float | None = Field(default=None, ge=0, le=50)
    no_ppm: float | None = Field(default=None, ge=0, le=10000)
    ringelmann: int | None = Field(default=None, ge=0, le=5)
    fuel: Fuel
    gross_weight_t: float | None = Field(default=None, gt=0, le=100)
    vehicle_type: str | None = Field(default=None, max_length=40)
    #: Empty: judged against the HJ 845 limits of the settings (:func:`judged`).
    verdict: Verdict | None = None
    maker: str | None = Field(default=None, max_length=100)
    testing_agency: str | None = Field(default=None, max_length=100)
    haulier: str | None = Field(default=None, max_length=200)
    registered_in: str | None = Field(default=None, max_length=100)
    route: str | None = Field(default=None, max_length=300)

    @field_validator("tested_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _in_china_time(value)


# --- limits, verdict, routing ------------------------------------------------------------------


def limits() -> dict[str, float]:
    """The HJ 845-2017 remote-sensing limits in force (settings ``LANTIAN_VEHICLE_*``; UNCONFIRMED
    values of spec/standards.md §8: opacity 30 %, light absorption 1.2 m⁻¹, NO 1500 ppm,
    Ringelmann class 1)."""
    from lantian.config import get_settings

    settings = get_settings()
    return {
        "opacity_pct": settings.vehicle_opacity_limit_pct,
        "absorption_m1": settings.vehicle_absorption_limit_m1,
        "no_ppm": settings.vehicle_no_limit_ppm,
        "ringelmann": float(settings.vehicle_ringelmann_limit),
    }


def judged(row: VehicleTestRow, limit: dict[str, float]) -> Verdict:
    """The verdict of a measurement without one: black smoke at the Ringelmann limit, exceeding
    when the opacity, the light absorption or NO is above its limit, else a pass."""
    if row.ringelmann is not None and row.ringelmann >= limit["ringelmann"]:
        return "black_smoke"
    for name in ("opacity_pct", "absorption_m1", "no_ppm"):
        value = getattr(row, name)
        if value is not None and value > limit[name]:
            return "exceed"
    return "pass"


def responsible_unit(verdict: str, fuel: str, gross_weight_t: float | None) -> str:
    """Who deals with a tested vehicle (task 23(2)): an exceeding diesel vehicle above 3.5 t the
    environment bureau; other exceeding vehicles and black smoke the traffic police; a passing
    vehicle stays with the environment bureau, which runs the remote-sensing network (23(1))."""
    if verdict == "black_smoke":
        return TRAFFIC_POLICE
    if verdict == "exceed":
        heavy_diesel = fuel == "diesel" and (gross_weight_t or 0) > HEAVY_TONNES
        return ENVIRONMENT_BUREAU if heavy_diesel else TRAFFIC_POLICE
    return ENVIRONMENT_BUREAU


def complete(row: Any, plan: Plan) -> VehicleTestRow:
    """The row with its verdict (judged when empty) and its unit set by the routing rule.

    An exceeding diesel vehicle without its gross weight cannot be routed: refused."""
    assert isinstance(row, VehicleTestRow)
    verdict = row.verdict or judged(row, limits())
    if verdict == "exceed" and row.fuel == "diesel" and row.gross_weight_t is None:
        raise Invalid(
            "超标柴油车须填总质量（t），据此确定由环保部门还是公安交通管理部门查处 / an exceeding "
            "diesel vehicle needs its gross weight (t): it decides who deals with it (task 23(2))",
            field="gross_weight_t",
        )
    unit = responsible_unit(verdict, row.fuel, row.gross_weight_t)
    return row.model_copy(update={"verdict": verdict, "unit_code": unit})


# --- lifecycle, checklist, rules ---------------------------------------------------------------

PENALISED = ChecklistItem("penalised", "依法处罚", "penalised as the law says", CLAUSE_ROUTING)
TURNED_BACK = ChecklistItem("turned_back", "劝返", "turned back", CLAUSE_ROUTING)
TRACED = ChecklistItem("traced", "已溯源并通报", "traced and reported", CLAUSE_TRACING)
CHECKLIST = (PENALISED, TURNED_BACK, TRACED)


def _exceeding(record: Any) -> bool:
    return getattr(record, "verdict", "pass") in ("exceed", "black_smoke")


def _deal_holds(facts: Facts) -> list[Unmet]:
    unmet: list[Unmet] = []
    if not _exceeding(facts.record):
        unmet.append(("合格车辆无需查处", "a passing vehicle is not dealt with"))
    for item in (PENALISED, TURNED_BACK):  # 23(2): penalised, and every one turned back
        if facts.latest(item.key) != "pass":
            unmet.append((f"尚未登记「{item.zh}」", f"'{item.en}' not recorded as done"))
    return unmet


def _file_holds(facts: Facts) -> list[Unmet]:
    if _exceeding(facts.record):
        return [("超标车辆须依法查处，不能归档", "an exceeding vehicle is dealt with, not filed")]
    return []


LIFECYCLE = Lifecycle(
    states=(
        State("recorded", "已登记", "recorded"),
        State("dealt_with", "已查处", "dealt with", closed=True),
        State("filed", "合格归档", "filed (passed)", closed=True),
    ),
    initial="recorded",
    transitions=(
        step(
            "deal",
            ("依法查处", "deal with"),
            {"recorded"},
            "dealt_with",
            KEEPERS,
            CLAUSE_ROUTING,
            guard=_deal_holds,
            note_required=True,
        ),
        step(
            "file",
            ("合格归档", "file"),
            {"recorded"},
            "filed",
            KEEPERS,
            CLAUSE_NETWORK,
            guard=_file_holds,
        ),
    ),
)


def _exceeding_vehicle(facts: Facts) -> Breach | None:
    """An exceeding or black-smoke vehicle: one case for the unit the routing chose."""
    record = facts.record
    assert isinstance(record, VehicleTest)
    if not _exceeding(record):
        return None
    what = VERDICTS[record.verdict]
    who = "市环保局" if record.unit_code == ENVIRONMENT_BUREAU else "市公安局（公安交通管理部门）"
    tracing = "；".join(
        f"{label}：{value}"
        for label, value in (
            ("车辆制造企业", record.maker),
            ("排放检验机构", record.testing_agency),
            ("所属运输企业", record.haulier),
            ("注册登记地", record.registered_in),
            ("行驶途经地", record.route),
        )
        if value
    )
    measured = "，".join(
        f"{label} {value}"
        for label, value in (
            ("不透光烟度 %", record.opacity_pct),
            ("光吸收系数 m⁻¹", record.absorption_m1),
            ("NO ppm", record.no_ppm),
            ("林格曼黑度", record.ringelmann),
        )
        if value is not None
    )
    return Breach(
        title=f"{what}车辆：{record.plate}（{METHODS.get(record.method, record.method)}）",
        description=f"{record.tested_at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M} 于 "
        f"{record.address or '-'} 检测{what}（{measured or '-'}），"
        f"{FUELS.get(record.fuel, record.fuel)}，总质量 {record.gross_weight_t or '-'} t，"
        f"由{who}依法处罚并劝返。溯源 / tracing: {tracing or '-'}",
        observed_at=record.tested_at,
        severity="serious",
    )


# --- the remote-sensing vendor's own export ----------------------------------------------------


class VendorRemoteSensingRow(BaseModel):
    """One row of the remote-sensing vendor's CSV export (遥感监测数据导出), as the vendor names
    its columns; :func:`from_vendor` maps it onto a :class:`VehicleTestRow`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    serial: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$")
    plate: str = Field(min_length=2, max_length=16)
    plate_colour: str | None = Field(default=None, max_length=8)
    tested_at: datetime
    site: str = Field(min_length=1, max_length=300)
    longitude: float = Field(ge=-180, le=180)
    latitude: float = Field(ge=-90, le=90)
    speed_kmh: float | None = Field(default=None, ge=0, le=200)
    opacity_pct: float | None = Field(default=None, ge=0, le=100)
    absorption_m1: float | None = Field(default=None, ge=0, le=50)
    no_ppm: float | None = Field(default=None, ge=0, le=10000)
    ringelmann: int | None = Field(default=None, ge=0, le=5)
    fuel: Fuel
    gross_weight_kg: float | None = Field(default=None, gt=0, le=100000)
    vehicle_type: str | None = Field(default=None, max_length=40)
    result: Verdict | None = None
    maker: str | None = Field(default=None, max_length=100)
    testing_agency: str | None = Field(default=None, max_length=100)
    haulier: str | None = Field(default=None, max_length=200)
    registered_in: str | None = Field(default=None, max_length=100)
    route: str | None = Field(default=None, max_length=300)

    @field_validator("tested_at", mode="before")
    @classmethod
    def _vendor_time(cls, value: Any) -> Any:
        # The vendor writes 2017/10/15 08:30:12 (China time).
        return value.replace("/", "-") if isinstance(value, str) else value

    @field_validator("tested_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _in_china_time(value)

    @model_validator(mode="after")
    def _measured(self) -> VendorRemoteSensingRow:
        if all(
            getattr(self, name) is None
            for name in ("opacity_pct", "absorption_m1", "no_ppm", "ringelmann")
        ):
            raise ValueError(
                "无有效测量值（不透光烟度、光吸收系数、NO、林格曼黑度均为空）/ no valid measurement"
            )
        return self


VENDOR_COLUMNS = (
    Column("serial", "serial", "检测流水号", aliases=("流水号", "记录编号")),
    Column("plate", "plate", "车牌号码", aliases=("号牌号码", "车牌号")),
    Column("plate_colour", "plate colour", "车牌颜色", aliases=("号牌颜色",)),
    Column("tested_at", "time", "检测时间", aliases=("监测时间",)),
    Column("site", "site", "检测地点", aliases=("点位名称", "监测点位")),
    Column("longitude", "longitude", "经度"),
    Column("latitude", "latitude", "纬度"),
    Column("speed_kmh", "speed", "车速", aliases=("速度",)),
    Column("opacity_pct", "opacity", "不透光烟度", aliases=("烟度",)),
    Column("absorption_m1", "absorption", "光吸收系数"),
    Column("no_ppm", "NO", "NO浓度", aliases=("NO", "一氧化氮")),
    Column("ringelmann", "Ringelmann", "林格曼黑度", aliases=("林格曼",)),
    Column("fuel", "fuel", "燃料种类", aliases=("燃料类型",), choices=FUELS),
    Column("gross_weight_kg", "gross weight", "总质量", aliases=("总质量kg",)),
    Column("vehicle_type", "vehicle type", "车辆类型"),
    Column(
        "result",
        "result",
        "检测结果",
        aliases=("判定结果",),
        choices={"pass": "合格", "exceed": "超标", "black_smoke": "黑烟"},
    ),
    Column("maker", "maker", "车辆生产企业", aliases=("制造企业", "生产企业")),
    Column("testing_agency", "testing agency", "排放检验机构", aliases=("检验机构",)),
    Column("haulier", "haulier", "所属运输企业", aliases=("所属企业", "运输企业")),
    Column("registered_in", "registered in", "注册登记地", aliases=("注册地", "登记地")),
    Column("route", "route", "行驶途经地", aliases=("途经地",)),
)


def from_vendor(row: Any, plan: Plan) -> VehicleTestRow:
    """A vendor row as a test record: the serial is the key, the site's coordinates locate the
    township (the plan's ``townships.geojson``), the gross weight turns from kg into t."""
    assert isinstance(row, VendorRemoteSensingRow)
    if plan.townships is None:
        raise Invalid(
            "计划没有乡镇范围文件 townships.geojson，无法按坐标定位乡镇 / the plan has no "
            "townships.geojson to locate the site",
            field="longitude",
        )
    code = plan.townships.township_at(row.longitude, row.latitude)
    if code is None:
        raise Invalid(
            f"检测点位（{row.longitude}, {row.latitude}）不在本市任何乡镇范围内 / the site "
            f"({row.longitude}, {row.latitude}) lies outside the city's townships",
            field="longitude",
        )
    return VehicleTestRow(
        key=row.serial,
        name=f"{row.plate} 遥感监测",
        area_code=code,
        address=row.site,
        longitude=row.longitude,
        latitude=row.latitude,
        note=f"车牌颜色 {row.plate_colour}" if row.plate_colour else "",
        plate=row.plate,
        tested_at=row.tested_at,
        method="remote_sensing",
        speed_kmh=row.speed_kmh,
        opacity_pct=row.opacity_pct,
        absorption_m1=row.absorption_m1,
        no_ppm=row.no_ppm,
        ringelmann=row.ringelmann,
        fuel=row.fuel,
        gross_weight_t=None if row.gross_weight_kg is None else row.gross_weight_kg / 1000,
        vehicle_type=row.vehicle_type,
        verdict=row.result,
        maker=row.maker,
        testing_agency=row.testing_agency,
        haulier=row.haulier,
        registered_in=row.registered_in,
        route=row.route,
    )


VENDOR_LAYOUT = Layout(
    "remote_sensing_vendor",
    "遥感监测厂商导出文件",
    "remote-sensing vendor export",
    TableSpec(VendorRemoteSensingRow, VENDOR_COLUMNS, title="遥感监测数据 / remote sensing"),
    from_vendor,
    reported_as={
        "key": "serial",
        "name": "plate",
        "gross_weight_t": "gross_weight_kg",
        "verdict": "result",
        "area_code": "longitude",
    },
)


# --- sample ------------------------------------------------------------------------------------

#: Three remote-sensing sites on the freight roads into the city (inside the plan's townships).
SITES = (
    ("S316 省道来集段遥感点", 113.45, 34.50),
    ("G207 国道曲梁段遥感点", 113.52, 34.45),
    ("郑少高速新密出口遥感点", 113.30, 34.60),
)
#: The testing agencies of :mod:`lantian.sources.kinds.testing_agencies`' sample, by name.
SAMPLE_AGENCIES = (
    "新密市安达机动车检测有限公司",
    "新密市通畅机动车检测服务有限公司",
    "郑州市宏远机动车检测有限公司",
    "新密市金鑫机动车安全技术检测有限公司",
    "登封市顺达机动车检测站",
)
MAKERS = ("中国重型汽车集团", "陕西汽车集团", "一汽解放", "东风商用车", "北汽福田")
HAULIERS = ("新密市顺通物流有限公司", "新密市鑫源运输有限公司", "郑州宏达货运有限公司", "个体")


def _sample(context: SampleContext) -> list[VehicleTestRow]:
    rng = context.rng
    limit = limits()
    townships = context.plan.townships if context.plan is not None else None
    fallback = context.areas[0][0] if context.areas else "410183100"
    rows = []
    for number in range(1, 61):
        site, longitude, latitude = rng.choice(SITES)
        area = (townships.township_at(longitude, latitude) if townships else None) or fallback
        month = rng.choice((10, 11, 12))
        tested_at = datetime(
            2017, month, rng.randint(1, 28), rng.randint(6, 21), rng.randint(0, 59)
        )
        heavy = rng.random() < 0.7
        fuel: Fuel = "diesel" if heavy or rng.random() < 0.3 else "petrol"
        dirty = rng.random() < 0.2
        plate = f"豫A{rng.randint(10000, 99999)}"
        row = VehicleTestRow(
            key=f"YG-2017{month:02d}-{number:04d}",
            name=f"{plate} 遥感监测",
            area_code=area,
            address=site,
            longitude=longitude,
            latitude=latitude,
            note="示例数据 / sample",
            plate=plate,
            tested_at=tested_at,
            method="remote_sensing",
            speed_kmh=round(rng.uniform(25, 70), 1),
            opacity_pct=round(rng.uniform(35, 70) if dirty else rng.uniform(2, 25), 1)
            if fuel == "diesel"
            else None,
            no_ppm=round(rng.uniform(100, 2200 if dirty else 1200)),
            ringelmann=(1 if dirty and rng.random() < 0.3 else 0) if fuel == "diesel" else None,
            fuel=fuel,
            gross_weight_t=round(rng.uniform(12, 49), 1)
            if heavy
            else round(rng.uniform(1.5, 3.5), 2),
            vehicle_type="重型半挂牵引车" if heavy else "轻型厢式货车",
            maker=rng.choice(MAKERS),
            testing_agency=rng.choice(SAMPLE_AGENCIES),
            haulier=rng.choice(HAULIERS),
            registered_in=rng.choice(("郑州市", "新密市", "平顶山市", "许昌市")),
            route="S316 省道—新密市区",
        )
        rows.append(row.model_copy(update={"verdict": judged(row, limit)}))
    return rows


KIND = RegisterKind(
    key="vehicle_test",
    zh="机动车排放检测记录",
    en="vehicle emission test",
    tasks=("23",),
    model=VehicleTest,
    row=VehicleTestRow,
    columns=columns(
        Column("plate", "plate", "车牌号码", aliases=("号牌号码", "车牌号"), example="豫A12345"),
        Column(
            "tested_at",
            "tested at",
            "检测时间",
            example="2017-10-15 08:30",
            number_format="yyyy-mm-dd hh:mm",
        ),
        Column("method", "method", "检测方式", choices=METHODS, example="遥感监测 remote_sensing"),
        Column("speed_kmh", "speed (km/h)", "车速（km/h）", example="45"),
        Column("opacity_pct", "opacity (%)", "不透光烟度（%）", example="12.5"),
        Column("absorption_m1", "light absorption (m-1)", "光吸收系数（m⁻¹）", example=""),
        Column("no_ppm", "NO (ppm)", "NO浓度（ppm）", example="800"),
        Column("ringelmann", "Ringelmann", "林格曼黑度", example="0"),
        Column("fuel", "fuel", "燃料种类", choices=FUELS, example="柴油 diesel"),
        Column("gross_weight_t", "gross weight (t)", "总质量（t）", example="31"),
        Column("vehicle_type", "vehicle type", "车辆类型", example="重型半挂牵引车"),
        Column(
            "verdict",
            "verdict",
            "检测结论",
            choices=VERDICTS,
            example="超标 exceed",
            note_zh="空：按 HJ 845 限值判定",
            note_en="empty: judged against the HJ 845 limits",
        ),
        Column("maker", "maker", "车辆制造企业", example="某汽车集团"),
        Column("testing_agency", "testing agency", "排放检验机构", example="某机动车检测有限公司"),
        Column("haulier", "haulier", "所属运输企业", example="某物流有限公司"),
        Column("registered_in", "registered in", "注册登记地", example="郑州市"),
        Column("route", "route", "行驶途经地", example="S316—新密市区"),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "exceeding",
            "超标排放车辆",
            "vehicle exceeding the limits",
            CLAUSE_ROUTING,
            _exceeding_vehicle,
            once=True,
        ),
    ),
    sample=_sample,
    list_fields=("plate", "tested_at", "method", "verdict", "unit_code"),
    filter_fields=("method", "verdict", "fuel"),
    order=23,
    notes=(
        (
            "责任单位按任务23(2)自动确定：超标重型柴油车（3.5吨以上）为市环保局，其他超标车辆及冒黑烟车为"
            "市公安局；也可直接导入遥感监测厂商的 CSV 导出文件。",
            "The responsible unit follows task 23(2) (heavy diesel above 3.5 t: the environment "
            "bureau; other exceeding vehicles and black smoke: the traffic police); the remote-"
            "sensing vendor's own CSV export is accepted as it is.",
        ),
    ),
    complete=complete,
    layouts=(VENDOR_LAYOUT,),
)
