"""The memo as a Word document (python-docx): real heading styles, real tables, a shaded warning box.

Only renders the format-neutral blocks of ``memo.memo_blocks``; python-docx is imported here, so
it loads only when a .docx memo is written.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .blocks import Block

WARNING_FILL = "FDE9D9"
HEADER_FILL = "D9E2F3"


def render_docx(blocks: list[Block]) -> bytes:
    """The .docx file's bytes for the memo blocks."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    for b in blocks:
        if b.kind == "title":
            doc.add_heading(b.text, level=0)
            doc.core_properties.title = b.text
        elif b.kind == "heading":
            doc.add_heading(b.text, level=min(b.level, 9))
        elif b.kind == "para":
            para = doc.add_paragraph()
            if b.lead:
                para.add_run(b.lead).bold = True
            para.add_run(b.text)
        elif b.kind == "quote":
            para = doc.add_paragraph(style="Quote")
            para.add_run(f"\u201c{b.text}\u201d")
            para.add_run(f" [{b.ref}]")
        elif b.kind == "warning":
            _warning(doc, b.text)
        elif b.kind == "bullets":
            for item in b.items:
                doc.add_paragraph(item, style="List Bullet")
        elif b.kind == "table":
            _table(doc, b.header, b.rows)
    core = doc.core_properties
    core.author = "guidance-assistant"
    core.comments = "Unofficial restatement; not legal advice."
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _table(doc, header: list[str], rows: list[list[str]]) -> None:
    with_header = any(header)
    ncols = len(header) if header else len(rows[0])
    table = doc.add_table(rows=len(rows) + int(with_header), cols=ncols)
    table.style = "Table Grid"
    start = 0
    if with_header:
        for cell, text in zip(table.rows[0].cells, header):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
            _shade(cell, HEADER_FILL)
        _repeat_header(table.rows[0])
        start = 1
    for r, row in enumerate(rows, start):
        for c, text in enumerate(row):
            cell = table.rows[r].cells[c]
            lines = text.split("\n")
            cell.text = lines[0]
            for line in lines[1:]:
                cell.add_paragraph(line)
            if not with_header and c == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True
    doc.add_paragraph()


def _warning(doc, text: str) -> None:
    from docx.shared import RGBColor

    table = doc.add_table(rows=1, cols=1)
    table.style = "Table Grid"
    cell = table.rows[0].cells[0]
    cell.text = ""
    run = cell.paragraphs[0].add_run(text)
    run.bold = True
    run.font.color.rgb = RGBColor(0x9C, 0x00, 0x06)
    _shade(cell, WARNING_FILL)
    doc.add_paragraph()


def _shade(cell, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    mark = OxmlElement("w:tblHeader")
    mark.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(mark)
