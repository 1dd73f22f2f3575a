"""The memo as Markdown (rendered from the format-neutral blocks)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.cases.models import items_text

from .blocks import Narrative, memo_blocks

if TYPE_CHECKING:
    from assistant.cases.facts import Case
    from assistant.corpus.passages import PassageSet
    from assistant.types import FactorAnalysis


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$!])")
_LEADING_NUMBER = re.compile(r"^(\s*\d+)([.)])(\s|$)", re.M)
_LEADING_MARK = re.compile(r"^(\s*)([-+=])", re.M)


def escape_markdown(text: str) -> str:
    """Text that Markdown shows literally: no emphasis, links, images, LaTeX, HTML, list or heading.

    The one escaper of the project (the app's pages use it too): a case's words, a table cell's
    " | ", a leading "- " or "1." all come out as written."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _LEADING_NUMBER.sub(r"\1\\\2\3", text)
    return _LEADING_MARK.sub(r"\1\\\2", text)


def render_markdown(
    analysis: FactorAnalysis, case: Case | None, source: PassageSet, narrative: Narrative | None = None,
    literal: bool = False,
) -> str:
    """The memo as Markdown; with ``literal`` every text (the case's own words included) is escaped, for display."""
    out: list[str] = []
    for b in memo_blocks(analysis, case, source, narrative):
        if literal:
            b = _escaped(b)
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
            # literal: "|" is escaped already, and a cell's lines are numbered, as the case's lists are (no HTML)
            cell = (lambda c: items_text(c.split("\n"))) if literal else _md_cell
            lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _escaped(block):
    """A copy of a block whose texts are all escaped for Markdown."""
    import dataclasses

    esc = escape_markdown
    changes = {"text": esc(block.text), "lead": esc(block.lead), "items": [esc(i) for i in block.items],
               "header": [esc(h) for h in block.header], "rows": [[esc(c) for c in row] for row in block.rows]}
    return dataclasses.replace(block, **{k: v for k, v in changes.items() if hasattr(block, k)})


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")
