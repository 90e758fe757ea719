"""Construction sites and their dust control (施工工地扬尘, plan task 28), and the contractor
blacklist (扬尘污染“黑名单”).

Task 28: "各类工地要做到工地周边围挡、物料堆放覆盖、土方开挖湿法作业、路面硬化、出入车辆清洗、渣土车辆
密闭运输“六个百分之百”；1 万平方米以上施工工地全部安装在线监测和视频监控，并与建设部门联网；落实施工
工地“三员管理”；严格落实扬尘污染“一票停工”制，对各类施工工地达不到以上要求的，一律实行停工整治；严格
落实扬尘污染“黑名单”制度 … 各类长距离的市政、公路、水利等线性工程，全面实行分段施工。"

The six checks (六个百分之百) are the field checklist. Any failed item stops the site at once
(一票停工): recording the failing check takes the ``stop`` step as the check's author
(:attr:`RegisterKind.after_check`); only a re-inspection by an inspector or the office that passes
all six lifts it (``resume``, guarded). A township may stop but never lift.

三员管理: the plan names the system but not the three officers. Henan's practice, taken here (not
fixed by the plan), is the contractor's site manager (管理员), the sector's supervisor (监督员,
住建部门) and the township's grid officer (网格员).

Linear works (线性工程) are registered by section: a section is an entry whose ``parent_key`` names
the entry of the whole work; a whole linear work without sections is a breach after its first day.

The online monitor of a site reports over HJ 212 like any device: its MN is registered as a device
(``lantian ingest devices add``) and the site names it (``monitor_mn``); the site's page reads the
device's hourly PM10 (a34002) from what the receiver stored.

Lifecycle::

    working ──stop (一票停工; a failed check)──► stopped ──resume (all six passed)──► working
    working ──complete──► completed
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Boolean, Float, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.db.audited import Audited, acting_as
from lantian.db.base import Base, UtcDateTime, utc_now
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import BIG_ID, RegisterRecord
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
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column
from lantian.timeutil import to_china

CLAUSE_SIX = (
    "任务28：各类工地要做到工地周边围挡、物料堆放覆盖、土方开挖湿法作业、路面硬化、出入车辆清洗、"
    "渣土车辆密闭运输“六个百分之百”"
)
CLAUSE_STOP = (
    "任务28：严格落实扬尘污染“一票停工”制，对各类施工工地达不到以上要求的，一律实行停工整治"
)
CLAUSE_MONITOR = (
    "任务28：1 万平方米以上施工工地全部安装在线监测和视频监控，并与建设部门联网"
    "（附件：2017年9月底前）"
)
CLAUSE_BLACKLIST = (
    "任务28：严格落实扬尘污染“黑名单”制度，对扬尘污染防治不力、情节严重的施工单位要列入“黑名单”，"
    "禁止参加政府投资项目的招投标活动"
)
CLAUSE_LINEAR = "任务28：各类长距离的市政、公路、水利等线性工程，全面实行分段施工"
CLAUSE_OFFICERS = "任务28：落实施工工地“三员管理”"

#: Sites of at least this area (m²) need an online monitor and video (task 28).
LARGE_SITE_M2 = 10_000.0
#: The annex's date for the monitors of large sites (强化施工工地扬尘管控: 2017年9月底前).
MONITORING_DUE = date(2017, 9, 30)

SITE_TYPES = {
    "building": "房屋建筑",
    "demolition": "拆除工程",
    "municipal": "市政工程",
    "highway": "公路工程",
    "water": "水利工程",
    "pipeline": "管线工程",
    "other": "其他",
}
SiteType = Literal["building", "demolition", "municipal", "highway", "water", "pipeline", "other"]
#: The long works the plan wants built section by section (市政、公路、水利等线性工程).
LINEAR_TYPES = frozenset({"municipal", "highway", "water", "pipeline"})


class ConstructionSite(RegisterRecord):
    __tablename__ = "src_construction_sites"
    __audit_type__ = "construction_site"

    site_type: Mapped[str] = mapped_column(String(12))
    builder: Mapped[str] = mapped_column(String(200))
    contractor: Mapped[str] = mapped_column(String(200), index=True)
    area_m2: Mapped[float] = mapped_column(Float)
    #: The key of the whole linear work this entry is a section of (分段施工).
    parent_key: Mapped[str | None] = mapped_column(String(64), index=True)
    section: Mapped[str | None] = mapped_column(String(100))
    manager: Mapped[str | None] = mapped_column(String(100))
    supervisor: Mapped[str | None] = mapped_column(String(100))
    grid_officer: Mapped[str | None] = mapped_column(String(100))
    monitor_installed: Mapped[bool] = mapped_column(Boolean, default=False)
    video_installed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The MN of the site's online dust monitor (a device of the HJ 212 receiver).
    monitor_mn: Mapped[str | None] = mapped_column(String(32), index=True)


class ContractorBlacklist(Audited, Base):
    """A contractor put on the dust blacklist by the office (task 28), with the reason."""

    __tablename__ = "src_contractor_blacklist"
    __audit_type__ = "contractor_blacklist"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    contractor: Mapped[str] = mapped_column(String(200), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    listed_by: Mapped[str] = mapped_column(String(100))
    listed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)


class ConstructionRow(RegisterRow):
    site_type: SiteType
    builder: str = Field(min_length=1, max_length=200)
    contractor: str = Field(min_length=1, max_length=200)
    area_m2: float = Field(gt=0, le=50_000_000)
    parent_key: str | None = Field(
        default=None, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$"
    )
    section: str | None = Field(default=None, max_length=100)
    manager: str | None = Field(default=None, max_length=100)
    supervisor: str | None = Field(default=None, max_length=100)
    grid_officer: str | None = Field(default=None, max_length=100)
    monitor_installed: bool = False
    video_installed: bool = False
    monitor_mn: str | None = Field(default=None, max_length=32, pattern=r"^[!-:<-~]+$")

    @model_validator(mode="after")
    def _consistent(self) -> ConstructionRow:
        if self.parent_key is not None and self.parent_key == self.key:
            raise ValueError("所属线性工程不能是本条目 / a section cannot be its own work")
        if self.section and self.parent_key is None:
            raise ValueError("标段须填写所属线性工程编号 / a section names its work's key")
        if self.monitor_mn and not self.monitor_installed:
            raise ValueError(
                "填写了监测设备 MN，在线监测须为“是” / a monitor MN means the monitor is installed"
            )
        return self


#: 六个百分之百, in the plan's words.
SIX = (
    ChecklistItem("fencing", "工地周边围挡", "site fenced all round", CLAUSE_SIX),
    ChecklistItem("materials_covered", "物料堆放覆盖", "stockpiles covered", CLAUSE_SIX),
    ChecklistItem("wet_earthworks", "土方开挖湿法作业", "earthworks done wet", CLAUSE_SIX),
    ChecklistItem("roads_hardened", "路面硬化", "site roads hardened", CLAUSE_SIX),
    ChecklistItem("vehicles_washed", "出入车辆清洗", "vehicles washed at the gate", CLAUSE_SIX),
    ChecklistItem("muck_trucks_enclosed", "渣土车辆密闭运输", "muck trucks enclosed", CLAUSE_SIX),
)
SIX_KEYS = tuple(item.key for item in SIX)


def failed_items(check_items: Mapping[str, Any]) -> list[str]:
    """The six checks a check's items failed, in the plan's order."""
    return [k for k in SIX_KEYS if (check_items.get(k) or {}).get("result") == "fail"]


def _stop_after_failed_check(facts: Facts) -> tuple[str, str] | None:
    """一票停工: the newest check failing any of the six stops a working site."""
    if facts.record.state != "working" or not facts.checks:
        return None
    failed = failed_items(facts.checks[0].items or {})
    if not failed:
        return None
    names = "、".join(item.zh for item in SIX if item.key in failed)
    return ("stop", f"一票停工：{names}不合格")


def _resume_after_passing_check(facts: Facts) -> tuple[str, str] | None:
    if facts.record.state != "stopped" or _reinspection_unmet(facts):
        return None
    return ("resume", "复查“六个百分之百”全部合格，恢复施工")


def _after_check(facts: Facts) -> tuple[str, str] | None:
    return _stop_after_failed_check(facts) or _resume_after_passing_check(facts)


def _stop_holds(facts: Facts) -> list[Unmet]:
    if facts.checks and failed_items(facts.checks[0].items or {}):
        return []
    return [
        (
            "最近一次检查没有不合格项，不能停工",
            "the newest check failed none of the six: nothing to stop for",
        )
    ]


def _reinspection_unmet(facts: Facts) -> list[Unmet]:
    """A stopped site resumes only after a re-inspection since the stop passed all six."""
    since = facts.record.state_since
    for check in facts.checks:
        if check.checked_at < since and check.created_at < since:
            break
        items = check.items or {}
        if all((items.get(k) or {}).get("result") == "pass" for k in SIX_KEYS):
            return []
        return [
            (
                "停工后的复查未六项全部合格",
                "the re-inspection since the stop did not pass all six",
            )
        ]
    return [("停工后尚无复查", "no re-inspection since the stop")]


LIFECYCLE = Lifecycle(
    states=(
        State("working", "施工中", "working"),
        State("stopped", "停工整治", "stopped for rectification"),
        State("completed", "已完工", "completed", closed=True),
    ),
    initial="working",
    transitions=(
        step(
            "stop",
            ("一票停工", "stop the site"),
            {"working"},
            "stopped",
            VERIFIERS | KEEPERS,
            CLAUSE_STOP,
            guard=_stop_holds,
        ),
        step(
            "resume",
            ("复查合格复工", "resume after re-inspection"),
            {"stopped"},
            "working",
            VERIFIERS,
            CLAUSE_STOP,
            guard=_reinspection_unmet,
        ),
        step(
            "complete",
            ("竣工销号", "complete"),
            {"working"},
            "completed",
            KEEPERS,
            CLAUSE_SIX,
        ),
    ),
)


# --- the blacklist -----------------------------------------------------------------------------

#: Who puts a contractor on the blacklist: the office, and the lead unit 市住建局（市扬尘办）.
BLACKLISTERS = OFFICE_ROLES
BLACKLIST_UNIT = "zjj"


class BlacklistInput(BaseModel):
    model_config = {"extra": "forbid", "str_strip_whitespace": True}

    contractor: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=4000)


def may_blacklist(who: Principal) -> bool:
    return who.role in BLACKLISTERS or (who.role == "unit" and who.scope == BLACKLIST_UNIT)


def blacklist_contractor(
    session: Session, who: Principal, entry: BlacklistInput, *, is_sample: bool = False
) -> ContractorBlacklist:
    """Put a contractor on the dust blacklist (task 28), with the reason; audited as ``who``.

    Its sites are marked on the register's pages; a site registered or imported for it from now on
    is a breach (rule ``blacklisted_contractor``)."""
    from lantian.auth import audit

    if not may_blacklist(who):
        raise NotAllowed("无权将施工单位列入黑名单 / your role may not blacklist a contractor")
    audit.lock_chain(session)
    if session.scalar(
        select(ContractorBlacklist.id).where(ContractorBlacklist.contractor == entry.contractor)
    ):
        raise Conflict(
            f"{entry.contractor} 已在黑名单中 / this contractor is already blacklisted",
            field="contractor",
        )
    actor = who.username or "public"
    with acting_as(session, actor, action="construction_site.blacklist", reason=entry.reason):
        row = ContractorBlacklist(
            contractor=entry.contractor,
            reason=entry.reason,
            listed_by=actor,
            listed_at=clock.now(),
            is_sample=is_sample,
        )
        session.add(row)
        session.flush()
    return row


def blacklist(session: Session) -> list[ContractorBlacklist]:
    """The blacklist, newest first."""
    return list(
        session.scalars(
            select(ContractorBlacklist).order_by(
                ContractorBlacklist.listed_at.desc(), ContractorBlacklist.id.desc()
            )
        )
    )


def blacklist_input(data: Mapping[str, Any]) -> BlacklistInput:
    """The typed input of a form's fields (``Invalid`` naming the field)."""
    from pydantic import ValidationError

    try:
        return BlacklistInput.model_validate(dict(data))
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else None
        label = {"contractor": "施工单位 contractor", "reason": "理由 reason"}.get(name or "", "")
        raise Invalid(f"{label}: {first['msg']}", field=name) from None


