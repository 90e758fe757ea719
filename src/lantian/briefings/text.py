"""The briefing's body as blocks (paragraphs, tables, images), section by section, in the
template's order and titles, numbered 一、二、三、 — what the Word and PDF renderings lay out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lantian.briefings.figures import Briefing, LateLine
from lantian.sources.kinds.enforcement_actions import ACTION_TYPES
from lantian.timeutil import CHINA_TZ

CHINESE_NUMBERS = "一二三四五六七八九十"
ACTIONS = {"issue": "发布", "upgrade": "升级", "downgrade": "降级", "lift": "解除"}
ESCALATION_NAMES = {
    "missing_report": "进展未报",
    "late_report": "进展迟报",
    "missed_deadline": "逾期未完成",
    "target_missed": "目标未达",
}
COMPARATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (section numbers; a briefing has few sections)."""
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    return (
        (CHINESE_NUMBERS[tens - 1] if tens > 1 else "")
        + "十"
        + (CHINESE_NUMBERS[ones - 1] if ones else "")
    )


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    #: Relative column widths (None: equal).
    widths: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Image:
    name: str  # a key of :func:`lantian.briefings.charts.charts`
    caption: str


Block = Paragraph | Table | Image


def _value(value: float | None, digits: int = 1, unit: str = "") -> str:
    """``1,560,000`` or ``75.8``: grouped, at most ``digits`` decimals, no trailing zeros."""
    if value is None:
        return "—"
    shown = f"{value:,.{digits}f}"
    if "." in shown:
        shown = shown.rstrip("0").rstrip(".")
    return shown + unit


def chinese(text: str) -> str:
    """The Chinese half of a plan text written "中文 / English"."""
    return text.split(" / ")[0].strip()


def _change(value: float | None) -> str:
    if value is None:
        return "无法比较（去年同期无数据）"
    if value < 0:
        return f"同比下降{-value:.1f}%"
    if value > 0:
        return f"同比上升{value:.1f}%"
    return "与去年同期持平"


def air_quality(b: Briefing) -> list[Block]:
    air, before = b.air, b.air_before
    days = (b.last - b.first).days + 1
    text = (
        f"{b.period_text}，全市有效监测{air.measured}天（共{days}天"
        + (f"，{air.missing}天无有效数据" if air.missing else "")
        + f"），优良天数{air.good}天"
        + (f"（优良率{air.good_share:.1f}%）" if air.good_share is not None else "")
        + f"，重度及以上污染天数{air.heavy}天；AQI 均值{_value(air.mean_aqi)}，"
        f"PM2.5 平均浓度{_value(air.pm2_5, unit='微克/立方米')}，{_change(b.pm2_5_change)}；"
        f"PM10 平均浓度{_value(air.pm10, unit='微克/立方米')}，{_change(b.pm10_change)}。"
        f"去年同期优良天数{before.good}天、重度及以上污染天数{before.heavy}天"
        f"（有效监测{before.measured}天）。"
    )
    rows = [
        [
            "本期",
            str(air.measured),
            str(air.good),
            str(air.heavy),
            _value(air.mean_aqi),
            _value(air.pm2_5),
            _value(air.pm10),
        ],
        [
            "去年同期",
            str(before.measured),
            str(before.good),
            str(before.heavy),
            _value(before.mean_aqi),
            _value(before.pm2_5),
            _value(before.pm10),
        ],
    ]
    headers = ["时段", "有效天数", "优良天数", "重污染天数", "AQI均值", "PM2.5", "PM10"]
    return [
        Paragraph(text),
        Table(headers, rows),
        Image("daily_aqi", "图1 全市逐日空气质量指数（柱：本期，线：去年同期）"),
    ]


def ranking(b: Briefing) -> list[Block]:
    ranked = [r for r in b.ranking if r.rank is not None]
    if not ranked:
        return [Paragraph("本期无可排名的乡镇（街道）空气质量数据。")]
    what = (
        "乡镇（街道）" if b.ranking_of_plan else "区域（本市乡镇站点本期无数据，列出有数据的区县）"
    )
    bottom = "、".join(f"{r.name}（第{r.rank}名）" for r in b.bottom)
    blocks: list[Block] = [
        Paragraph(
            f"按空气质量综合指数（HJ 663-2013，越小越好）对{len(ranked)}个{what}排名，"
            f"排名前三的是{'、'.join(r.name for r in ranked[:3])}；排名后{len(b.bottom)}位的是{bottom}，"
            "请相关乡镇（街道）查找原因、落实整改。"
        ),
        Table(
            ["排名", "名称", "综合指数", "PM2.5（微克/立方米）", "有效天数"],
            [
                [
                    str(r.rank or "—"),
                    r.name,
                    _value(r.composite, 2),
                    _value(r.pm2_5, 0),
                    str(r.valid_days),
                ]
                for r in b.ranking
            ],
        ),
        Image("ranking", "图2 综合指数排名（红色：排名末位）"),
        Image("map", "图3 各区域 PM2.5 平均浓度分布"),
    ]
    return blocks


