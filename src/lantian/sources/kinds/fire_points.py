"""Straw and open burning: fire points (秸秆禁烧火点, plan task 34).

Task 34: "强化各乡镇政府、街道办事处、尖山风景区管委秸秆禁烧主体责任，建立网格化监管制度。从2017年9月起，
在秋收阶段开展秸秆禁烧专项巡查。实行严格问责 … 充分利用卫星遥感等手段密切监测各地秸秆禁烧情况 …
对重污染天气预警期间出现秸秆焚烧的，一律严肃问责。" Annex: "全面禁止秸秆露天焚烧。建立秸秆禁烧网格化
监管机制，加强督导检查，建立问责、通报、曝光机制。"

One entry is one fire point: found by a satellite (the CSV of an active-fire service in the NASA
FIRMS layout — ``latitude, longitude, acq_date, acq_time`` (HHMM UTC), ``satellite``,
``instrument``, ``confidence`` (VIIRS ``l/n/h``, MODIS 0–100), ``frp``, ``daynight`` — imported as
it is, its other columns ignored) or by a patrol (a row of the template with 发现时间). A point
without a township code is located by the plan's township polygons (``townships.geojson``); a point
outside them is set aside (reported by the import, not filed). A satellite point's key is made of
its satellite, time and position, so a re-import of the same file adds nothing.

The township's grid (网格) answers for every point in it: the points of one township and one China
day share one inspection case (rule ``burning``, grouped by township and day), whose description
lists the day's points. A point during a heavy-pollution warning in force for its township
(:func:`lantian.warnings.service.level_in_force`) is marked for accountability (一律严肃问责).

Lifecycle::

    found ──confirm (on the spot, with a photo: burning)──► confirmed ──deal (fire out, with a photo)──► dealt
      └────dismiss (on the spot, with a photo: a false alarm, e.g. a factory's flare)──► false_alarm
    false_alarm ──reopen (the office disagrees)──► found

A false alarm counts in no township's fire points; the plan gives no time limit for the check on the
spot, so a point's deadline is the day after it was seen unless the file gives one (the share
checked in time is computed against it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import Date, Float, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.db.base import UtcDateTime
from lantian.errors import Invalid
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord, SourceEvent
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    Indicator,
    IndicatorValue,
    RegisterKind,
    Rule,
    SampleContext,
    SetAside,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column, read_table
from lantian.timeutil import CHINA_TZ

if TYPE_CHECKING:
    from lantian.plan import Plan

SOURCES = {"satellite": "卫星遥感", "patrol": "巡查发现"}
Source = Literal["satellite", "patrol"]
DAYNIGHT = {"D": "白天", "N": "夜间"}
#: VIIRS confidence classes (FIRMS): low, nominal, high.
VIIRS_CONFIDENCE = {"l": "low", "n": "nominal", "h": "high"}
CLAUSE = (
    "任务34：建立网格化监管制度 … 充分利用卫星遥感等手段密切监测各地秸秆禁烧情况，对未监管到位造成"
    "区域环境影响的，严格追究相关乡镇政府、街道办事处及相关部门主要负责人责任"
)
CLAUSE_WARNING = "任务34：对重污染天气预警期间出现秸秆焚烧的，一律严肃问责"
CLAUSE_BAN = "附件：全面禁止秸秆露天焚烧。建立秸秆禁烧网格化监管机制，加强督导检查"
#: The plan gives no time limit for checking a point on the spot: the day after it was seen is
#: the platform's default deadline (a file may give each point its own 完成时限).
VERIFY_WITHIN = timedelta(days=1)
#: The most points a case's description lists (the register's list shows them all).
LISTED_POINTS = 30


class FirePoint(RegisterRecord):
    __tablename__ = "src_fire_points"
    __audit_type__ = "fire_point"

    source: Mapped[str] = mapped_column(String(10))
    #: When it was seen (UTC); ``observed_on`` is that instant's day in China time.
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    observed_on: Mapped[date] = mapped_column(Date, index=True)
    acq_date: Mapped[date | None] = mapped_column(Date)
    acq_time: Mapped[str | None] = mapped_column(String(4))
    satellite: Mapped[str | None] = mapped_column(String(20))
    instrument: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[str | None] = mapped_column(String(10))
    frp: Mapped[float | None] = mapped_column(Float)
    daynight: Mapped[str | None] = mapped_column(String(1))


def _china(moment: datetime) -> datetime:
    return moment.astimezone(CHINA_TZ)


class FirePointRow(RegisterRow):
    """A fire point as a file, a form or an API body gives it: a satellite product's row (key, name
    and township derived) or a patrol's row."""

    key: str | None = Field(  # type: ignore[assignment]
        default=None, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$"
    )
    name: str | None = Field(default=None, max_length=200)  # type: ignore[assignment]
    area_code: str | None = Field(default=None, pattern=r"^\d{9}$")  # type: ignore[assignment]
    source: Source | None = None
    observed_at: datetime | None = None
    observed_on: date | None = None
    acq_date: date | None = None
    acq_time: str | None = Field(default=None, pattern=r"^\d{1,4}$")
    satellite: str | None = Field(default=None, max_length=20)
    instrument: str | None = Field(default=None, max_length=20)
    confidence: str | None = Field(default=None, max_length=10)
    frp: float | None = Field(default=None, ge=0, le=1e6)
    daynight: Literal["D", "N"] | None = None

    @model_validator(mode="after")
    def _derived(self) -> FirePointRow:
        if self.longitude is None or self.latitude is None:
            raise ValueError(
                "火点须有经度和纬度（据此定位到乡镇）/ a fire point needs its longitude and "
                "latitude (they locate it to its township)"
            )
        if self.acq_date is not None:
            if self.acq_time is None:
                raise ValueError(
                    "有过境日期 acq_date 时须有过境时间 acq_time（HHMM，UTC）/ acq_date needs "
                    "acq_time (HHMM, UTC)"
                )
            clock_time = self.acq_time.zfill(4)
            hours, minutes = int(clock_time[:2]), int(clock_time[2:])
            if hours > 23 or minutes > 59:
                raise ValueError(f"过境时间 {self.acq_time} 不是 HHMM / acq_time is not HHMM")
            self.acq_time = clock_time
            self.observed_at = datetime.combine(self.acq_date, time(hours, minutes), tzinfo=UTC)
        elif self.observed_at is not None:
            if self.observed_at.tzinfo is None:  # people write China time
                self.observed_at = self.observed_at.replace(tzinfo=CHINA_TZ)
            self.observed_at = self.observed_at.astimezone(UTC)
        else:
            raise ValueError(
                "须填写发现时间，或卫星过境日期 acq_date 和时间 acq_time / give the time it was "
                "seen, or the satellite's acq_date and acq_time"
            )
        if self.source is None:
            self.source = "satellite" if (self.satellite or self.instrument) else "patrol"
        self.confidence = _confidence(self.instrument, self.confidence)
        seen = _china(self.observed_at)
        self.observed_on = seen.date()
        if self.key is None:
            sensor = re.sub(r"[^0-9A-Za-z]", "", self.satellite or self.instrument or "")[:8]
            prefix = f"FP-{sensor or 'X'}" if self.source == "satellite" else "FP-PATROL"
            self.key = (
                f"{prefix}-{self.observed_at:%Y%m%d%H%M}-{self.latitude:.4f}_{self.longitude:.4f}"
            )
        if self.name is None:
            what = "卫星火点" if self.source == "satellite" else "巡查发现火点"
            sensor_name = f" {self.instrument}" if self.instrument else ""
            self.name = f"{what}{sensor_name} {seen:%Y-%m-%d %H:%M}"
        if self.deadline is None:
            self.deadline = self.observed_on + VERIFY_WITHIN
        return self