# --- the site's monitor (HJ 212) ---------------------------------------------------------------

#: HJ 212-2017 code of PM10 (颗粒物 PM10).
PM10_CODE = "a34002"


def pm10_hours(session: Session, mn: str | None, limit: int = 24) -> list[tuple[datetime, float]]:
    """The hourly PM10 (µg/m³) the site's monitor sent over HJ 212, newest first: (hour's
    start as sent, value). Read from what the receiver stored for the device with this MN."""
    if not mn:
        return []
    from lantian.monitoring.hj212_models import Device, DeviceMeasurement

    rows = session.execute(
        select(DeviceMeasurement.data_time, DeviceMeasurement.value)
        .join(Device, Device.id == DeviceMeasurement.device_id)
        .where(
            Device.mn == mn,
            DeviceMeasurement.code == PM10_CODE,
            DeviceMeasurement.period == "hour",
            DeviceMeasurement.value.is_not(None),
        )
        .order_by(DeviceMeasurement.data_time.desc())
        .limit(limit)
    ).all()
    return [(moment, float(value)) for moment, value in rows if value is not None]


def pm10_alert() -> tuple[float, int]:
    """The PM10 level (µg/m³) and the hours in a row above it that make a site's dust a breach.

    Settings ``LANTIAN_SITE_PM10_ALERT`` / ``LANTIAN_SITE_PM10_HOURS``: the plan gives no figure."""
    from lantian.config import get_settings

    settings = get_settings()
    return settings.site_pm10_alert, settings.site_pm10_hours


