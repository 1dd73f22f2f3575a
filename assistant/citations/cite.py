"""Building citations: a passage's sentences, a citation of a span, and the citation of a unit by its anchor."""

from __future__ import annotations

import re

from assistant.corpus.manifest import GUIDELINES_ID
from assistant.corpus.passages import PassageSet
from assistant.corpus.splitter import sentence_spans
from assistant.errors import ConfigError
from assistant.types import Citation, Passage

_LIST_MARKER = re.compile(r"^\s*(?:\d+|[a-z]|[ivx]+)[.)]\s+|^\s*\((?:\d+|[a-z]|[ivx]+)\)\s+|^\s*[-*•]\s+")


def passage_sentences(passage: Passage) -> list[tuple[int, int]]:
    """Sentence spans (offsets into the document) of a passage, without a list marker or bold lead."""
    text = passage.text
    begin = 0
    marker = _LIST_MARKER.match(text)
    if marker:
        begin = marker.end()
    lead = passage.heading
    # Only a run-in heading ("Advanced or tender age.") is skipped; a section title that merely
    # begins the first sentence ("Case review is ...") is part of that sentence.
    if lead and lead.endswith((".", ":")) and text[begin:].startswith(lead) and len(text) - begin > len(lead) + 1:
        begin += len(lead)
        while begin < len(text) and text[begin].isspace():
            begin += 1
    spans = sentence_spans(text, begin)
    return [(passage.start + s, passage.start + e) for s, e in spans if e > s]


def citation(source: PassageSet, passage: Passage, start: int, end: int) -> Citation:
    """The citation of ``start:end`` inside ``passage``: the quote is the document's exact text there."""
    return Citation(
        doc_id=passage.doc_id, anchor=passage.anchor, section=passage.section, heading=passage.heading,
        quote=source.texts[passage.doc_id][start:end], start=start, end=end, label=passage.label, passage_id=passage.id,
    )


def cite_anchor(source: PassageSet, anchor: str, doc_id: str = GUIDELINES_ID, sentences_max: int = 1) -> Citation:
    """A verified-by-construction citation of the passage that states ``anchor``: its first sentence(s)."""
    found = source.with_anchor(anchor, doc_id)
    if not found:
        raise ConfigError(f"no passage of {doc_id} carries the anchor '{anchor}'; the corpus and the rules disagree")
    passage = found[0]
    spans = passage_sentences(passage)[:sentences_max] or [(passage.start, passage.end)]
    return citation(source, passage, spans[0][0], spans[-1][1])
