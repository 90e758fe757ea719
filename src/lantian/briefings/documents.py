"""A briefing rendered three ways: Word (.docx), PDF and Excel (.xlsx).

The layout is an administrative briefing's (GB/T 9704-2012 in spirit, as
:mod:`lantian.warnings.documents` lays out a notice): the title centred in large type, the 文号
line under it (新密市攻坚办〔2018〕第N期) with the issuer and date, a lead paragraph, the sections
numbered 一、二、三、 with their tables and images (charts and the map of
:mod:`lantian.briefings.charts`), and 主送/抄送 at the end. The PDF embeds the CJK font shipped
with lantian; the Word file names 宋体 for East-Asian text (every Chinese Word has it) and carries
the images as PNG. The Excel workbook holds the same figures as tables, one sheet per subject.
"""

from __future__ import annotations

import io
from typing import Any

from lantian.briefings.figures import Briefing
from lantian.briefings.text import Image, Paragraph, Table, sections, summary
from lantian.fonts import CJK_FONT, SYSTEM_SC_INDEX, covered_characters, system_fallback
from lantian.tabular import workbook_bytes


def _all_text(b: Briefing) -> str:
    parts = [b.title, b.document_number, b.issuer, summary(b)]
    for heading, blocks in sections(b):
        parts.append(heading)
        for block in blocks:
            if isinstance(block, Paragraph):
                parts.append(block.text)
            elif isinstance(block, Table):
                parts.extend(block.headers)
                parts.extend(cell for row in block.rows for cell in row)
            else:
                parts.append(block.caption)
    parts += [b.template.recipients_main, b.template.recipients_copy]
    return "".join(parts)