# --- context, rules ----------------------------------------------------------------------------


def _context(session: Session, record: RegisterRecord) -> Mapping[str, Any]:
    assert isinstance(record, ConstructionSite)
    listed = session.scalar(
        select(ContractorBlacklist.listed_at).where(
            ContractorBlacklist.contractor == record.contractor
        )
    )
    sections = session.scalar(
        select(func.count())
        .select_from(ConstructionSite)
        .where(ConstructionSite.parent_key == record.key)
    )
    taken_on = None
    if listed is not None:
        from lantian.sources.models import SourceEvent

        # When the site was registered, or given this contractor, after the listing (a form, an
        # import creating or updating it): the first such moment is the breach's.
        for event in session.scalars(
            select(SourceEvent)
            .where(
                SourceEvent.kind == KIND_KEY,
                SourceEvent.record_id == record.id,
                SourceEvent.event.in_(("created", "updated")),
                SourceEvent.at > listed,
            )
            .order_by(SourceEvent.at, SourceEvent.id)
        ):
            if event.event == "created" or "contractor" in (event.details or {}).get("fields", []):
                taken_on = event.at
                break
    level, hours = pm10_alert()
    return {
        "blacklisted_at": listed,
        "taken_on_after_listing": taken_on,
        "sections": int(sections or 0),
        "pm10": pm10_hours(session, record.monitor_mn, hours),
        "pm10_alert": (level, hours),
    }


