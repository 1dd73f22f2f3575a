"""Readers: turn .md .txt .pdf .docx .html files into a ``ParsedDocument``.

One module per format (``markdown``, ``plaintext``, ``pdf``, ``word``, ``html``) yields draft
blocks; ``common.assemble`` lays them out as the canonical text with exact offsets. Every read is
bounded (``config.IngestLimits``): only regular files, their size on disk, what a .docx or PDF
unpacks to, a PDF's pages and the text a document yields. PDFs are read
through pypdf's text visitor: font sizes and baselines tell body text from footnote markers,
footnotes, running headers and page numbers (see ``pdf``).
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path

from assistant.config import IngestLimits
from assistant.errors import DocumentError
from assistant.types import ParsedDocument

from .common import DATE_LINE_RE, MEMO_FIELD_RE, assemble, normalize, over_limit

__all__ = ["DATE_LINE_RE", "MEMO_FIELD_RE", "SUPPORTED_SUFFIXES", "read_document", "slugify"]

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm")
_FORMATS = {".md": "md", ".markdown": "md", ".txt": "txt", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}


def _parser(fmt: str):
    if fmt == "md":
        from .markdown import read_markdown as parse
    elif fmt == "txt":
        from .plaintext import read_txt as parse
    elif fmt == "pdf":
        from .pdf import read_pdf as parse
    elif fmt == "docx":
        from .word import read_docx as parse
    else:
        from .html import read_html as parse
    return parse


def read_document(path: Path, doc_id: str | None = None, limits: IngestLimits | None = None) -> ParsedDocument:
    """Read one file into canonical text and blocks; raise DocumentError when it cannot be used or is over a limit."""
    limits = limits or IngestLimits()
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DocumentError(f"{path} does not exist; check the path and try again.") from None
    except OSError as exc:
        raise DocumentError(f"{path} cannot be opened ({exc.strerror or exc}); check that it is readable.") from None
    if stat.S_ISDIR(info.st_mode):
        raise DocumentError(f"{path} is a folder, not a file; pass the path of one document.")
    if not stat.S_ISREG(info.st_mode):  # /dev/zero, a FIFO or a socket: reading it never ends, or blocks
        raise DocumentError(f"{path} is not a regular file (a device, pipe or socket); pass the path of a document file.")
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DocumentError(
            f"{path} has an unsupported format ({path.suffix or 'no suffix'}); "
            f"convert it to one of {', '.join(SUPPORTED_SUFFIXES)}."
        )
    if info.st_size > limits.max_file_bytes:
        raise over_limit(path, "its size in bytes", info.st_size, limits.max_file_bytes, "max_file_bytes")
    parse = _parser(fmt)
    try:
        title, drafts = parse(path, limits) if fmt in ("pdf", "docx", "html") else parse(path)
    except OSError as exc:
        raise DocumentError(f"{path} cannot be opened ({exc.strerror or exc}); check that it is readable.") from None
    blocks, text = assemble(drafts)
    if len(text) > limits.max_text_chars:
        raise over_limit(path, "its text in characters", len(text), limits.max_text_chars, "max_text_chars")
    if not blocks:
        raise DocumentError(f"{path} contains no text; check that it is the document you meant to add.")
    title = normalize(title) if title else None
    return ParsedDocument(
        doc_id=doc_id or slugify(path.stem), source=str(path), format=fmt, title=title or None, text=text, blocks=blocks
    )


def slugify(name: str) -> str:
    """A document id from a file stem: lowercase ASCII letters, digits and hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "document"
