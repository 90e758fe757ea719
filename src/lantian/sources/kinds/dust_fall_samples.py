"""Monthly dust-fall samples (降尘样品, plan tasks 1 and 33), with their quality control.

Task 1: "城区要布设降尘量监测点位，做好数据质量控制，每月向省、郑州市环境监测站报送降尘量。"
Task 33: "以平均降尘量小于9吨/月·平方公里作为控制指标，纳入乡镇党政领导干部考核问责范围。"

One entry is one site's sample of one month (key ``<site code>-<yyyymm>``): the collector's
exposure (start and end), its mouth area, the dust weighed and the blank, and the field and
laboratory checks (collector intact, blank within limits, contamination). Saving a sample computes
its dust fall by GB/T 15265 and its QC verdict (:mod:`lantian.dustfall.method`): nobody types
either. An invalid sample is kept and shown, never counted.

Each township's monthly value is the mean of its sites' valid samples of the month
(:func:`lantian.dustfall.service.township_dust_fall`); each township is judged on its own against
the plan's ``dust_fall`` target (< 9 t/(km²·month)): a township at or above it in a finished month
opens an accountability case for that township (:func:`_townships_over`), whatever the city's
average. The plan target ``dust_fall`` is the worst township of the latest month with valid samples,
every township and month a detail row.

Lifecycle::

    recorded ──accept (QC valid; 监测站审核)──► accepted
    recorded / accepted ──invalidate (note: why the laboratory rejects it)──► invalidated
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import Boolean, Date, Float, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.dustfall import method
from lantian.plan import Plan
from lantian.sources.kinds.dust_fall_sites import DustFallSite
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    Facts,
    Indicator,
    IndicatorValue,
    Panel,
    RegisterBreach,
    RegisterKind,
    RegisterRule,
    SampleContext,
    end_of_day,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

KEY = "dust_fall_sample"
CLAUSE_QC = (
    "任务1：城区要布设降尘量监测点位，做好数据质量控制，每月向省、郑州市环境监测站报送降尘量"
)
CLAUSE_33 = "任务33：以平均降尘量小于9吨/月·平方公里作为控制指标，纳入乡镇党政领导干部考核问责范围"
#: The plan target judged (task 33, tasks.yaml): its value and comparator are the plan's.
TARGET = "dust_fall"
RULE_KEY = "township_over"
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
CONTAMINATION = {key: label for key, (label, _) in method.CONTAMINATION.items()}
Contamination = Literal["none", "removed", "bird", "tampered", "overflow"]


class DustFallSample(RegisterRecord):
    __tablename__ = "src_dust_fall_samples"
    __audit_type__ = "dust_fall_sample"
    #: One sample per site and month (the key says so too; the table holds it).
    __table_args__ = (UniqueConstraint("site_key", "month"),)

    #: The site's key in the site register.
    site_key: Mapped[str] = mapped_column(String(64), index=True)
    #: The month the sample stands for, ``2017-11``.
    month: Mapped[str] = mapped_column(String(7), index=True)
    exposure_start: Mapped[date] = mapped_column(Date)
    exposure_end: Mapped[date] = mapped_column(Date)
    #: The collector's mouth area S (cm²).
    collector_area_cm2: Mapped[float] = mapped_column(Float)
    #: The dust collected, W1 − W0 (g).
    mass_g: Mapped[float] = mapped_column(Float)
    #: The blank's mass Wc (g).
    blank_g: Mapped[float] = mapped_column(Float, default=0.0)
    container_intact: Mapped[bool] = mapped_column(Boolean, default=True)
    blank_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    contamination: Mapped[str] = mapped_column(String(10), default="none")
    lab_no: Mapped[str | None] = mapped_column(String(64))
    #: Computed when saved (GB/T 15265), never typed: days exposed, t/(km²·30 d), the QC verdict.
    exposure_days: Mapped[int] = mapped_column(Integer)
    dust_fall: Mapped[float] = mapped_column(Float)
    qc_valid: Mapped[bool] = mapped_column(Boolean)
    qc_remark: Mapped[str] = mapped_column(String(300))


def parse_month(text: str) -> date:
    """``2017-11`` → 2017-11-01; ``ValueError`` for another form."""
    found = MONTH_PATTERN.match(text.strip())
    if found is None:
        raise ValueError(f"月份应写作 2017-11，而不是 {text!r} / write the month as 2017-11")
    try:
        return date(int(found.group(1)), int(found.group(2)), 1)
    except ValueError:
        raise ValueError(f"没有这个月份：{text!r} / no such month: {text!r}") from None


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def sample_key(site_key: str, month: str) -> str:
    return f"{site_key}-{month.replace('-', '')}"


class DustFallSampleRow(RegisterRow):
    site_key: str = Field(min_length=1, max_length=64)
    month: str = Field(max_length=7)
    exposure_start: date
    exposure_end: date
    collector_area_cm2: float = Field(gt=0, le=10_000)
    mass_g: float = Field(ge=0, le=1_000)
    blank_g: float = Field(default=0.0, ge=0, le=1_000)
    container_intact: bool = True
    blank_ok: bool = True
    contamination: Contamination = "none"
    lab_no: str | None = Field(default=None, max_length=64)
    # Filled in by the kind when the row is saved (:func:`_admit`), whatever a body says.
    exposure_days: int = 0
    dust_fall: float = 0.0
    qc_valid: bool = False
    qc_remark: str = ""

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        parse_month(value)
        return value


def _admit(session: Session, plan: Plan, row: DustFallSampleRow) -> list[tuple[str, str]]:
    """The site is the register's and lies in the sample's township; the key is the site's and
    month's (one sample per site and month); the exposure ends after it starts and its middle lies
    in the month. Fills in the days, the dust fall (GB/T 15265) and the QC verdict."""
    problems: list[tuple[str, str]] = []
    if row.unit_code is None:
        row.unit_code = "hbj"
    site = session.scalar(select(DustFallSite).where(DustFallSite.key == row.site_key))
    if site is None:
        problems.append(
            (
                "site_key",
                f"降尘点位台账中没有编码为 {row.site_key} 的点位 / no site {row.site_key} in the "
                "dust-fall site register",
            )
        )
    elif site.area_code != row.area_code:
        problems.append(
            (
                "area_code",
                f"点位 {row.site_key} 位于 {site.area_code} / the site lies in {site.area_code}",
            )
        )
    expected = sample_key(row.site_key, row.month)
    if row.key != expected:
        problems.append(
            (
                "key",
                f"编号应为 {expected}（每个点位每月一个样品）/ the key is {expected} (one sample "
                "per site and month)",
            )
        )
    if row.exposure_end <= row.exposure_start:
        problems.append(
            ("exposure_end", "收样日期应晚于放缸日期 / the exposure ends after it starts")
        )
        return problems
    first = parse_month(row.month)
    middle = row.exposure_start + (row.exposure_end - row.exposure_start) / 2
    if not first <= middle < next_month(first):
        problems.append(
            (
                "month",
                f"暴露期 {row.exposure_start}～{row.exposure_end} 不在 {row.month} / the "
                f"exposure does not lie in {row.month}",
            )
        )
    verdict = method.judge(
        start=row.exposure_start,
        end=row.exposure_end,
        mass_g=row.mass_g,
        blank_g=row.blank_g,
        container_intact=row.container_intact,
        blank_ok=row.blank_ok,
        contamination=row.contamination,
    )
    row.exposure_days = verdict.days
    row.dust_fall = method.dust_fall(row.mass_g, row.blank_g, row.collector_area_cm2, verdict.days)
    row.qc_valid = verdict.valid
    row.qc_remark = verdict.remark[:300]
    return problems


def _valid(facts: Facts) -> list[Unmet]:
    record = facts.record
    assert isinstance(record, DustFallSample)
    if not record.qc_valid:
        return [
            (f"质控不合格（{record.qc_remark}），应作废", "the sample failed QC: invalidate it")
        ]
    return []


LIFECYCLE = Lifecycle(
    states=(
        State("recorded", "已登记", "recorded"),
        State("accepted", "审核有效", "accepted", closed=True),
        State("invalidated", "已作废", "invalidated", closed=True),
    ),
    initial="recorded",
    transitions=(
        step(
            "accept",
            ("审核有效", "accept"),
            {"recorded"},
            "accepted",
            KEEPERS | VERIFIERS,
            CLAUSE_QC,
            guard=_valid,
        ),
        step(
            "invalidate",
            ("作废", "invalidate"),
            {"recorded", "accepted"},
            "invalidated",
            KEEPERS | VERIFIERS,
            CLAUSE_QC,
            note_required=True,
        ),
    ),
)


def counts(record: Any) -> bool:
    """Whether a sample counts in its township's value: QC valid and not invalidated by hand."""
    return bool(record.qc_valid) and record.state != "invalidated"