def _site(facts: Facts) -> ConstructionSite:
    record = facts.record
    assert isinstance(record, ConstructionSite)
    return record


def _large_site_without_monitoring(facts: Facts) -> Breach | None:
    """A site of 10,000 m² or more without both the online monitor and video after its date."""
    record = _site(facts)
    if record.area_m2 < LARGE_SITE_M2 or record.state in LIFECYCLE.closed_states:
        return None
    if record.monitor_installed and record.video_installed:
        return None
    due = record.deadline or MONITORING_DUE
    if facts.today <= due:
        return None
    missing = "、".join(
        name
        for name, there in (
            ("在线监测", record.monitor_installed),
            ("视频监控", record.video_installed),
        )
        if not there
    )
    return Breach(
        title=f"1万平方米以上工地未安装{missing}：{record.name}",
        description=f"占地 {record.area_m2:,.0f} m²，应于 {due} 前安装在线监测和视频监控 / a site of "
        f"{record.area_m2:,.0f} m² needs an online monitor and video by {due}",
        observed_at=end_of_day(due),
        severity="serious",
    )


def _blacklisted_contractor(facts: Facts) -> Breach | None:
    """A site registered for a contractor already on the blacklist, or given to it since."""
    record = _site(facts)
    listed = facts.context.get("blacklisted_at")
    taken_on = facts.context.get("taken_on_after_listing")
    if listed is None or taken_on is None:
        return None
    return Breach(
        title=f"黑名单施工单位承接工地：{record.contractor}（{record.name}）",
        description=f"施工单位 {record.contractor} 已于 {listed:%Y-%m-%d} 列入扬尘污染黑名单 / the "
        "contractor is on the dust blacklist",
        observed_at=taken_on,
        severity="serious",
    )


