"""Word documents: the coordination group's daily summary and a case's supervision notice (督办单).

Built with python-docx, Chinese text in 宋体 (SimSun) for the body and 黑体 (SimHei) for titles — the
fonts every Chinese government Windows machine has; Word substitutes one elsewhere. No template file:
another city restyles by opening the result in Word.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.run import Run

from lantian.supervision.groups import InspectionSupportPlan
from lantian.supervision.models import CaseEvent, InspectionCase
from lantian.supervision.roster import STATUS_LABELS, Summary
from lantian.supervision.rules import STATE_LABELS, TIMELINE_LABELS, CaseState
from lantian.supervision.service import SEVERITY_LABELS, SOURCE_LABELS
from lantian.timeutil import to_china

BODY_FONT, TITLE_FONT = "宋体", "黑体"


def _font(run: Run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)  # python-docx sets only the Latin font by itself


def _title(document: DocumentObject, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(text), TITLE_FONT, 18, bold=True)


def _line(document: DocumentObject, text: str, bold: bool = False, size: float = 12) -> None:
    _font(document.add_paragraph().add_run(text), BODY_FONT, size, bold)


def _bytes(document: DocumentObject) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _cn(moment: datetime | None) -> str:
    return to_china(moment).strftime("%Y年%m月%d日 %H:%M") if moment else "—"


def summary_document(summary: Summary, plan: InspectionSupportPlan) -> bytes:
    """The daily summary (日报汇总) of §三(三), addressed to the coordination office's director."""
    document = Document()
    _title(document, "强化督查巡查保障工作日报汇总")
    _line(document, f"日期：{summary.report_date:%Y年%m月%d日}    报：{plan.summary_to}")
    _line(document, f"汇总：{plan.group(plan.collected_by).name}")
    for number, (name, status) in enumerate(summary.sections, start=1):
        zh, _ = STATUS_LABELS[status.status]
        _line(document, f"{number}. {name}（{zh}）", bold=True)
        if status.report is None:
            _line(document, "    未报送。")
            continue
        _line(document, f"    报送时间：{_cn(status.report.submitted_at)}")
        _line(document, f"    当日工作进展：{status.report.progress}")
        _line(document, f"    次日工作安排：{status.report.plan}")
    if summary.late or summary.missing:
        _line(document, "报送情况", bold=True)
        if summary.late:
            _line(document, f"    迟报（晚于 17:00）：{'、'.join(summary.late)}")
        if summary.missing:
            _line(document, f"    未报：{'、'.join(summary.missing)}")
    return _bytes(document)


def notice_document(
    case: InspectionCase,
    events: Sequence[CaseEvent],
    unit_names: dict[str, str] | None = None,
    area_names: dict[str, str] | None = None,
) -> bytes:
    """A case's supervision notice (督办单): what, where, who, by when, and what happened so far."""
    units, areas = unit_names or {}, area_names or {}
    document = Document()
    _title(document, "挂牌督办通知单" if case.listed else "督办单")
    if case.is_sample:
        _line(document, "（示例数据 / sample）")
    _line(document, f"编号：督-{case.id:05d}    交办编号：{case.reference or '—'}")
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    unit = case.unit_code or ""
    area = case.area_code or ""
    rows = [
        ("问题", case.title),
        ("具体情况", case.description or "—"),
        ("来源", SOURCE_LABELS[case.source][0]),
        ("地点", "，".join(x for x in (areas.get(area, area), case.site or "") if x) or "—"),
        (
            "坐标",
            f"{case.longitude:.5f}, {case.latitude:.5f}" if case.longitude is not None else "—",
        ),
        ("严重程度", SEVERITY_LABELS[case.severity][0]),
        ("责任单位", f"{units.get(unit, unit)}（{unit}）" if unit else "—"),
        ("整改期限", _cn(case.deadline)),
        (
            "当前状态",
            STATE_LABELS[CaseState(case.state)][0] + ("（挂牌督办）" if case.listed else ""),
        ),
    ]
    for label, value in rows:
        cells = table.add_row().cells
        _font(cells[0].paragraphs[0].add_run(label), BODY_FONT, 12, bold=True)
        _font(cells[1].paragraphs[0].add_run(value), BODY_FONT, 12)
    _line(document, "办理要求", bold=True)
    _line(
        document,
        "请责任单位按照“边督边改”要求，于整改期限前整改到位，并将整改情况及佐证材料反馈市攻坚办；"
        "逾期未整改的，实行挂牌督办；整改不力的，依规提出问责建议。",
    )
    _line(document, "办理经过", bold=True)
    for event in events:
        label = TIMELINE_LABELS.get(event.event, (event.event, event.event))[0]
        note = f"：{event.note}" if event.note else ""
        _line(document, f"{_cn(event.at)}  {label}（{event.actor}）{note}", size=10.5)
    return _bytes(document)
