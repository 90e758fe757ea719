"""One plan per factory (一厂一策, seed task 41(2)): an enterprise's measures per level on one sheet.

The same content as an Excel workbook and as a Word document: the enterprise, its lines with
their normal daily emissions and the source of each number, its livelihood duties, the measures in
force at each warning level with their reductions, and (when given) its staggered-production notes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from lantian.emissions.excel import KIND_LABELS, level_title
from lantian.emissions.models import Enterprise, ReductionMeasure
from lantian.emissions.service import enterprise_daily, facts_of, get_enterprise, get_list
from lantian.emissions.staggered import StaggeredPlan, obligations
from lantian.emissions.targets import POLLUTANTS, Level
from lantian.plan import LevelScheme
from lantian.tabular import put, workbook_bytes

SOURCE_LABELS = {"permit": "排污许可", "cems": "在线监测", "inventory": "清单估算"}
DUTY_LABELS = {
    "heating": "居民供暖",
    "waste_coprocessing": "协同处置城市垃圾",
    "hazardous_waste": "协同处置危险废物",
    "other": "其他保民生任务",
}
_POLLUTANT_HEADS = [p.label.split()[-1] for p in POLLUTANTS]


@dataclass(frozen=True)
class FactorySheet:
    """The content of one enterprise's sheet, as tables of text."""

    title: str
    facts: list[tuple[str, str]]
    lines: list[list[str]]
    measures: list[list[str]]
    notes: list[str] = field(default_factory=list)


LINE_HEAD = ["生产线/工序", *(f"{p} (t/d)" for p in _POLLUTANT_HEADS), "数据来源"]
MEASURE_HEAD = ["预警级别", "措施类型", "措施内容", *(f"{p} 减排 (t/d)" for p in _POLLUTANT_HEADS)]


def build_sheet(
    enterprise: Enterprise,
    measures: Mapping[Level, ReductionMeasure],
    list_name: str,
    levels: LevelScheme,
    notes: Sequence[str] = (),
) -> FactorySheet:
    daily = enterprise_daily(enterprise)
    facts = [
        ("企业名称", enterprise.name),
        ("统一社会信用代码", enterprise.credit_code),
        ("区域代码", enterprise.area_code),
        ("行业", enterprise.industry),
        ("绩效等级", enterprise.grade or "—"),
        ("排污许可证", enterprise.permit_number or "—"),
        ("重点用车企业", "是" if enterprise.key_transport else "否"),
        ("省级批准文件（任务38）", enterprise.provincial_approval or "—"),
        ("日排放量 (t/d)", "，".join(f"{h} {daily[p]:.4f}" for h, p in zip(_POLLUTANT_HEADS, POLLUTANTS, strict=True))),
        ("减排清单", list_name),
    ]  # fmt: skip
    for duty in enterprise.duties:
        facts.append(
            (
                "保民生任务",
                f"{DUTY_LABELS.get(duty.duty, duty.duty)}，核定最大允许负荷 {duty.max_load:.0%}"
                + (f"（{duty.approval}）" if duty.approval else ""),
            )
        )
    if enterprise.sample:
        facts.append(("说明", "示例数据 / sample：非真实企业"))
    lines = []
    for line in enterprise.lines:
        sources = sorted(
            {SOURCE_LABELS.get(getattr(line, f"{p.value}_source"), "") for p in POLLUTANTS}
        )
        lines.append(
            [line.name, *(f"{getattr(line, p.value):.4f}" for p in POLLUTANTS), "、".join(sources)]
        )
    rows = []
    for level in levels.keys:
        measure = measures.get(level)
        if measure is None:
            rows.append([level_title(levels, level), "—", "无措施", *("0" for _ in POLLUTANTS)])
            continue
        label = KIND_LABELS.get(measure.kind, measure.kind)
        if measure.kind == "limit":
            label = f"{label} {measure.output_cut:.0%}"
        rows.append(
            [
                level_title(levels, level),
                label,
                measure.description,
                *(f"{getattr(measure, p.value):.4f}" for p in POLLUTANTS),
            ]
        )
    return FactorySheet(
        title=f"{enterprise.name} 重污染天气应急减排“一厂一策”实施方案",
        facts=facts,
        lines=lines,
        measures=rows,
        notes=list(notes),
    )


def sheet_xlsx(sheet: FactorySheet) -> bytes:
    workbook = Workbook()
    page = workbook.active
    assert page is not None
    page.title = "一厂一策"
    lines: list[list[str]] = [[sheet.title], []]
    lines += [[key, value] for key, value in sheet.facts]
    lines += [[], ["生产线及正常日排放量 / lines and normal daily emissions"], LINE_HEAD]
    lines += sheet.lines
    lines += [[], ["各级预警减排措施（逐级累加） / measures per level, cumulative"], MEASURE_HEAD]
    lines += sheet.measures
    if sheet.notes:
        lines += [[], ["错峰生产与运输 / staggered production and transport"]]
        lines += [[note] for note in sheet.notes]
    for number, line in enumerate(lines, start=1):
        for column, text in enumerate(line, start=1):
            # Names and descriptions typed by people: text, never a formula.
            put(page, number, column, text)
    page.cell(1, 1).font = Font(bold=True, size=14)
    page.column_dimensions["A"].width = 22
    page.column_dimensions["B"].width = 40
    page.column_dimensions["C"].width = 30
    return workbook_bytes(workbook)


def sheet_docx(sheet: FactorySheet) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(10.5)
    # East Asian text takes the eastAsia font attribute, not the Latin one.
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(sheet.title)
    run.bold = True
    run.font.size = Pt(15)
    facts = document.add_table(rows=0, cols=2)
    facts.style = "Table Grid"
    for key, value in sheet.facts:
        cells = facts.add_row().cells
        cells[0].text, cells[1].text = key, value
    for title, head, rows in (
        ("一、生产线及正常日排放量", LINE_HEAD, sheet.lines),
        ("二、各级预警减排措施（逐级累加）", MEASURE_HEAD, sheet.measures),
    ):
        document.add_paragraph().add_run(title).bold = True
        table = document.add_table(rows=1, cols=len(head))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, head, strict=True):
            cell.text = text
        for row in rows:
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = text
    if sheet.notes:
        document.add_paragraph().add_run("三、错峰生产与运输").bold = True
        for note in sheet.notes:
            document.add_paragraph(note, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def factory_sheet(
    session: Session,
    credit_code: str,
    list_id: int,
    rules: StaggeredPlan,
    suffix: str,
    levels: LevelScheme,
) -> bytes:
    """One enterprise's sheet for one list, with its staggered-production obligations, one row
    per level of the plan's warning scheme."""
    enterprise = get_enterprise(session, credit_code)
    stored = get_list(session, list_id)
    measures = {m.level: m for m in stored.measures if m.enterprise_id == enterprise.id}
    notes = [o.describe() for o in obligations(facts_of(enterprise), rules)]
    built = build_sheet(enterprise, measures, stored.name, levels, notes)
    return sheet_docx(built) if suffix == ".docx" else sheet_xlsx(built)