def _stopped(facts: Facts) -> Breach | None:
    """A site stopped for failing the six checks: a case for its rectification."""
    record = _site(facts)
    if record.state != "stopped":
        return None
    failed = failed_items(facts.checks[0].items or {}) if facts.checks else []
    names = "、".join(item.zh for item in SIX if item.key in failed) or "六个百分之百"
    return Breach(
        title=f"施工工地扬尘防治不达标，一票停工：{record.name}",
        description=f"{names}不合格，停工整治至复查合格 / stopped until a re-inspection passes",
        observed_at=record.state_since,
        severity="serious",
    )


def _linear_not_sectioned(facts: Facts) -> Breach | None:
    """A whole linear work with no section registered after its first day (分段施工)."""
    record = _site(facts)
    if record.site_type not in LINEAR_TYPES or record.parent_key is not None:
        return None
    if facts.context.get("sections", 0) or record.state in LIFECYCLE.closed_states:
        return None
    registered = to_china(record.created_at).date()
    if facts.today <= registered:
        return None
    return Breach(
        title=f"线性工程未分段施工：{record.name}",
        description="线性工程应按标段登记、分段施工 / a linear work is built and registered by "
        "section",
        observed_at=end_of_day(registered),
    )


def _sustained_pm10(facts: Facts) -> Breach | None:
    """The site's monitor above the alert level for the set hours in a row (newest hours)."""
    record = _site(facts)
    level, hours = facts.context.get("pm10_alert", (None, 0))
    values: Sequence[tuple[datetime, float]] = facts.context.get("pm10", ())
    if level is None or hours < 1 or len(values) < hours:
        return None
    run = values[:hours]
    if any(value <= level for _, value in run):
        return None
    if run[0][0] - run[-1][0] != timedelta(hours=hours - 1):
        return None  # a gap: not hours in a row
    return Breach(
        title=f"施工工地 PM10 持续超标：{record.name}",
        description=f"在线监测 {record.monitor_mn} 连续 {hours} 小时 PM10 高于 {level:g} µg/m³"
        f"（最新 {run[0][1]:g}）/ PM10 above {level:g} µg/m³ for {hours} hours in a row",
        observed_at=run[0][0] + timedelta(hours=1),
        severity="serious",
    )


# --- indicators --------------------------------------------------------------------------------


def _monitoring_share(session: Session) -> IndicatorValue:
    model = ConstructionSite
    large = session.execute(
        select(model.key, model.name, model.monitor_installed, model.video_installed)
        .where(model.area_m2 >= LARGE_SITE_M2)
        .order_by(model.key)
    ).all()
    equipped = [row for row in large if row.monitor_installed and row.video_installed]
    value = 100.0 * len(equipped) / len(large) if large else None
    return IndicatorValue(
        "large_sites_online_monitoring",
        value,
        len(large),
        f"1万平方米以上工地 {len(large)} 个中已安装在线监测和视频监控的比例",
        f"share of the {len(large)} sites of 10,000 m² or more with an online monitor and video",
        tuple(
            (
                f"{row.key} {row.name}",
                100.0 if row.monitor_installed and row.video_installed else 0.0,
            )
            for row in large
        ),
    )


