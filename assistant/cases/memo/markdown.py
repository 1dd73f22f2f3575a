"""The memo as Markdown (rendered from the format-neutral blocks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .blocks import Narrative, memo_blocks

if TYPE_CHECKING:
    from assistant.cases.facts import Case
    from assistant.corpus.passages import PassageSet
    from assistant.types import FactorAnalysis


def render_markdown(
    analysis: FactorAnalysis, case: Case | None, source: PassageSet, narrative: Narrative | None = None
) -> str:
    """The memo as Markdown."""
    out: list[str] = []
    for b in memo_blocks(analysis, case, source, narrative):
        if b.kind == "title":
            out.append(f"# {b.text}")
        elif b.kind == "heading":
            out.append(f"{'#' * (b.level + 1)} {b.text}")
        elif b.kind == "para":
            out.append(f"**{b.lead.strip()}** {b.text}" if b.lead else b.text)
        elif b.kind == "quote":
            out.append(f"> \u201c{b.text}\u201d [{b.ref}]")
        elif b.kind == "warning":
            out.append(f"> **{b.text}**")
        elif b.kind == "bullets":
            out.append("\n".join(f"- {item}" for item in b.items))
        elif b.kind == "table":
            head = b.header if any(b.header) else ["Item", "Value"]
            lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")
