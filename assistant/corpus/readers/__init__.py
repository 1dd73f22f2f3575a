"""Readers: turn .md .txt .pdf .docx .html files into a ``ParsedDocument``.

One module per format (``markdown``, ``plaintext``, ``pdf``, ``word``, ``html``) yields draft
blocks; ``common.assemble`` lays them out as the canonical text with exact offsets. PDFs are read
through pypdf's text visitor: font sizes and baselines tell body text from footnote markers,
footnotes, running headers and page numbers (see ``pdf``).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from assistant.errors import DocumentError
from assistant.types import ParsedDocument

from .common import DATE_LINE_RE, MEMO_FIELD_RE, assemble, normalize

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


def read_document(path: Path, doc_id: str | None = None) -> ParsedDocument:
    """Read one file into canonical text and blocks; raise DocumentError when it cannot be used."""
    path = Path(path)
    if not path.exists():
        raise DocumentError(f"{path} does not exist; check the path and try again.")
    if path.is_dir():
        raise DocumentError(f"{path} is a folder, not a file; pass the path of one document.")
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DocumentError(
            f"{path} has an unsupported format ({path.suffix or 'no suffix'}); "
            f"convert it to one of {', '.join(SUPPORTED_SUFFIXES)}."
        )
    parse = _parser(fmt)
    try:
        title, drafts = parse(path)
    except OSError as exc:
        raise DocumentError(f"{path} cannot be opened ({exc.strerror or exc}); check that it is readable.") from None
    blocks, text = assemble(drafts)
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
