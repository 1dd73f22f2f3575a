"""The memo rules: every cited text of a memo is the exact quote of its citation; prose cites nothing.

A memo mixes prose the software writes (headings, reasons, the facts of the case, the
disclaimer) with quotes of the guidelines. Only a quote may carry a citation marker ``[n]``, and
its text must be exactly the quote of citation ``n``; prose may name a citation only as a
reference (``[n]`` followed by that citation's label, as in "Cited: [1] Guidelines 2021, ...").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.types import Citation, Finding, MemoLine

from .citations import check_citation, short
from .rules import finding

if TYPE_CHECKING:
    from assistant.corpus.passages import PassageSet

_MARKER = re.compile(r"(?<![\w\]])\[(\d+)\]")  # [n], but not a field path such as criminal_history[0]


def _label(c: Citation) -> str:
    return c.label or c.anchor or c.doc_id


def check_memo_lines(lines: Sequence[MemoLine], cited: Sequence[Citation], source: PassageSet) -> list[Finding]:
    """Findings of the memo rules for a memo's texts and its numbered citations (1-based, in order)."""
    findings: list[Finding] = []
    for i, c in enumerate(cited):
        findings += check_citation(c, source.texts, source.passages, f"memo.citations[{i}]", source.metas)
    for n, line in enumerate(lines):
        where = f"memo.texts[{n}]"
        if line.kind == "quote":
            if line.ref is None or not 1 <= line.ref <= len(cited):
                findings.append(finding("MEMO_QUOTE_UNCITED", f"{where}: a quote without a citation", where))
            elif line.text != cited[line.ref - 1].quote:
                findings.append(finding(
                    "MEMO_QUOTE_ALTERED", f"{where}: \"{short(line.text)}\" is not the quote of citation [{line.ref}]", where,
                ))
            continue
        for m in _MARKER.finditer(line.text):
            number = int(m.group(1))
            if not 1 <= number <= len(cited):
                findings.append(finding("MEMO_PROSE_CITED", f"{where}: marker [{number}] names no citation", where))
            elif not line.text[m.end():].startswith(f" {_label(cited[number - 1])}"):
                findings.append(finding(
                    "MEMO_PROSE_CITED",
                    f"{where}: prose cites [{number}] (\"{short(line.text[: m.start()].strip()[-60:])}\"); only a quote of the "
                    "passage may carry a citation", where,
                ))
    return findings