def limit_of(plan: Plan) -> tuple[str, float] | None:
    """The plan's ``dust_fall`` target: (comparator, value), None when the plan has none."""
    found = next((t for t, _, _ in plan.targets() if t.key == TARGET), None)
    return (found.comparator, found.value) if found is not None else None


def meets(value: float, comparator: str, limit: float) -> bool:
    from lantian.campaign.rules import compare

    return compare(value, comparator, limit) is True


def _townships_over(session: Session, today: date, plan: Plan) -> list[RegisterBreach]:
    """Each township whose value in a finished month misses the plan's limit: one accountability
    case for that township and month (task 33: 纳入乡镇党政领导干部考核问责范围), observed at the
    month's last instant so re-evaluation adds nothing. Judged per township: the city's average
    plays no part."""
    from lantian.dustfall.service import months_with_samples, township_months

    limit = limit_of(plan)
    if limit is None:
        return []
    comparator, value = limit
    names = plan.area_names()
    found = []
    for month in months_with_samples(session):
        if next_month(month) > today:
            continue  # the month is not over
        for township in township_months(session, month).values():
            if township.value is None or meets(township.value, comparator, value):
                continue
            last_day = next_month(month) - timedelta(days=1)
            name = names.get(township.area_code, township.area_code)
            found.append(
                RegisterBreach(
                    subject=f"{township.area_code}:{month:%Y-%m}",
                    breach=Breach(
                        title=f"{name}{month:%Y年%m月}降尘量 {township.value:g} 吨/月·平方公里，"
                        f"超过控制指标 {value:g}",
                        description=f"{name}（{township.area_code}）{month:%Y-%m} 有效样品 "
                        f"{township.valid} 个（{township.detail}），月均降尘量 {township.value:g}"
                        f" t/(km²·月)，控制指标 {comparator} {value:g}；建议纳入乡镇党政领导干部"
                        f"考核问责 / {township.area_code} {month:%Y-%m}: {township.value:g} "
                        f"t/(km²·month), limit {comparator} {value:g}; accountability proposed",
                        observed_at=end_of_day(last_day),
                        severity="serious",
                        accountability=True,
                    ),
                    area_code=township.area_code,
                    is_sample=township.all_sample,
                )
            )
    return found


