"""Finding a quote inside the passage it claims to come from (for quotes a language model returned)."""

from __future__ import annotations

import re

from assistant.types import Passage

_QUOTE_CHARS = {"'": "['\u2018\u2019]", "\u2018": "['\u2018\u2019]", "\u2019": "['\u2018\u2019]",
                '"': '["\u201c\u201d]', "\u201c": '["\u201c\u201d]', "\u201d": '["\u201c\u201d]'}


def _pattern(quote: str) -> re.Pattern[str]:
    words = ["".join(_QUOTE_CHARS.get(ch, re.escape(ch)) for ch in word) for word in quote.split()]
    return re.compile(r"\s+".join(words))


def locate(quote: str, passage: Passage, text: str) -> tuple[int, int] | None:
    """Document offsets of ``quote`` inside ``passage`` (``text`` is the document): exact, else up to whitespace and quote marks."""
    span = text[passage.start : passage.end]
    found = span.find(quote)
    if found >= 0:
        return passage.start + found, passage.start + found + len(quote)
    if not quote.split():
        return None
    match = _pattern(quote).search(span)
    return (passage.start + match.start(), passage.start + match.end()) if match else None
