"""Each township's monthly dust fall from its valid samples, and the monthly report to the
province's and Zhengzhou's monitoring stations (task 1: "每月向省、郑州市环境监测站报送降尘量").

A township's value for a month is the arithmetic mean of its sites' valid samples of that month
(a sample counts when its GB/T 15265 QC verdict is valid and nobody invalidated it); a township
with sites but no valid sample has no value (None), shown as such, never filled in. Each township
is judged on its own against task 33's limit (the plan's ``dust_fall`` target).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.plan import Plan
from lantian.sources.kinds.dust_fall_samples import (
    DustFallSample,
    counts,
    limit_of,
    meets,
    parse_month,
)
from lantian.sources.kinds.dust_fall_sites import DustFallSite
from lantian.tabular import workbook_bytes


@dataclass(frozen=True)
class TownshipMonth:
    """A township's month: its value (None without a valid sample) and the samples behind it."""

    area_code: str
    value: float | None
    valid: int
    invalid: int
    #: Every counted sample's site and value, e.g. ``JC-100-01 6.21、JC-100-02 7.02``.
    detail: str
    #: Every sample behind it is sample data (示例): a case it opens is marked sample too.
    all_sample: bool


def months_with_samples(session: Session) -> list[date]:
    """The first day of every month some sample stands for, in order."""
    months = session.scalars(select(DustFallSample.month).distinct()).all()
    return sorted(parse_month(month) for month in months)


def _samples(session: Session, month: date) -> list[DustFallSample]:
    return list(
        session.scalars(
            select(DustFallSample)
            .where(DustFallSample.month == f"{month:%Y-%m}")
            .order_by(DustFallSample.site_key)
        )
    )


def _sites(session: Session) -> list[DustFallSite]:
    return list(
        session.scalars(
            select(DustFallSite).where(DustFallSite.state != "retired").order_by(DustFallSite.key)
        )
    )


def township_months(session: Session, month: date) -> dict[str, TownshipMonth]:
    """Every township with a site (not retired) or a sample in ``month``: its value and samples."""
    samples = _samples(session, month)
    codes = sorted({s.area_code for s in _sites(session)} | {s.area_code for s in samples})
    found = {}
    for code in codes:
        own = [s for s in samples if s.area_code == code]
        valid = [s for s in own if counts(s)]
        value = round(math.fsum(s.dust_fall for s in valid) / len(valid), 2) if valid else None
        found[code] = TownshipMonth(
            code,
            value,
            len(valid),
            len(own) - len(valid),
            "、".join(f"{s.site_key} {s.dust_fall:.2f}" for s in valid),
            bool(own) and all(s.is_sample for s in own),
        )
    return found


def township_dust_fall(session: Session, month: date) -> dict[str, float | None]:
    """Township area code → its dust fall of ``month`` in t/(km²·month) from its valid samples
    (None: no valid sample). For the monthly township assessment."""
    first = month.replace(day=1)
    return {code: t.value for code, t in township_months(session, first).items()}


# --- the monthly report --------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteLine:
    """One site's line of the report: its sample of the month, or none."""

    area_code: str
    area_name: str
    site: DustFallSite
    sample: DustFallSample | None

    @property
    def remark(self) -> str:
        if self.sample is None:
            return "本月无样品"
        if self.sample.state == "invalidated":
            return "已作废，不计入"
        return self.sample.qc_remark if self.sample.qc_valid else f"{self.sample.qc_remark}，不计入"


@dataclass(frozen=True)
class TownshipLine:
    area_code: str
    area_name: str
    month: TownshipMonth
    #: Meets the plan's limit (None: no value to judge).
    met: bool | None


@dataclass(frozen=True)
class MonthlyReport:
    """The month's report: every site's line, every township's summary, the city's figures."""

    month: date
    city: str
    reporting_unit: str
    recipients: str
    limit: tuple[str, float] | None
    sites: tuple[SiteLine, ...]
    townships: tuple[TownshipLine, ...]

    @property
    def over(self) -> tuple[TownshipLine, ...]:
        return tuple(t for t in self.townships if t.met is False)

    @property
    def city_mean(self) -> float | None:
        """The mean of the townships' values (shown for reference; nothing is judged on it)."""
        values = [t.month.value for t in self.townships if t.month.value is not None]
        return round(math.fsum(values) / len(values), 2) if values else None


def monthly_report(session: Session, plan: Plan, month: date) -> MonthlyReport:
    """The report of ``month`` (its first day): sites in township and code order."""
    first = month.replace(day=1)
    names = plan.area_names()
    order = {area.code: index for index, area in enumerate(plan.areas)}
    samples = {s.site_key: s for s in _samples(session, first)}
    sites = _sites(session)
    site_keys = {s.key for s in sites}
    # A sample of a site retired since is still reported.
    retired = [
        site
        for site in session.scalars(
            select(DustFallSite).where(
                DustFallSite.key.in_([k for k in samples if k not in site_keys])
            )
        )
    ]
    lines = sorted(
        (
            SiteLine(
                site.area_code,
                names.get(site.area_code, site.area_code),
                site,
                samples.get(site.key),
            )
            for site in (*sites, *retired)
        ),
        key=lambda line: (order.get(line.area_code, len(order)), line.site.key),
    )
    limit = limit_of(plan)
    townships = []
    for code, township in sorted(
        township_months(session, first).items(), key=lambda item: order.get(item[0], len(order))
    ):
        met = None
        if township.value is not None and limit is not None:
            met = meets(township.value, *limit)
        townships.append(TownshipLine(code, names.get(code, code), township, met))
    city = plan.plan.city if plan.plan is not None else ""
    unit = plan.unit_names().get("hbj", "市环保局")
    return MonthlyReport(
        first,
        city,
        f"{city}{unit.removeprefix('市')}" if unit.startswith("市") else unit,
        "河南省环境监测中心站、郑州市环境监测站",
        limit,
        tuple(lines),
        tuple(townships),
    )


