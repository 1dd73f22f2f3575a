"""The one citation numberer: answers, memos and the app all number citations in order of first use."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.types import Citation


def span_key(citation: Citation) -> tuple[str, int, int]:
    """What makes two citations the same: the document and the span."""
    return (citation.doc_id, citation.start, citation.end)


class Numbering:
    """Numbers citations from 1 in order of first use; the same span keeps its number."""

    def __init__(self, citations: Iterable[Citation] = ()) -> None:
        self.cited: list[Citation] = []
        self._numbers: dict[tuple[str, int, int], int] = {}
        for c in citations:
            self.number(c)

    def number(self, citation: Citation) -> int:
        """The number of ``citation`` (a new one gets the next number)."""
        key = span_key(citation)
        if key not in self._numbers:
            self.cited.append(citation)
            self._numbers[key] = len(self.cited)
        return self._numbers[key]

    def markers(self, citations: Iterable[Citation]) -> str:
        """'[1] [2]' for the citations of one claim (each marker once)."""
        return " ".join(dict.fromkeys(f"[{self.number(c)}]" for c in citations))

    def refs(self, citations: Iterable[Citation], separator: str = ", ") -> str:
        """'[1] label, [2] label' for a line or a table cell; '(no citation)' when there is none."""
        return separator.join(f"[{self.number(c)}] {c.label or c.anchor or c.doc_id}" for c in citations) or "(no citation)"