def _compliance(session: Session) -> IndicatorValue:
    """达标率: of the sites under way that were inspected, the share whose newest inspection
    passed all six; detail by township."""
    from lantian.sources.models import SourceCheck

    sites = session.execute(
        select(ConstructionSite.id, ConstructionSite.area_code).where(
            ConstructionSite.state != "completed"
        )
    ).all()
    area_of = {row.id: row.area_code for row in sites}
    newest: dict[int, SourceCheck] = {}
    for check in session.scalars(
        select(SourceCheck)
        .where(SourceCheck.kind == KIND_KEY)
        .order_by(SourceCheck.checked_at, SourceCheck.id)
    ):
        if check.record_id in area_of:
            newest[check.record_id] = check
    by_area: dict[str, list[bool]] = {}
    for record_id, check in newest.items():
        items = check.items or {}
        passed = all((items.get(k) or {}).get("result") in ("pass", "na") for k in SIX_KEYS)
        by_area.setdefault(area_of[record_id], []).append(passed)
    results = [ok for oks in by_area.values() for ok in oks]
    from lantian.plan import plan_in_force

    names = plan_in_force().area_names()
    return IndicatorValue(
        "construction_dust_compliance",
        100.0 * sum(results) / len(results) if results else None,
        len(results),
        f"已检查的在建工地 {len(results)} 个中最近一次检查“六个百分之百”全部合格的比例",
        f"share of the {len(results)} inspected sites under way whose newest inspection passed "
        "all six",
        tuple(
            (f"{names.get(code, code)} {code}", 100.0 * sum(oks) / len(oks))
            for code, oks in sorted(by_area.items())
        ),
    )


# --- pages: marks and panels -------------------------------------------------------------------


def _marks(
    session: Session, records: Sequence[RegisterRecord]
) -> Mapping[int, Sequence[tuple[str, str]]]:
    contractors = {r.contractor for r in records if isinstance(r, ConstructionSite)}
    if not contractors:
        return {}
    listed = set(
        session.scalars(
            select(ContractorBlacklist.contractor).where(
                ContractorBlacklist.contractor.in_(contractors)
            )
        )
    )
    return {
        r.id: (("施工单位在黑名单", "contractor blacklisted"),)
        for r in records
        if isinstance(r, ConstructionSite) and r.contractor in listed
    }


def _panels(session: Session, record: RegisterRecord) -> list[Panel]:
    assert isinstance(record, ConstructionSite)
    panels = []
    listed = session.scalar(
        select(ContractorBlacklist).where(ContractorBlacklist.contractor == record.contractor)
    )
    if listed is not None:
        panels.append(
            Panel(
                "blacklist",
                "施工单位黑名单",
                "Contractor blacklist",
                (("施工单位", "contractor"), ("列入时间", "listed"), ("理由", "reason")),
                ((listed.contractor, f"{to_china(listed.listed_at):%Y-%m-%d}", listed.reason),),
                ("/sources/construction_site/blacklist",),
            )
        )
    level, _ = pm10_alert()
    hours = pm10_hours(session, record.monitor_mn, 6)
    panels.append(
        Panel(
            "pm10",
            f"在线监测 PM10（设备 {record.monitor_mn or '未登记'}）",
            f"Online monitor PM10 (device {record.monitor_mn or 'none'})",
            (("小时（开始）", "hour (start)"), ("PM10 µg/m³", "PM10 µg/m³"), ("预警", "alert")),
            tuple(
                (
                    f"{to_china(moment):%Y-%m-%d %H:%M}",
                    f"{value:g}",
                    f"超过预警值 {level:g}" if value > level else "",
                )
                for moment, value in hours
            ),
            empty=("尚无小时数据", "no hourly data yet"),
        )
    )
    sections = session.execute(
        select(ConstructionSite.id, ConstructionSite.key, ConstructionSite.section)
        .where(ConstructionSite.parent_key == record.key)
        .order_by(ConstructionSite.key)
    ).all()
    if record.parent_key is not None:
        parent = session.execute(
            select(ConstructionSite.id, ConstructionSite.name).where(
                ConstructionSite.key == record.parent_key
            )
        ).first()
        panels.append(
            Panel(
                "linear_work",
                "所属线性工程",
                "Linear work",
                (("编号", "key"), ("名称", "name")),
                ((record.parent_key, parent.name if parent else "（未登记）"),),
                (f"/sources/construction_site/{parent.id}" if parent else None,),
            )
        )
    elif record.site_type in LINEAR_TYPES:
        panels.append(
            Panel(
                "sections",
                "标段",
                "Sections",
                (("编号", "key"), ("标段", "section")),
                tuple((row.key, row.section or "") for row in sections),
                tuple(f"/sources/construction_site/{row.id}" for row in sections),
                empty=("尚未登记标段", "no section registered"),
            )
        )
    from lantian.sources.kinds.muck_truck_findings import findings_at_site

    panels.append(findings_at_site(session, record.key))
    return panels