def briefing_docx(b: Briefing, images: dict[str, bytes]) -> bytes:
    """The briefing as a .docx (python-docx), images embedded."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    document.core_properties.title = f"{b.title} {b.document_number}"
    document.core_properties.author = b.issuer
    for section in document.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")

    def paragraph(
        words: str,
        align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY,
        *,
        bold: bool = False,
        size: float = 12,
        colour: RGBColor | None = None,
        indent: bool = False,
    ) -> None:
        made = document.add_paragraph()
        made.alignment = align
        if indent:
            made.paragraph_format.first_line_indent = Pt(size * 2)
        run = made.add_run(words)
        run.bold = bold
        run.font.size = Pt(size)
        if colour is not None:
            run.font.color.rgb = colour
        run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")

    red = RGBColor(0xC0, 0x00, 0x00)
    paragraph(b.title, WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=22, colour=red)
    paragraph(b.document_number, WD_ALIGN_PARAGRAPH.CENTER, size=14)
    paragraph(f"{b.issuer}　　{b.issued_on:%Y年%m月%d日}", WD_ALIGN_PARAGRAPH.CENTER, size=12)
    paragraph("―" * 28, WD_ALIGN_PARAGRAPH.CENTER, colour=red)
    paragraph(summary(b), indent=True)
    for heading, blocks in sections(b):
        paragraph(heading, WD_ALIGN_PARAGRAPH.LEFT, bold=True, size=14)
        for block in blocks:
            if isinstance(block, Paragraph):
                paragraph(block.text, indent=True)
            elif isinstance(block, Table):
                table = document.add_table(rows=1, cols=len(block.headers))
                table.style = "Table Grid"
                table.alignment = WD_TABLE_ALIGNMENT.CENTER
                for cell, words in zip(table.rows[0].cells, block.headers, strict=True):
                    cell.text = words
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
                for row in block.rows:
                    cells = table.add_row().cells
                    for cell, words in zip(cells, row, strict=True):
                        cell.text = words
            elif isinstance(block, Image) and block.name in images:
                document.add_picture(io.BytesIO(images[block.name]), width=Cm(15))
                document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                paragraph(block.caption, WD_ALIGN_PARAGRAPH.CENTER, size=10)
    paragraph("", WD_ALIGN_PARAGRAPH.LEFT)
    if b.template.recipients_main:
        paragraph(f"主送：{b.template.recipients_main}", WD_ALIGN_PARAGRAPH.LEFT)
    if b.template.recipients_copy:
        paragraph(f"抄送：{b.template.recipients_copy}", WD_ALIGN_PARAGRAPH.LEFT)
    paragraph(f"{b.issuer}　　{b.issued_on:%Y年%m月%d日}印发", WD_ALIGN_PARAGRAPH.RIGHT)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def briefing_pdf(b: Briefing, images: dict[str, bytes]) -> bytes:
    """The briefing as an A4 PDF with the shipped CJK font embedded (fpdf2) and the images."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    CHAR = WrapMode.CHAR  # Chinese breaks between any two characters, not only at spaces

    class BriefingPDF(FPDF):
        """Pages numbered at the foot (— 2 —, GB/T 9704-2012 §7.5) and, from the second page,
        the 文号 at the head: every page begins with text in the document's font, which also
        lets text extractors (pypdf) read a page that a table continues onto."""

        def header(self) -> None:
            self.set_font("cjk", size=8)
            self.set_text_color(120, 120, 120)
            shown = b.document_number if self.page_no() > 1 else " "
            self.cell(0, 5, shown, align="R", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)

        def footer(self) -> None:
            self.set_y(-18)
            self.set_font("cjk", size=10)
            self.cell(0, 6, f"— {self.page_no()} —", align="C")

    pdf = BriefingPDF(format="A4", unit="mm")
    pdf.set_margins(28, 30, 26)
    pdf.set_auto_page_break(True, margin=25)
    pdf.set_title(f"{b.title} {b.document_number}")
    pdf.set_author(b.issuer)
    pdf.set_creator("lantian")
    pdf.add_font("cjk", fname=str(CJK_FONT))
    text = _all_text(b)
    fallback = system_fallback()
    covered = covered_characters()
    if fallback is not None and any(ord(c) not in covered for c in text if c not in "\r\n\t"):
        pdf.add_font("cjk-full", fname=str(fallback), collection_font_number=SYSTEM_SC_INDEX)
        pdf.set_fallback_fonts(["cjk-full"])
    pdf.add_page()
    width = pdf.epw
    pdf.set_text_color(192, 0, 0)
    pdf.set_font("cjk", size=22)
    pdf.multi_cell(0, 12, b.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", size=14)
    pdf.multi_cell(0, 9, b.document_number, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(
        0, 7, f"{b.issuer}　　{b.issued_on:%Y年%m月%d日}", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_draw_color(192, 0, 0)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.l_margin + width, pdf.get_y() + 2)
    pdf.ln(6)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_font("cjk", size=12)
    pdf.multi_cell(
        0, 7, "　　" + summary(b), align="L", new_x="LMARGIN", new_y="NEXT", wrapmode=CHAR
    )
    pdf.ln(2)
    for heading, blocks in sections(b):
        pdf.set_font("cjk", size=14)
        pdf.multi_cell(0, 9, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=12)
        for block in blocks:
            if isinstance(block, Paragraph):
                pdf.multi_cell(
                    0, 7, "　　" + block.text, align="L", new_x="LMARGIN", new_y="NEXT",
                    wrapmode=CHAR,
                )  # fmt: skip
                pdf.ln(1)
            elif isinstance(block, Table):
                pdf.set_font("cjk", size=9)
                with pdf.table(
                    headings_style=FontFace(emphasis=None, fill_color=(230, 236, 245)),
                    line_height=5.5,
                    text_align="CENTER",
                    col_widths=block.widths,
                    wrapmode=CHAR,
                ) as table:
                    table.row(block.headers)
                    for row in block.rows:
                        table.row(row)
                pdf.set_font("cjk", size=12)
                pdf.ln(2)
            elif isinstance(block, Image) and block.name in images:
                from PIL import Image as PILImage

                picture = PILImage.open(io.BytesIO(images[block.name]))
                shown_w = min(width, 150.0)
                shown_h = shown_w * picture.height / picture.width
                if pdf.get_y() + shown_h + 8 > pdf.h - pdf.b_margin:
                    pdf.add_page()
                pdf.image(
                    io.BytesIO(images[block.name]),
                    x=pdf.l_margin + (width - shown_w) / 2,
                    w=shown_w,
                    h=shown_h,
                )
                pdf.set_font("cjk", size=9)
                pdf.multi_cell(0, 5, block.caption, align="C", new_x="LMARGIN", new_y="NEXT")
                pdf.set_font("cjk", size=12)
                pdf.ln(2)
    pdf.ln(4)
    pdf.set_font("cjk", size=11)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(1)
    if b.template.recipients_main:
        pdf.multi_cell(0, 7, f"主送：{b.template.recipients_main}", new_x="LMARGIN", new_y="NEXT")
    if b.template.recipients_copy:
        pdf.multi_cell(0, 7, f"抄送：{b.template.recipients_copy}", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0,
        7,
        f"{b.issuer}　　{b.issued_on:%Y年%m月%d日}印发",
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def briefing_xlsx(b: Briefing) -> bytes:
    """The same figures as an Excel workbook: a summary sheet, the daily values, the ranking,
    warnings, targets, escalations and enforcement, one sheet each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "概况"

    def fill(worksheet: Any, rows: list[list[Any]]) -> None:
        for row in rows:
            worksheet.append(row)
        for cell in worksheet[1]:
            cell.font = Font(bold=True)

    air, before = b.air, b.air_before
    fill(
        sheet,
        [
            ["项目", "本期", "去年同期", "同比变化(%)"],
            ["标题", b.title, "", ""],
            ["文号", b.document_number, "", ""],
            [
                "时段",
                f"{b.first:%Y-%m-%d} 至 {b.last:%Y-%m-%d}",
                f"{before.first:%Y-%m-%d} 至 {before.last:%Y-%m-%d}",
                "",
            ],
            ["有效监测天数", air.measured, before.measured, None],
            ["无数据天数", air.missing, before.missing, None],
            ["优良天数", air.good, before.good, None],
            ["重度及以上污染天数", air.heavy, before.heavy, None],
            ["AQI 均值", air.mean_aqi, before.mean_aqi, None],
            ["PM2.5 平均浓度(µg/m³)", air.pm2_5, before.pm2_5, b.pm2_5_change],
            ["PM10 平均浓度(µg/m³)", air.pm10, before.pm10, b.pm10_change],
            ["预警决定次数", len(b.warnings), None, None],
            ["新交办督查案件", b.cases.opened, None, None],
            ["办结督查案件", b.cases.closed, None, None],
            ["期末在办案件", b.cases.open_at_end, None, None],
            ["其中逾期", b.cases.overdue_open, None, None],
            [
                "行政处罚决定数(" + "、".join(b.enforcement.months) + ")",
                b.enforcement.actions,
                None,
                None,
            ],
            ["罚没金额(元)", b.enforcement.fines_total, None, None],
            ["生成日期", f"{b.issued_on:%Y-%m-%d}", None, None],
        ],
    )
    days = book.create_sheet("逐日")
    fill(
        days,
        [
            [
                "日期",
                "AQI",
                "级别",
                "PM2.5",
                "PM10",
                "首要污染物",
                "去年同日",
                "去年 AQI",
                "去年 PM2.5",
            ]
        ]
        + [
            [
                f"{d.day:%Y-%m-%d}",
                d.aqi,
                d.level or None,
                d.pm2_5,
                d.pm10,
                ",".join(d.primary),
                f"{p.day:%Y-%m-%d}" if p else None,
                p.aqi if p else None,
                p.pm2_5 if p else None,
            ]
            for d, p in zip(air.days, before.days + [None] * len(air.days), strict=False)
        ],
    )
    ranking = book.create_sheet("排名")
    fill(
        ranking,
        [["排名", "代码", "名称", "综合指数", "PM2.5(µg/m³)", "有效天数"]]
        + [[r.rank, r.code, r.name, r.composite, r.pm2_5, r.valid_days] for r in b.ranking],
    )
    warned = book.create_sheet("预警")
    fill(
        warned,
        [["时间(UTC)", "决定", "级别", "范围", "决定人"]]
        + [
            [w.decided_at.replace(tzinfo=None), w.action, w.level, w.areas, w.decided_by]
            for w in b.warnings
        ],
    )
    target_sheet = book.create_sheet("目标")
    fill(
        target_sheet,
        [["指标", "比较", "目标值", "单位", "当前值", "达到", "逾期", "来源"]]
        + [
            [
                t.indicator,
                t.comparator,
                t.value,
                t.unit,
                t.actual,
                None if t.met is None else ("是" if t.met else "否"),
                "是" if t.overdue else "否",
                "数据计算" if t.computed else "填报",
            ]
            for t in b.targets
        ],
    )
    late = book.create_sheet("督办")
    fill(
        late,
        [["单位/乡镇", "逾期未完成任务", "进展未报或迟报"]]
        + [[line.who, line.missed, line.reports] for line in b.late],
    )
    enforcement = book.create_sheet("执法")
    fill(
        enforcement,
        [["乡镇（街道）", "处罚决定数", "罚没金额(元)"]]
        + [[name, n, amount] for name, n, amount in b.enforcement.by_township],
    )
    # workbook_bytes: no cell of the file is ever a formula (formula injection)
    return workbook_bytes(book)
