"""A document's legal status on a date, from the dated status history in the manifest.

The status on a date is set by the last event on or before it; its note tells only of that event
and of what was known then. Events after the date are returned apart, as later history, so that a
memo assessed on 2022-03-01 never tells of the 2023 decision as if it were known. Every status
carries the confidence tag of the event that set it and a label written to be read by a person.
"""

from __future__ import annotations

import datetime as dt

from assistant.types import DocumentMeta, LaterEvent, Status, StatusEvent

HEADLINES = {
    "not_yet_effective": "not yet effective",
    "in_effect": "in effect",
    "enjoined": "enjoined",
    "vacated": "vacated",
    "rescinded": "no longer applied",
    "unknown": "unknown",
}
"""The words a label starts with for each state (shown in capitals in the banner, the CLI and the memo)."""

CONFIDENCE_WORDS = {
    "C2": "confirmed by two or more independent sources",
    "C1": "confirmed by one source",
    "R": "only partly confirmed",
    "UNCONFIRMED": "unconfirmed",
}
"""What each confidence tag of the manifest means, for a person."""


def states_in(history: list[StatusEvent]) -> list[str]:
    """The states a status history reaches, in the order of ``HEADLINES`` (a legend lists only these)."""
    seen = {e.state for e in history}
    return [state for state in HEADLINES if state in seen]


def source_label(anchor: str | None, metas: dict[str, DocumentMeta] | list[DocumentMeta]) -> str | None:
    """How a person cites the passage of ``anchor``: 'Status history, 2022 vacatur' (None if no document names it)."""
    if not anchor:
        return None
    for meta in metas.values() if isinstance(metas, dict) else metas:
        if anchor in meta.anchors:
            return f"{meta.short_title}, {meta.anchors[anchor]}"
    return None


def status_on(meta: DocumentMeta, on: dt.date, metas: dict[str, DocumentMeta] | list[DocumentMeta] | None = None) -> Status:
    """The document's legal status on ``on``: the last status event on or before that date.

    ``metas``: the corpus's documents, to name the passage that tells of the event (``source_label``).
    """
    events = sorted(meta.status_history, key=lambda e: e.date)
    later = [LaterEvent(date=e.date, state=e.state, label=e.label, event=e.event, confidence=e.confidence)
             for e in events if e.date > on]
    current = None
    for event in events:
        if event.date <= on:
            current = event
    if current is None:
        if not events:
            return Status(doc_id=meta.id, as_of=on, state="unknown", label="unknown",
                          note="The corpus records no status history for this document.")
        first = events[0]
        return Status(
            doc_id=meta.id, as_of=on, state="not_yet_effective", label="not yet issued", later=later,
            note=f"Before {first.date.isoformat()}: the document did not exist yet or had not taken effect.",
            confidence=first.confidence, source=first.anchor, source_label=source_label(first.anchor, metas or [meta]),
        )
    note = current.event if not current.note else f"{current.event} {current.note}"
    return Status(
        doc_id=meta.id, as_of=on, state=current.state, note=note.strip(), since=current.date,
        label=current.label or HEADLINES.get(current.state, current.state), confidence=current.confidence,
        source=current.anchor, source_label=source_label(current.anchor, metas or [meta]), later=later,
    )


def headline(status_label: str, state: str) -> tuple[str, str]:
    """A label split into its state words, in capitals, and the rest: ('IN EFFECT', ' again from ...')."""
    words = HEADLINES.get(state, state.replace("_", " "))
    if status_label.lower().startswith(words):
        return words.upper(), status_label[len(words):]
    return words.upper(), f" ({status_label})" if status_label and status_label.lower() != words else ""


def confidence_words(tag: str | None) -> str:
    """The confidence tag in words ('' when there is none)."""
    return CONFIDENCE_WORDS.get(tag or "", tag or "")


def status_sentence(status: Status, subject: str = "the 2021 guidelines") -> str:
    """One line a person reads: the status on the date, its confidence and its source (no later event)."""
    words, rest = headline(status.label, status.state)
    extra = [f"confidence: {confidence_words(status.confidence)}"] if status.confidence else []
    if status.source_label:
        extra.append(f"source: {status.source_label}")
    tail = f" ({'; '.join(extra)})" if extra else ""
    return f"Status of {subject} on {status.as_of.isoformat()}: {words}{rest}{tail}."