# --- sample ------------------------------------------------------------------------------------

BUILDERS = ("新密市城市建设投资有限公司", "新密市交通运输局", "新密市水务局", "郑州某置业有限公司")
CONTRACTORS = (
    "河南某建设集团有限公司",
    "郑州某建筑工程有限公司",
    "新密市某市政工程有限公司",
    "河南某路桥工程有限公司",
    "新密市某水利工程有限公司",
)


def _sample(context: SampleContext) -> list[ConstructionRow]:
    rng = context.rng
    rows: list[ConstructionRow] = []
    surnames = "王李张刘陈杨赵黄周吴"
    for code, area_name in context.areas:
        # Numbered within each township, so that GD-<code>-0001 and -0002 always exist (the
        # sample muck-truck findings name them as the sites where trucks were found).
        for number in range(1, rng.randint(2, 5) + 1):
            site_type: SiteType = rng.choices(
                ("building", "demolition", "municipal", "highway", "water"), (6, 1, 2, 1, 1)
            )[0]
            area = float(rng.choice((3_000, 6_500, 9_800, 12_000, 18_500, 32_000, 56_000)))
            large = area >= LARGE_SITE_M2
            equipped = large and rng.random() < 0.8
            key = f"GD-{code[-3:]}-{number:04d}"
            officers = [f"{rng.choice(surnames)}{rng.choice('建国军明华伟强磊')}" for _ in range(3)]
            rows.append(
                ConstructionRow(
                    key=key,
                    name=f"示例{area_name}{SITE_TYPES[site_type]}{number:02d}号",
                    area_code=code,
                    unit_code="zjj",
                    address=f"{area_name}示例路{number}号",
                    longitude=round(113.25 + rng.random() * 0.3, 5),
                    latitude=round(34.42 + rng.random() * 0.18, 5),
                    deadline=MONITORING_DUE if large else None,
                    note="示例数据 / sample",
                    site_type=site_type,
                    builder=rng.choice(BUILDERS),
                    contractor=rng.choice(CONTRACTORS),
                    area_m2=area,
                    manager=officers[0],
                    supervisor=officers[1],
                    grid_officer=officers[2],
                    monitor_installed=equipped,
                    video_installed=equipped or (large and rng.random() < 0.5),
                    monitor_mn=f"YC{code[-3:]}{number:04d}" if equipped else None,
                )
            )
            if site_type in LINEAR_TYPES:
                work = rows[-1]
                for part in range(1, rng.randint(2, 3) + 1):
                    rows.append(
                        ConstructionRow(
                            key=f"{key}-{part}",
                            name=f"{work.name}第{part}标段",
                            area_code=code,
                            unit_code="zjj",
                            address=f"{area_name}示例路{number}号 第{part}标段",
                            note="示例数据 / sample",
                            site_type=site_type,
                            builder=work.builder,
                            contractor=work.contractor,
                            area_m2=round(area / 3, 1),
                            parent_key=key,
                            section=f"第{part}标段 K{part - 1}+000–K{part}+000",
                            manager=officers[0],
                            supervisor=officers[1],
                            grid_officer=officers[2],
                        )
                    )
    return rows