def _worst_township(session: Session) -> IndicatorValue:
    """The worst township of the latest month with valid samples (task 33 judges each township:
    the worst one is the figure, not an average); every township and month is a detail row,
    latest month first."""
    from lantian.dustfall.service import months_with_samples, township_months
    from lantian.plan import plan_in_force

    names = plan_in_force().area_names()
    detail: list[tuple[str, float]] = []
    value: float | None = None
    records = 0
    latest: date | None = None
    for month in sorted(months_with_samples(session), reverse=True):
        townships = township_months(session, month)
        values = [t.value for t in townships.values() if t.value is not None]
        if values and latest is None:
            latest, value = month, max(values)
        for code, township in sorted(townships.items()):
            records += township.valid
            if township.value is not None:
                detail.append((f"{month:%Y-%m} {names.get(code, code)}", township.value))
    return IndicatorValue(
        TARGET,
        value,
        records,
        (f"{latest:%Y-%m} " if latest else "")
        + "各乡镇（街道）月均降尘量中最高者（各乡镇分别判定，不取全市平均；样品按 GB/T 15265 计算、"
        "质控无效者不计）",
        (f"{latest:%Y-%m}: " if latest else "")
        + "the highest township's monthly dust fall (each township judged on its own, never the "
        "city's average; samples by GB/T 15265, those failing QC left out)",
        tuple(detail),
    )


def _panels(session: Session, record: RegisterRecord) -> list[Panel]:
    """The sample's computation and QC verdict, and its site."""
    assert isinstance(record, DustFallSample)
    site = session.scalar(select(DustFallSite).where(DustFallSite.key == record.site_key))
    return [
        Panel(
            "qc",
            "降尘量计算与质控（GB/T 15265）",
            "Dust fall and QC (GB/T 15265)",
            (
                ("暴露天数", "days exposed"),
                ("降尘量 t/(km²·30d)", "dust fall t/(km²·30 d)"),
                ("质控结论", "QC verdict"),
                ("计入乡镇月均值", "counted for the township"),
            ),
            (
                (
                    str(record.exposure_days),
                    f"{record.dust_fall:.2f}",
                    record.qc_remark,
                    "是" if counts(record) else "否",
                ),
            ),
        ),
        Panel(
            "site",
            "采样点位",
            "Site",
            (("编码", "code"), ("名称", "name"), ("采样高度（米）", "height m")),
            (
                (
                    record.site_key,
                    site.name if site else "（未登记）",
                    f"{site.height_m:g}" if site else "",
                ),
            ),
            (f"/sources/dust_fall_site/{site.id}" if site else None,),
        ),
    ]


def _marks(
    session: Session, records: Sequence[RegisterRecord]
) -> Mapping[int, Sequence[tuple[str, str]]]:
    """Each sample's dust fall on the list, and 无效 on a sample that does not count."""
    marks: dict[int, list[tuple[str, str]]] = {}
    for record in records:
        value = getattr(record, "dust_fall", None)
        if value is None:
            continue
        tags = [(f"{value:.2f} t/km²", f"{value:.2f} t/km²")]
        if not counts(record):
            tags.append(("无效不计", "invalid, not counted"))
        marks[record.id] = tags
    return marks


