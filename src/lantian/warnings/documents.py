"""The notice of a warning decision as a Word document and as a PDF (issue 14).

The notice text is :func:`lantian.warnings.service.render_notice`'s plain text: line 1 the title,
then the document number, the addressees, the body, the closing and the issuing office with the
date (the layout of an administrative notice, GB/T 9704-2012 in spirit: title centred, number
centred under it, issuer and date right-aligned). The PDF embeds the CJK font shipped with lantian
(:mod:`lantian.fonts`), so it reads the same on a machine without any Chinese font; the Word file
names 宋体 (SimSun) for East-Asian text, which every Chinese Word installation has.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from lantian.fonts import CJK_FONT, SYSTEM_SC_INDEX, covered_characters, system_fallback


@dataclass(frozen=True)
class NoticeParts:
    title: str
    number: str
    body: list[str]  # paragraphs between the number and the signature
    issuer: str
    date: str


def notice_parts(text: str) -> NoticeParts:
    """Split the notice text into its parts (blank lines separate them)."""
    lines = [line.strip() for line in text.strip().splitlines()]
    paragraphs = [line for line in lines if line]
    if len(paragraphs) < 4:
        return NoticeParts(paragraphs[0] if paragraphs else "", "", paragraphs[1:], "", "")
    title, number = paragraphs[0], paragraphs[1]
    issuer, date = paragraphs[-2], paragraphs[-1]
    return NoticeParts(title, number, paragraphs[2:-2], issuer, date)


def notice_docx(text: str) -> bytes:
    """The notice as a .docx (python-docx)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    parts = notice_parts(text)
    document = Document()
    document.core_properties.title = parts.title
    document.core_properties.author = parts.issuer or "lantian"
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(14)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), "宋体")

    def paragraph(
        words: str, align: WD_ALIGN_PARAGRAPH, *, bold: bool = False, size: int = 14
    ) -> None:
        made = document.add_paragraph()
        made.alignment = align
        run = made.add_run(words)
        run.bold = bold
        run.font.size = Pt(size)
        run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")

    paragraph(parts.title, WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=20)
    if parts.number:
        paragraph(parts.number, WD_ALIGN_PARAGRAPH.CENTER)
    for words in parts.body:
        paragraph(words, WD_ALIGN_PARAGRAPH.JUSTIFY)
    for words in (parts.issuer, parts.date):
        if words:
            paragraph(words, WD_ALIGN_PARAGRAPH.RIGHT)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def notice_pdf(text: str) -> bytes:
    """The notice as an A4 PDF with the shipped CJK font embedded (fpdf2, subset on embedding)."""
    from fpdf import FPDF

    parts = notice_parts(text)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(28, 37, 26)  # GB/T 9704-2012 type area: top 37 mm, left 28 mm
    pdf.set_auto_page_break(True, margin=35)
    pdf.set_title(parts.title)
    pdf.set_author(parts.issuer or "lantian")
    pdf.set_creator("lantian")
    pdf.add_font("cjk", fname=str(CJK_FONT))
    fallback = system_fallback()
    covered = covered_characters()
    if fallback is not None and any(ord(c) not in covered for c in text if c not in "\r\n\t"):
        # A character outside the shipped subset (a rare hanzi in a typed reason) is drawn from
        # the machine's full Noto Sans CJK, when it has one (read only then: it is 19 MB).
        pdf.add_font("cjk-full", fname=str(fallback), collection_font_number=SYSTEM_SC_INDEX)
        pdf.set_fallback_fonts(["cjk-full"])
    pdf.add_page()
    pdf.set_font("cjk", size=20)
    pdf.multi_cell(0, 12, parts.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("cjk", size=14)
    if parts.number:
        pdf.multi_cell(0, 9, parts.number, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
    for words in parts.body:
        pdf.multi_cell(0, 9, words, align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.ln(8)
    for words in (parts.issuer, parts.date):
        if words:
            pdf.multi_cell(0, 9, words, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