def _confidence(instrument: str | None, value: str | None) -> str | None:
    """FIRMS confidence as the instrument gives it: VIIRS l/n/h, MODIS 0–100."""
    if value is None:
        return None
    sensor = (instrument or "").upper()
    text = value.strip().lower()
    if sensor == "VIIRS":
        word = {"low": "l", "nominal": "n", "high": "h"}.get(text, text)
        if word not in VIIRS_CONFIDENCE:
            raise ValueError(
                f"VIIRS 置信度应为 l/n/h，而非 {value!r} / VIIRS confidence must be l, n or h"
            )
        return word
    if sensor == "MODIS":
        if not text.isdigit() or not 0 <= int(text) <= 100:
            raise ValueError(
                f"MODIS 置信度应为 0–100，而非 {value!r} / MODIS confidence must be 0–100"
            )
        return str(int(text))
    return value.strip()


def locate(row: Any, plan: Plan) -> FirePointRow:
    """The row with its township: the code it gives, else the plan's polygon the point lies in.

    A point outside every township polygon is set aside (not filed, reported by the import)."""
    if row.area_code is not None:
        return row  # type: ignore[no-any-return]
    if plan.townships is None:
        raise Invalid(
            "乡镇代码为空，且计划没有乡镇范围文件 townships.geojson，无法定位 / no township code, and "
            "the plan has no townships.geojson to locate the point",
            field="area_code",
        )
    code = plan.townships.township_at(row.longitude, row.latitude)
    if code is None:
        raise SetAside(
            f"火点（{row.longitude}, {row.latitude}）不在本市任何乡镇范围内，未登记 / the point "
            f"({row.longitude}, {row.latitude}) lies outside the city's townships: not filed"
        )
    return row.model_copy(update={"area_code": code})  # type: ignore[no-any-return]