def warnings(b: Briefing) -> list[Block]:
    if not b.warnings:
        text = "本期未发布、调整或解除重污染天气预警。"
        if b.warning_in_force:
            text += f"期末{b.warning_in_force}仍在执行。"
        return [Paragraph(text)]
    blocks: list[Block] = [
        Paragraph(
            f"本期共作出预警决定{len(b.warnings)}次"
            + (
                f"，期末{b.warning_in_force}仍在执行。"
                if b.warning_in_force
                else "，期末无预警执行。"
            )
        ),
        Table(
            ["时间", "决定", "级别", "范围"],
            [
                [
                    f"{w.decided_at.astimezone(CHINA_TZ):%m月%d日 %H:%M}",
                    ACTIONS.get(w.action, w.action),
                    w.level,
                    w.areas,
                ]
                for w in b.warnings
            ],
            (16, 10, 12, 50),
        ),
    ]
    return blocks


#: How many targets a briefing's table lists (the Excel workbook lists every one).
TARGET_ROWS = 15


def targets(b: Briefing) -> list[Block]:
    """The plan's overall targets first, then those past due and not met, then those not yet
    met; every one counted in the sentence."""
    if not b.targets:
        return [Paragraph("尚未导入攻坚计划，无目标可报。")]
    met = sum(1 for t in b.targets if t.met is True)
    overdue = sum(1 for t in b.targets if t.overdue)
    ordered = sorted(
        b.targets,
        key=lambda t: (not t.overall, not t.overdue, t.met is not False, t.met is True),
    )
    rows = []
    for t in ordered[:TARGET_ROWS]:
        state = "已达到" if t.met is True else "未达到" if t.met is False else "无数据"
        if t.overdue:
            state += "（逾期）"
        rows.append(
            [
                chinese(t.indicator),
                f"{COMPARATORS.get(t.comparator, t.comparator)} {t.value:g} {chinese(t.unit)}".strip(),
                _value(t.actual, 1),
                state,
                "数据计算" if t.computed else "填报",
            ]
        )
    shown = (
        f"下表列出总体目标和逾期、未达到的{len(rows)}项，全部目标见 Excel 表。"
        if len(b.targets) > len(rows)
        else ""
    )
    return [
        Paragraph(
            f"方案确定的{len(b.targets)}项量化目标中，截至{b.last:%m月%d日}已达到{met}项，"
            f"逾期未达到{overdue}项。{shown}"
        ),
        Table(["指标", "目标", "当前值", "状态", "来源"], rows, (36, 18, 14, 16, 12)),
    ]


def tasks(b: Briefing) -> list[Block]:
    counts = b.escalation_counts
    if not counts:
        return [Paragraph(f"截至{b.last:%m月%d日}，无待督办事项。")]
    parts = "，".join(f"{ESCALATION_NAMES.get(k, k)}{n}项" for k, n in sorted(counts.items()))
    blocks: list[Block] = [
        Paragraph(f"截至{b.last:%m月%d日}，待督办事项{sum(counts.values())}项：{parts}。")
    ]
    top: list[LateLine] = b.late[:10]
    if top:
        blocks.append(
            Table(
                ["单位/乡镇", "逾期未完成任务", "进展未报或迟报"],
                [[line.who, str(line.missed), str(line.reports)] for line in top],
            )
        )
    return blocks


def cases(b: Briefing) -> list[Block]:
    c = b.cases
    return [
        Paragraph(
            f"本期新交办督查案件{c.opened}件，办结{c.closed}件；期末在办{c.open_at_end}件，"
            f"其中逾期{c.overdue_open}件。"
        )
    ]


def enforcement(b: Briefing) -> list[Block]:
    e = b.enforcement
    span = "、".join(f"{m[:4]}年{m[5:]}" for m in e.months)
    if not e.actions:
        return [Paragraph(f"{span}月未作出行政处罚决定。")]
    types = "，".join(f"{ACTION_TYPES.get(k, k)}{n}件" for k, n in sorted(e.by_type.items()))
    blocks: list[Block] = [
        Paragraph(
            f"{span}月共作出行政处罚决定{e.actions}件（{types}），罚没金额{e.fines_total:,.2f}元"
            + ("（周报按所在月份统计）" if b.kind == "weekly" else "")
            + "。"
        )
    ]
    if e.by_township:
        blocks.append(
            Table(
                ["乡镇（街道）", "处罚决定数", "罚没金额（元）"],
                [[name, str(n), f"{amount:,.2f}"] for name, n, amount in e.by_township],
            )
        )
    return blocks


SECTION_BUILDERS: dict[str, Callable[[Briefing], list[Block]]] = {
    "air_quality": air_quality,
    "ranking": ranking,
    "warnings": warnings,
    "targets": targets,
    "tasks": tasks,
    "cases": cases,
    "enforcement": enforcement,
}


def sections(b: Briefing) -> list[tuple[str, list[Block]]]:
    """(``一、全市空气质量状况``, its blocks) for every section of the template, in its order."""
    return [
        (f"{chinese_number(i)}、{section.title}", SECTION_BUILDERS[section.key](b))
        for i, section in enumerate(b.template.sections, start=1)
    ]


def summary(b: Briefing) -> str:
    """The lead paragraph under the 文号 line."""
    kind = "周" if b.kind == "weekly" else "月"
    return f"现将{b.period_text}（本{kind}）全市大气污染防治攻坚工作情况通报如下。" + "".join(
        f"（{note.split(' / ')[0]}）" for note in b.notes
    )
