"""The text a passage is embedded and BM25-indexed as: its headings, label and aliases, then its words."""

from __future__ import annotations

from assistant.types import Passage


def embed_text(passage: Passage) -> str:
    """The indexed form of a passage: headings, label, aliases (``Also: ...``), then its text."""
    parts = [" / ".join(passage.section_path), passage.label]
    if passage.keywords:
        parts.append("Also: " + ", ".join(passage.keywords))
    parts.append(passage.text)
    return "\n".join(p for p in parts if p)