# --- field checks and lifecycle ----------------------------------------------------------------

ON_SPOT = ChecklistItem(
    "on_spot", "到场核查并拍照", "checked on the spot, with a photo", CLAUSE, True
)
BURNING = ChecklistItem(
    "no_burning",
    "现场无焚烧（误报，如工厂火炬、光伏板反光）",
    "no burning on the spot (a false alarm: a factory's flare, solar panels)",
    CLAUSE,
)
PUT_OUT = ChecklistItem(
    "put_out", "明火扑灭、过火地块清理", "fire put out, the burnt plot cleared", CLAUSE_BAN, True
)
CHECKLIST = (ON_SPOT, BURNING, PUT_OUT)


def _confirmed(facts: Facts) -> list[Unmet]:
    unmet = unproven(facts, (ON_SPOT,))
    if facts.latest(BURNING.key) != "fail":
        unmet.append(
            ("核查未确认存在焚烧（「现场无焚烧」应为不合格）", "the check did not find burning")
        )
    return unmet


def _false_alarm(facts: Facts) -> list[Unmet]:
    unmet = unproven(facts, (ON_SPOT,))
    if facts.latest(BURNING.key) != "pass":
        unmet.append(("核查未确认现场无焚烧", "the check did not find the spot free of burning"))
    return unmet


def _dealt(facts: Facts) -> list[Unmet]:
    return unproven(facts, (PUT_OUT,))


CHECKERS = KEEPERS | VERIFIERS
LIFECYCLE = Lifecycle(
    states=(
        State("found", "待核查", "found, to be checked"),
        State("confirmed", "确认焚烧", "burning confirmed"),
        State("dealt", "已处置", "dealt with", closed=True),
        State("false_alarm", "误报", "false alarm", closed=True),
    ),
    initial="found",
    transitions=(
        step(
            "confirm",
            ("核实为焚烧", "confirm burning"),
            {"found"},
            "confirmed",
            CHECKERS,
            CLAUSE,
            guard=_confirmed,
        ),
        step(
            "dismiss",
            ("核实为误报", "a false alarm"),
            {"found"},
            "false_alarm",
            CHECKERS,
            CLAUSE,
            guard=_false_alarm,
            note_required=True,
        ),
        step(
            "deal",
            ("处置完毕", "dealt with"),
            {"confirmed"},
            "dealt",
            CHECKERS,
            CLAUSE_BAN,
            guard=_dealt,
        ),
        step(
            "reopen",
            ("重新核查", "check again"),
            {"false_alarm"},
            "found",
            OFFICE_ROLES | {"inspector"},
            CLAUSE,
            note_required=True,
        ),
    ),
)

# --- the case of a township's day ---------------------------------------------------------------


def grid_day(record: Any) -> str:
    """The group of a point's case: its township and its day in China time (网格 · 日)."""
    return f"{record.area_code}:{record.observed_on}"


def _context(session: Session, record: RegisterRecord) -> Mapping[str, Any]:
    """The warning level in force for the point's township when it was seen, and the points of
    the same township and day (what the case lists)."""
    from lantian.plan import plan_in_force
    from lantian.warnings.service import level_in_force

    point: Any = record
    try:
        levels: list[str] = plan_in_force().level_keys()
    except Exception:  # a missing plan must not stop a register: the order is only for ranking
        levels = []
    level = level_in_force(session, point.area_code, point.observed_at, levels)
    same_day = session.scalars(
        select(FirePoint)
        .where(
            FirePoint.area_code == point.area_code,
            FirePoint.observed_on == point.observed_on,
            FirePoint.state != "false_alarm",
        )
        .order_by(FirePoint.observed_at, FirePoint.key)
    ).all()
    return {
        "warning": level,
        "day_points": [
            (p.key, _china(p.observed_at).strftime("%H:%M"), p.longitude, p.latitude, p.confidence)
            for p in same_day
        ],
    }


