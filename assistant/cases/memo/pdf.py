"""The memo as a PDF (reportlab platypus): wrapped paragraphs and tables, a boxed warning, page numbers.

Only renders the format-neutral blocks of ``memo.memo_blocks``; reportlab is imported here, so it
loads only when a .pdf memo is written. Table cells are Paragraphs, so long facts and quotes wrap.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from .blocks import Block

FOOTER = "Unofficial restatement of the 2021 guidelines; not legal advice."
UNICODE_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/Library/Fonts", "C:/Windows/Fonts")
"""Where DejaVu Sans is looked for: it covers names in most Latin, Greek and Cyrillic scripts, which the
PDF base font Helvetica (Western European only) shows as boxes. Without it, Helvetica is used."""


def render_pdf(blocks: list[Block], title: str = "Factor analysis memo") -> bytes:
    """The PDF file's bytes for the memo blocks."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    styles = getSampleStyleSheet()
    for name in ("Title", "Heading1", "Heading2", "Heading3"):
        styles[name].fontName = bold
    body = ParagraphStyle("memo-body", parent=styles["BodyText"], fontName=regular, fontSize=9.5, leading=12)
    cell = ParagraphStyle("memo-cell", parent=body, fontSize=8.5, leading=10.5)
    head = ParagraphStyle("memo-cell-head", parent=cell, fontName=bold)
    quote = ParagraphStyle("memo-quote", parent=body, leftIndent=18, textColor=colors.HexColor("#1F3B5C"))
    warn = ParagraphStyle("memo-warning", parent=body, fontName=bold, textColor=colors.HexColor("#9C0006"))
    heading = {1: styles["Heading1"], 2: styles["Heading2"], 3: styles["Heading3"]}

    width = LETTER[0] - 2 * inch
    story: list = []
    for b in blocks:
        if b.kind == "title":
            story.append(Paragraph(_text(b.text), styles["Title"]))
        elif b.kind == "heading":
            story.append(Paragraph(_text(b.text), heading.get(b.level, styles["Heading3"])))
        elif b.kind == "para":
            lead = f"<b>{_text(b.lead)}</b>" if b.lead else ""
            story.append(Paragraph(lead + _text(b.text), body))
        elif b.kind == "quote":
            story.append(Paragraph(f"\u201c{_text(b.text)}\u201d [{b.ref}]", quote))
        elif b.kind == "warning":
            box = Table([[Paragraph(_text(b.text), warn)]], colWidths=[width])
            box.setStyle(TableStyle([
                ("BOX", (0, 0), (-1, -1), 1.5, colors.HexColor("#9C0006")),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#FDE9D9")),
                ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]))
            story += [Spacer(1, 6), box, Spacer(1, 6)]
        elif b.kind == "bullets":
            items = [ListItem(Paragraph(_text(item), body), leftIndent=12) for item in b.items]
            story.append(ListFlowable(items, bulletType="bullet", start="\u2022", leftIndent=12))
        elif b.kind == "table":
            with_header = any(b.header)
            rows = [[Paragraph(_text(h), head) for h in b.header]] if with_header else []
            rows += [
                [Paragraph(_text(c), head if (not with_header and i == 0) else cell) for i, c in enumerate(row)]
                for row in b.rows
            ]
            table = Table(rows, colWidths=_widths(len(rows[0]), width, with_header), repeatRows=int(with_header))
            style = [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
            if with_header:
                style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9E2F3")))
            table.setStyle(TableStyle(style))
            story += [Spacer(1, 4), table, Spacer(1, 8)]

    def _page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.drawString(inch, 0.6 * inch, FOOTER)
        canvas.drawRightString(LETTER[0] - inch, 0.6 * inch, f"Page {doc.page}")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=LETTER, leftMargin=inch, rightMargin=inch, topMargin=inch, bottomMargin=inch,
        title=title, author="guidance-assistant", subject=FOOTER,
    )
    doc.build(story, onFirstPage=_page, onLaterPages=_page)
    return buf.getvalue()


def _fonts() -> tuple[str, str]:
    """The regular and bold font names: DejaVu Sans when it is installed, else Helvetica."""
    from pathlib import Path

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "MemoSans" in pdfmetrics.getRegisteredFontNames():
        return "MemoSans", "MemoSans-Bold"
    for folder in map(Path, UNICODE_FONT_DIRS):
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("MemoSans", str(regular)))
            pdfmetrics.registerFont(TTFont("MemoSans-Bold", str(bold)))
            return "MemoSans", "MemoSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _widths(ncols: int, width: float, with_header: bool) -> list[float]:
    if ncols == 3:  # fact | factor | citation
        shares = [0.45, 0.25, 0.30]
    elif ncols == 5:  # the check report
        shares = [0.11, 0.2, 0.17, 0.37, 0.15]
    elif ncols == 2 and not with_header:  # the header's label | value
        shares = [0.28, 0.72]
    else:
        shares = [1 / ncols] * ncols
    return [width * s for s in shares]


def _text(text: str) -> str:
    # Paragraph takes a small XML markup; the memo's text is plain, so escape it and keep its line breaks.
    return escape(text).replace("\n", "<br/>")
