"""Word (.docx) through python-docx: heading styles, list paragraphs, tables and bold run-in leads.

The package is measured before python-docx opens it: its parts' declared sizes together, and each
large part's compression ratio, are bounded (``IngestLimits``). The unzip never yields more than
a part's declared size (a part that inflates further fails its CRC), so a zip bomb is refused
before it is inflated.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import DocumentError

from .common import WS, Draft, over_limit, subject

if TYPE_CHECKING:
    from assistant.config import IngestLimits

RATIO_FROM = 1_000_000  # a part smaller than this (unpacked) may compress as well as it likes


def read_docx(path: Path, limits: IngestLimits) -> tuple[str | None, list[Draft]]:
    """The title (core property, first heading or SUBJECT line) and draft blocks of a .docx file."""
    _check_package(path, limits)
    import docx
    from docx.exceptions import PythonDocxError
    from docx.opc.exceptions import OpcError
    from lxml import etree

    try:
        document = docx.Document(str(path))
        drafts = _docx_drafts(document)
        core_title = document.core_properties.title
    except (OpcError, PythonDocxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, etree.LxmlError) as exc:
        raise DocumentError(
            f"{path} is not a readable Word document ({type(exc).__name__}); open it in Word and save it again as .docx."
        ) from None
    first_heading = next((d.text for d in drafts if d.kind == "heading" and d.level == 1), None)
    return core_title or first_heading or subject(drafts), drafts


def _check_package(path: Path, limits: IngestLimits) -> None:
    """Refuse a package whose parts unpack to too much, or one part compressed like a bomb."""
    try:
        with zipfile.ZipFile(path) as package:
            parts = package.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError):
        raise DocumentError(
            f"{path} is not a readable Word document (not a zip package); open it in Word and save it again as .docx."
        ) from None
    total = sum(part.file_size for part in parts)
    if total > limits.max_unpacked_bytes:
        raise over_limit(path, "what its package unpacks to, in bytes", total, limits.max_unpacked_bytes, "max_unpacked_bytes")
    for part in parts:
        if part.file_size > RATIO_FROM and part.file_size > limits.max_ratio * max(part.compress_size, 1):
            ratio = part.file_size / max(part.compress_size, 1)
            raise over_limit(path, f"the compression ratio of its part {part.filename}", ratio, limits.max_ratio, "max_ratio")


def _docx_drafts(document) -> list[Draft]:
    from docx.table import Table

    drafts: list[Draft] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) not in seen and cell.text.strip():
                        seen.add(id(cell._tc))
                        cells.append(WS.sub(" ", cell.text).strip())
                if cells:
                    drafts.append(Draft("paragraph", " | ".join(cells)))
            continue
        level = _docx_heading_level(item.style)
        if level:
            drafts.append(Draft("heading", item.text, level=level))
            continue
        style = item.style.name if item.style is not None else ""
        ppr = item._p.pPr
        listed = style.startswith("List") or (ppr is not None and ppr.numPr is not None)
        drafts.append(Draft("list_item" if listed else "paragraph", item.text, lead=_docx_lead(item)))
    return drafts


def _docx_heading_level(style) -> int:
    while style is not None:
        match = re.fullmatch(r"Heading (\d)", style.name or "")
        if match:
            return int(match.group(1))
        if style.name == "Title":
            return 1
        style = style.base_style
    return 0


def _docx_lead(paragraph) -> str:
    """The text of the leading bold runs; the whole text when every run is bold."""
    lead = ""
    for part in paragraph.iter_inner_content():
        for run in getattr(part, "runs", [part]):
            if not run.text:
                continue
            bold = run.bold
            if bold is None and run.style is not None:
                bold = run.style.font.bold
            if bold is None and paragraph.style is not None:
                bold = paragraph.style.font.bold
            if not bold and run.text.strip():
                return lead if lead.strip() else ""
            lead += run.text
    return lead