def _burning(facts: Facts) -> Breach | None:
    """A fire point not found to be a false alarm: its township's case of the day."""
    record: Any = facts.record
    if record.state == "false_alarm":
        return None
    names = facts.plan.area_names() if facts.plan is not None else {}
    township = names.get(record.area_code, record.area_code)
    warning = facts.context.get("warning")
    points = list(facts.context.get("day_points", ()))
    listed = "\n".join(
        f"- {key} {at} ({lon:.4f}, {lat:.4f}) 置信度 {confidence or '-'}"
        for key, at, lon, lat, confidence in points[:LISTED_POINTS]
    )
    more = f"\n… 另有 {len(points) - LISTED_POINTS} 个" if len(points) > LISTED_POINTS else ""
    during = f"（{warning}预警期间，一律严肃问责）" if warning else ""
    return Breach(
        title=f"秸秆焚烧火点{during}：{township} {record.observed_on}",
        description=(
            f"{township} {record.observed_on}（中国时间）发现火点 {len(points)} 个，由网格核查处置 / "
            f"{len(points)} fire point(s) in {record.area_code} on {record.observed_on} (China "
            f"time), for the township's grid to check and deal with"
            + (f"\n重污染天气{warning}预警期间 / during a {warning} warning" if warning else "")
            + f"\n{listed}{more}\n台账 / register: /sources/fire_point?area={record.area_code}"
            f"&observed_on={record.observed_on}"
        ),
        observed_at=record.observed_at,
        severity="major" if warning else "serious",
        deadline=datetime.combine(record.deadline, time(23, 59, 59), tzinfo=CHINA_TZ).astimezone(
            UTC
        )
        if record.deadline is not None
        else None,
        accountability=bool(warning),
    )


# --- indicators ---------------------------------------------------------------------------------


def _points_by_township_month(session: Session) -> IndicatorValue:
    """Fire points (false alarms left out) per township and month: the plan bans all burning."""
    rows = session.execute(
        select(FirePoint.area_code, FirePoint.observed_on).where(FirePoint.state != "false_alarm")
    ).all()
    total_records = session.scalar(select(func.count()).select_from(FirePoint)) or 0
    counts: dict[tuple[str, str], int] = {}
    for area_code, day in rows:
        key = (str(area_code), f"{day:%Y-%m}")
        counts[key] = counts.get(key, 0) + 1
    from lantian.plan import plan_in_force

    try:
        names = plan_in_force().area_names()
    except Exception:  # the names are a courtesy of the detail rows
        names = {}
    detail = tuple(
        (f"{names.get(code, code)} {code} {month}", float(n))
        for (code, month), n in sorted(counts.items())
    )
    return IndicatorValue(
        "straw_burning_fire_points",
        float(len(rows)),
        int(total_records),
        f"台账 {total_records} 个火点中除误报外的火点数（按乡镇、月份列出）",
        f"fire points other than false alarms, of {total_records} registered (by township and "
        "month)",
        detail,
    )


def _checked_in_time(session: Session) -> IndicatorValue:
    """The share of points checked on the spot (confirmed or dismissed) by their deadline."""
    points = session.execute(select(FirePoint.id, FirePoint.deadline, FirePoint.area_code)).all()
    checked: dict[int, datetime] = {}
    for record_id, at in session.execute(
        select(SourceEvent.record_id, SourceEvent.at).where(
            SourceEvent.kind == KIND_KEY, SourceEvent.event.in_(("confirm", "dismiss"))
        )
    ):
        checked[int(record_id)] = min(checked.get(int(record_id), at), at)
    by_area: dict[str, list[int]] = {}
    in_time = 0
    for record_id, deadline, area_code in points:
        seen = checked.get(int(record_id))
        ok = seen is not None and (deadline is None or _china(seen).date() <= deadline)
        in_time += int(ok)
        tally = by_area.setdefault(str(area_code), [0, 0])
        tally[0] += int(ok)
        tally[1] += 1
    total = len(points)
    return IndicatorValue(
        "straw_fire_points_checked_in_time",
        round(100 * in_time / total, 1) if total else None,
        total,
        f"{total} 个火点中在完成时限内到场核查（确认或误报）的比例",
        f"share of {total} fire points checked on the spot (confirmed or dismissed) by their "
        "deadline",
        tuple((code, round(100 * done / n, 1)) for code, (done, n) in sorted(by_area.items()) if n),
    )


# --- map and sample -----------------------------------------------------------------------------