KIND_KEY = "construction_site"

KIND = RegisterKind(
    key=KIND_KEY,
    zh="施工工地",
    en="construction site",
    tasks=("28",),
    model=ConstructionSite,
    row=ConstructionRow,
    columns=columns(
        Column("site_type", "site type", "工程类别", choices=SITE_TYPES, example="房屋建筑"),
        Column("builder", "builder", "建设单位", example="新密市某置业有限公司", width=24),
        Column("contractor", "contractor", "施工单位", example="河南某建设集团有限公司", width=24),
        Column("area_m2", "area m²", "占地面积（平方米）", example="12000", width=12),
        Column(
            "parent_key",
            "linear work key",
            "所属线性工程编号",
            example="",
            note_zh="线性工程按标段登记：标段行填写整条工程的编号",
            note_en="a section of a linear work names the whole work's key",
        ),
        Column("section", "section", "标段", example="", width=18),
        Column("manager", "site manager", "管理员", example="张三", note_zh="三员管理：施工单位"),
        Column(
            "supervisor", "supervisor", "监督员", example="李四", note_zh="三员管理：行业主管部门"
        ),
        Column(
            "grid_officer", "grid officer", "网格员", example="王五", note_zh="三员管理：属地乡镇"
        ),
        Column("monitor_installed", "online monitor", "在线监测", example="是", width=10),
        Column("video_installed", "video", "视频监控", example="是", width=10),
        Column(
            "monitor_mn",
            "monitor MN",
            "监测设备MN",
            example="",
            note_zh="在线监测设备的 HJ 212 MN（须登记为接收设备）",
            note_en="the HJ 212 MN of the online monitor (registered as a device)",
        ),
    ),
    lifecycle=LIFECYCLE,
    checklist=SIX,
    rules=(
        Rule(
            "large_site_monitoring",
            "大型工地未安装在线监测和视频监控",
            "large site without online monitor and video",
            CLAUSE_MONITOR,
            _large_site_without_monitoring,
        ),
        Rule(
            "blacklisted_contractor",
            "黑名单施工单位",
            "blacklisted contractor",
            CLAUSE_BLACKLIST,
            _blacklisted_contractor,
        ),
        Rule("stopped", "一票停工", "stopped for dust", CLAUSE_STOP, _stopped),
        Rule(
            "linear_not_sectioned",
            "线性工程未分段",
            "linear work not in sections",
            CLAUSE_LINEAR,
            _linear_not_sectioned,
        ),
        Rule(
            "sustained_pm10",
            "PM10 持续超标",
            "PM10 high for hours",
            f"{CLAUSE_MONITOR}（预警值为平台设置，计划未规定）",
            _sustained_pm10,
        ),
    ),
    indicators=(
        Indicator("large_sites_online_monitoring", _monitoring_share),
        Indicator("construction_dust_compliance", _compliance),
    ),
    sample=_sample,
    list_fields=("site_type", "contractor", "area_m2"),
    filter_fields=("site_type",),
    order=28,
    notes=(
        (
            "三员管理：计划未列明三员，此处取管理员（施工单位）、监督员（行业主管部门）、网格员（属地）。",
            "三员管理: the plan does not name the three officers; taken as the contractor's "
            "manager, the sector's supervisor and the township's grid officer.",
        ),
        (
            "任一项检查不合格即一票停工；只有督查人员复查六项全部合格才能复工。",
            "Any failed check stops the site; only an inspector's re-inspection passing all six "
            "lifts the stop.",
        ),
    ),
    context=_context,
    after_check=_after_check,
    panels=_panels,
    marks=_marks,
    pages=(("/sources/construction_site/blacklist", "施工单位黑名单", "contractor blacklist"),),
)
