"""Enumerated lists of the guidelines: which list a question asks for, and the passages of its items.

A question that asks for a list ("what are the mitigating factors?") is answered with every item
of the list in the memo's order, each cited, rather than with the best-matching sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.corpus.passages import PassageSet
from assistant.types import Passage

LIST_CUE = re.compile(
    r"^\s*(what|which)\s+(are|were)\b|\b(list|enumerate|name)\b|\ball\s+(of\s+)?the\b|\bwhat\s+(factors|priorities)\b"
    r"|\bhow\s+many\b",
    re.I,
)


@dataclass(frozen=True)
class ListGroup:
    """A list the guidelines enumerate: the words that ask for it and the anchors of its items."""

    name: str
    pattern: re.Pattern[str]
    intro: str | None
    prefixes: tuple[str, ...]
    exclude: tuple[str, ...] = ()


LIST_GROUPS = (
    ListGroup("mitigating", re.compile(r"\bmitigat\w*|\bfavou?r of declining\b", re.I), "mit.overview", ("mit.",), ("mit.overview",)),
    ListGroup("aggravating", re.compile(r"\baggravat\w*", re.I), "agg.overview", ("agg.",), ("agg.overview",)),
    ListGroup("priorities", re.compile(r"\bpriorit(y|ies)\b", re.I), "priorities", ("priority.",)),
    ListGroup("implementation", re.compile(r"\bimplement\w*|\bsafeguards?\b", re.I), None, ("impl.",)),
)

_PLURAL = re.compile(r"\b(factors|priorities|categories|considerations|safeguards|provisions|groups|kinds|types)\b", re.I)


def list_group(question: str) -> ListGroup | None:
    """The enumerated list the question asks for, if it asks for one."""
    if not (LIST_CUE.search(question) and _PLURAL.search(question)):
        return None
    return next((g for g in LIST_GROUPS if g.pattern.search(question)), None)


def group_passages(source: PassageSet, group: ListGroup) -> list[Passage]:
    """The passages of an enumerated list, in document order: its introduction, then one per item."""
    intro = [p for p in source.passages if group.intro and p.anchor == group.intro][:1]
    items: dict[str, Passage] = {}
    for p in source.passages:
        if p.anchor and p.anchor.startswith(group.prefixes) and p.anchor not in group.exclude:
            items.setdefault(p.anchor, p)
    return intro + list(items.values()) if items else []
