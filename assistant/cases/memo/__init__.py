"""The case memo: the factor analysis laid out for the officer, written as Markdown, Word or PDF.

``blocks.memo_blocks`` builds the memo once as format-neutral blocks; ``markdown``, ``docx`` and
``pdf`` render them. ``memo_bytes`` gives a memo in any format as bytes (for a download);
``write_memo`` writes one atomically, in the format the file name's suffix asks for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import InputError

from .blocks import Narrative, memo_blocks
from .markdown import render_markdown

if TYPE_CHECKING:
    from assistant.cases.facts import Case
    from assistant.corpus.passages import PassageSet
    from assistant.types import FactorAnalysis

MEMO_SUFFIXES = (".md", ".docx", ".pdf")
MEMO_FORMATS = {".md": "md", ".docx": "docx", ".pdf": "pdf"}


def memo_bytes(
    analysis: FactorAnalysis, case: Case | None, source: PassageSet, fmt: str, narrative: Narrative | None = None
) -> bytes:
    """The memo in ``fmt`` (md, docx or pdf) as bytes."""
    if fmt == "md":
        return render_markdown(analysis, case, source, narrative).encode("utf-8")
    if fmt == "docx":
        from .docx import render_docx

        return render_docx(memo_blocks(analysis, case, source, narrative))
    if fmt == "pdf":
        from .pdf import render_pdf

        return render_pdf(memo_blocks(analysis, case, source, narrative), title=f"Factor analysis memo {analysis.case_id}")
    raise InputError(f"unknown memo format '{fmt}'; use one of md, docx, pdf")


def write_memo(
    analysis: FactorAnalysis, case: Case | None, path: Path | str, source: PassageSet, narrative: Narrative | None = None,
) -> Path:
    """Write the memo in the format of the path's suffix (.md, .docx or .pdf), atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MEMO_SUFFIXES:
        raise InputError(f"cannot write a memo as '{path.name}': the file name must end in {', '.join(MEMO_SUFFIXES)}")
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: the folder {path.parent} does not exist")
    _atomic_write(path, memo_bytes(analysis, case, source, MEMO_FORMATS[suffix], narrative))
    return path


def write_markdown(analysis: FactorAnalysis, case: Case | None, path: Path | str, source: PassageSet,
                   narrative: Narrative | None = None) -> None:
    """Write the Markdown memo."""
    _atomic_write(Path(path), memo_bytes(analysis, case, source, "md", narrative))


def write_docx(analysis: FactorAnalysis, case: Case | None, path: Path | str, source: PassageSet,
               narrative: Narrative | None = None) -> None:
    """Write the memo as a Word document with real heading styles and tables."""
    _atomic_write(Path(path), memo_bytes(analysis, case, source, "docx", narrative))


def write_pdf(analysis: FactorAnalysis, case: Case | None, path: Path | str, source: PassageSet,
              narrative: Narrative | None = None) -> None:
    """Write the memo as a PDF with wrapped tables and page numbers."""
    _atomic_write(Path(path), memo_bytes(analysis, case, source, "pdf", narrative))


def _atomic_write(path: Path, data: bytes) -> None:
    # Written next to the target and renamed, so a failure never leaves half a memo behind.
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