def _sample(context: SampleContext) -> list[DustFallSampleRow]:
    """October to December 2017 for every site the register holds (loaded first): most months
    between 5 and 8.5, 米村镇 above 9 in November, a broken collector and insects picked out."""
    if context.session is None:
        return []
    rng = context.rng
    sites = context.session.scalars(select(DustFallSite).order_by(DustFallSite.key)).all()
    rows = []
    area = 176.71  # a collector of 15 cm inner diameter
    for first in (date(2017, 10, 1), date(2017, 11, 1), date(2017, 12, 1)):
        month = f"{first:%Y-%m}"
        start = first
        end = next_month(first)
        for number, site in enumerate(sites):
            target = rng.uniform(5.0, 8.5)
            if site.area_code == "410183101" and first.month == 11:
                target = rng.uniform(9.4, 10.2)
            blank = 0.0012
            mass = round(target * area * (end - start).days / 30 / 1e4 + blank, 4)
            broken = first.month == 12 and number == 3
            rows.append(
                DustFallSampleRow(
                    key=sample_key(site.key, month),
                    name=f"{site.name}{first:%Y年%m月}样品",
                    area_code=site.area_code,
                    unit_code="hbj",
                    address=site.address,
                    longitude=site.longitude,
                    latitude=site.latitude,
                    note="示例数据 / sample",
                    site_key=site.key,
                    month=month,
                    exposure_start=start,
                    exposure_end=end,
                    collector_area_cm2=area,
                    mass_g=mass,
                    blank_g=blank,
                    container_intact=not broken,
                    blank_ok=True,
                    contamination="removed" if number == 1 else "none",
                    lab_no=f"XMJC-JC-{first:%Y%m}-{number + 1:03d}",
                )
            )
    return rows


KIND = RegisterKind(
    key=KEY,
    zh="降尘样品",
    en="dust-fall sample",
    tasks=("1", "33"),
    model=DustFallSample,
    row=DustFallSampleRow,
    columns=columns(
        Column("site_key", "site", "点位编码", aliases=("点位",), example="JC-100-01", width=12),
        Column("month", "month", "监测月份", example="2017-11", note_zh="如 2017-11", width=10),
        Column("exposure_start", "exposure start", "放缸日期", example="2017-11-01", width=12),
        Column("exposure_end", "exposure end", "收缸日期", example="2017-12-01", width=12),
        Column(
            "collector_area_cm2",
            "collector area cm2",
            "集尘缸口面积（平方厘米）",
            example="176.71",
            note_zh="内径 15 厘米的集尘缸为 176.71",
            note_en="176.71 for a collector of 15 cm inner diameter",
            width=12,
        ),
        Column("mass_g", "mass g", "降尘质量（克）", example="0.1012", width=12),
        Column("blank_g", "blank g", "空白质量（克）", example="0.0012", width=12),
        Column("container_intact", "container intact", "集尘缸完好", example="是", width=10),
        Column("blank_ok", "blank ok", "空白试验合格", example="是", width=10),
        Column(
            "contamination",
            "contamination",
            "异物污染",
            choices=CONTAMINATION,
            example="无 none",
            width=16,
        ),
        Column("lab_no", "lab no", "分析编号", example="XMJC-JC-201711-001"),
    ),
    lifecycle=LIFECYCLE,
    register_rules=(
        RegisterRule(
            RULE_KEY,
            "乡镇降尘量超标",
            "township above the dust-fall limit",
            CLAUSE_33,
            _townships_over,
        ),
    ),
    indicators=(Indicator(TARGET, _worst_township),),
    sample=_sample,
    list_fields=("site_key", "month", "contamination"),
    filter_fields=("contamination",),
    # After the sites it samples: the demo loads the sites first.
    order=33,
    admit=_admit,
    panels=_panels,
    marks=_marks,
    pages=(("/sources/dust_fall_sample/report", "降尘月报", "monthly dust-fall report"),),
    notes=(
        (
            "每个点位每月一个样品，编号为 点位编码-年月（如 JC-100-01-201711）；降尘量按 GB/T 15265 "
            "由平台计算（吨/平方公里·30天），质控结论由平台判定：暴露 28～32 天、集尘缸完好、空白合格、"
            "无鸟粪等污染，无效样品保留并显示，不计入乡镇月均值。",
            "One sample per site and month, keyed <site code>-<yyyymm> (e.g. JC-100-01-201711); "
            "the platform computes the dust fall by GB/T 15265 (t/km² per 30 days) and the QC "
            "verdict: 28–32 days exposed, collector intact, blank within limits, no spoiling "
            "contamination. Invalid samples are kept and shown, never counted.",
        ),
    ),
)