def townships_geojson(plan: Plan) -> dict[str, Any] | None:
    """The plan's township polygons for the register's map (None: the plan has none)."""
    if plan.townships is None:
        return None
    return plan.townships.model_dump(mode="json", exclude_none=True)


#: The demo's satellite points: a made-up CSV in the FIRMS layout (tools/make_fire_sample.py).
SAMPLE_CSV = Path(__file__).resolve().parent.parent / "data" / "fire_points_firms_sample.csv"


def _sample(context: SampleContext) -> list[FirePointRow]:
    """The points of the shipped sample CSV (2017 autumn harvest), marked 示例数据; those outside
    the city are set aside when they are saved, as an import would."""
    read = read_table(SAMPLE_CSV, KIND.spec)
    read.raise_if_problems()
    return [row.value.model_copy(update={"note": "示例数据 / sample"}) for row in read.rows]


KIND_KEY = "fire_point"

KIND = RegisterKind(
    key=KIND_KEY,
    zh="秸秆焚烧火点",
    en="straw-burning fire point",
    tasks=("34",),
    model=FirePoint,
    row=FirePointRow,
    columns=columns(
        Column("source", "source", "来源", choices=SOURCES, example="卫星遥感 satellite", width=12),
        Column(
            "observed_at",
            "observed at",
            "发现时间",
            aliases=("observed_at",),
            example="2017-10-15 13:36",
            note_zh="巡查发现时填写（中国时间）；卫星火点由过境日期和时间得出",
            note_en="a patrol's time (China time); a satellite point's comes from acq_date/acq_time",
            width=18,
        ),
        Column(
            "observed_on",
            "observed on",
            "发现日期",
            example="2017-10-15",
            note_zh="由发现时间得出（中国时间的日期），可不填；同一乡镇同一天的火点为一个案件",
            note_en="derived from the time seen (its China-time day); one case per township and day",
            width=12,
        ),
        Column("acq_date", "acq_date", "过境日期(UTC)", example="2017-10-15", width=12),
        Column(
            "acq_time",
            "acq_time",
            "过境时间(UTC,HHMM)",
            example="0536",
            note_zh="FIRMS 的 acq_time：UTC 时分，如 0536",
            note_en="FIRMS acq_time: UTC hours and minutes, e.g. 0536",
            width=10,
        ),
        Column("satellite", "satellite", "卫星", example="N", width=8),
        Column("instrument", "instrument", "传感器", example="VIIRS", width=8),
        Column(
            "confidence",
            "confidence",
            "置信度",
            example="n",
            note_zh="VIIRS：l/n/h（低/标称/高）；MODIS：0–100",
            note_en="VIIRS: l/n/h (low/nominal/high); MODIS: 0–100",
            width=8,
        ),
        Column("frp", "frp", "火辐射功率(MW)", example="3.2", width=10),
        Column("daynight", "daynight", "昼夜", choices=DAYNIGHT, example="D", width=6),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "burning",
            "秸秆焚烧火点（网格当日案件）",
            "fire points (the grid's case of the day)",
            CLAUSE,
            _burning,
            once=True,
            group=grid_day,
        ),
    ),
    indicators=(
        Indicator("straw_burning_fire_points", _points_by_township_month),
        Indicator("straw_fire_points_checked_in_time", _checked_in_time),
    ),
    sample=_sample,
    list_fields=("observed_at", "source", "instrument", "confidence"),
    filter_fields=("source", "observed_on"),
    order=34,
    context=_context,
    map_layer=townships_geojson,
    complete=locate,
    notes=(
        (
            "可直接导入卫星火点服务（NASA FIRMS）的 CSV：其 latitude、longitude、acq_date、acq_time、"
            "satellite、instrument、confidence、frp、daynight 列按原样读取，其余列忽略；编号、名称和"
            "乡镇由平台生成（乡镇按计划的 townships.geojson 定位），本市范围外的火点只报告、不登记。",
            "A satellite service's CSV (NASA FIRMS layout) imports as it is: its latitude, "
            "longitude, acq_date, acq_time, satellite, instrument, confidence, frp and daynight "
            "columns are read, the others ignored; key, name and township are derived (the "
            "township from the plan's townships.geojson), points outside the city are reported, "
            "not filed.",
        ),
        (
            "巡查发现的火点填写发现时间（中国时间）和经纬度；完成时限为空时取发现次日（计划未规定核查时限）。",
            "A patrol's point gives its time (China time) and position; an empty deadline is the "
            "day after (the plan sets no time limit for the check).",
        ),
    ),
)