def report_workbook(report: MonthlyReport) -> bytes:
    """The report as the .xlsx the monitoring stations receive: a title, the reporting unit and
    month, a table of sites (township, site, coordinates, height, exposure, mass, dust fall, QC
    remark), then each township's summary against the limit, and the method."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{report.month:%Y-%m}降尘"
    headers = [
        "序号",
        "乡镇（街道）",
        "点位编码",
        "点位名称",
        "经度",
        "纬度",
        "采样高度(m)",
        "放缸日期",
        "收缸日期",
        "暴露天数",
        "集尘缸口面积(cm²)",
        "降尘质量(g)",
        "空白(g)",
        "降尘量 t/(km²·30d)",
        "质控说明",
    ]
    width = len(headers)
    title = f"{report.city}降尘监测月报（{report.month.year}年{report.month.month}月）"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([f"报送单位：{report.reporting_unit}", *[""] * 7, f"报送：{report.recipients}"])
    sheet.append([f"监测月份：{report.month:%Y-%m}", *[""] * 7, "方法：GB/T 15265-94 重量法"])
    sheet.append([])
    sheet.append(headers)
    header_row = sheet.max_row
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    bad = PatternFill("solid", fgColor="FFE0E0")
    for number, line in enumerate(report.sites, start=1):
        sample = line.sample
        sheet.append(
            [
                number,
                line.area_name,
                line.site.key,
                line.site.name,
                line.site.longitude,
                line.site.latitude,
                line.site.height_m,
                f"{sample.exposure_start}" if sample else "",
                f"{sample.exposure_end}" if sample else "",
                sample.exposure_days if sample else None,
                sample.collector_area_cm2 if sample else None,
                sample.mass_g if sample else None,
                sample.blank_g if sample else None,
                sample.dust_fall if sample else None,
                line.remark,
            ]
        )
        if sample is None or not counts(sample):
            sheet.cell(row=sheet.max_row, column=width).fill = bad
    for row in sheet.iter_rows(min_row=header_row, max_row=sheet.max_row, max_col=width):
        for cell in row:
            cell.border = border
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center")
    sheet.append([])
    comparator, value = report.limit if report.limit else ("<", math.nan)
    sheet.append(["乡镇（街道）月均降尘量"])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    summary_header = [
        "序号",
        "乡镇（街道）",
        "乡镇代码",
        "有效样品数",
        "无效样品数",
        "月均降尘量 t/(km²·月)",
        f"控制指标 {comparator} {value:g}",
    ]
    sheet.append(summary_header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for number, township in enumerate(report.townships, start=1):
        verdict = {True: "达标", False: "超标", None: "无有效样品"}[township.met]
        sheet.append(
            [
                number,
                township.area_name,
                township.area_code,
                township.month.valid,
                township.month.invalid,
                township.month.value,
                verdict,
            ]
        )
        if township.met is False:
            for column in range(1, len(summary_header) + 1):
                sheet.cell(row=sheet.max_row, column=column).fill = bad
    sheet.append([])
    sheet.append(
        [
            "说明：降尘量 M=(W1−W0−Wc)/(S·n)×30×10⁴，按 GB/T 15265-94 计算；暴露天数不在 28～32 天、"
            "集尘缸破损、空白不合格或受鸟粪、人为干扰、溢出影响的样品为无效样品，不计入乡镇月均值。"
            "各乡镇（街道）分别按控制指标判定（任务33），不以全市平均代替。"
        ]
    )
    sheet.append(["填报人：", "", "", "审核人：", "", "", "填报日期："])
    sizes = (6, 14, 14, 22, 10, 10, 10, 12, 12, 9, 12, 11, 9, 14, 30)
    for letter, size in zip("ABCDEFGHIJKLMNO", sizes, strict=True):
        sheet.column_dimensions[letter].width = size
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    # workbook_bytes: no cell of the file is ever a formula (formula injection)
    return workbook_bytes(book)


def report_month(text: str | None, today: date) -> date:
    """The month a report asks for (``YYYY-MM``), by default the month before ``today``'s (the
    report is sent after the month's samples are weighed); ``Invalid`` for another form."""
    from lantian.errors import Invalid

    if not text:
        return _previous(today)
    try:
        return parse_month(text)
    except ValueError as error:
        raise Invalid(str(error), field="month") from None


def _previous(today: date) -> date:
    first = today.replace(day=1)
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
