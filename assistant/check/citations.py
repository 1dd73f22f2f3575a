"""Citation integrity: a real document, the exact quote at its offsets, inside the passage of its anchor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.corpus.manifest import claims_bundled, is_bundled
from assistant.types import Citation, DocumentMeta, Finding, Passage

from .rules import finding


def containing_passage(passages: Sequence[Passage], doc_id: str, start: int, end: int) -> Passage | None:
    """The passage of ``doc_id`` whose span contains ``start:end``."""
    for p in passages:
        if p.doc_id == doc_id and p.start <= start and end <= p.end:
            return p
    return None


def check_citation(
    citation: Citation, texts: Mapping[str, str], passages: Sequence[Passage], path: str = "citation",
    metas: Mapping[str, DocumentMeta] | None = None,
) -> list[Finding]:
    """Integrity of one citation: real document, exact quote at its offsets, the anchor's passage.

    With ``metas`` (the documents' metadata), also that a citation of a user's document does not
    pass for the guidelines: its label or anchor may not claim a bundled document.
    """
    text = texts.get(citation.doc_id)
    if text is None:
        return [finding("CITE_UNKNOWN_DOC", f"{path}: document '{citation.doc_id}' is not in the index", path)]
    if metas is not None and not is_bundled(metas.get(citation.doc_id)):
        claimed = claims_bundled(citation.label or "", citation.anchor, dict(metas))
        if claimed is not None:
            return [finding(
                "CITE_NOT_GUIDELINES",
                f"{path}: the citation reads as '{claimed}' (label '{short(citation.label or '')}', anchor "
                f"'{citation.anchor}'), but '{citation.doc_id}' is a document a user ingested, not part of the guidelines",
                path,
            )]
    if not citation.quote.strip():
        return [finding("CITE_EMPTY_QUOTE", f"{path}: the quote is empty", path)]
    if not (0 <= citation.start < citation.end <= len(text)):
        found = text.find(citation.quote)
        code = "CITE_QUOTE_SHIFTED" if found >= 0 else "CITE_BAD_OFFSETS"
        return [finding(code, f"{path}: offsets {citation.start}:{citation.end} are outside '{citation.doc_id}'", path)]
    if text[citation.start : citation.end] != citation.quote:
        found = text.find(citation.quote)
        if found >= 0:
            return [
                finding(
                    "CITE_QUOTE_SHIFTED",
                    f"{path}: the quote is in '{citation.doc_id}' at {found}:{found + len(citation.quote)}, "
                    f"not at {citation.start}:{citation.end}",
                    path,
                )
            ]
        return [finding("CITE_QUOTE_NOT_FOUND", f"{path}: the quote \"{short(citation.quote)}\" is not in '{citation.doc_id}'", path)]
    passage = containing_passage(passages, citation.doc_id, citation.start, citation.end)
    if passage is None or (citation.anchor is not None and passage.anchor != citation.anchor):
        actual = passage.anchor if passage else None
        return [
            finding(
                "CITE_WRONG_PASSAGE",
                f"{path}: the quote lies in the passage of anchor '{actual}', not '{citation.anchor}'",
                path,
            )
        ]
    return []


def short(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
