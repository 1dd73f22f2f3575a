"""A document's legal status on a date, from the dated status history in the manifest."""

from __future__ import annotations

import datetime as dt

from assistant.types import DocumentMeta, Status


def status_on(meta: DocumentMeta, on: dt.date) -> Status:
    """The document's legal status on ``on``: the last status event on or before that date."""
    events = sorted(meta.status_history, key=lambda e: e.date)
    current = None
    for event in events:
        if event.date <= on:
            current = event
    if current is None:
        if not events:
            return Status(doc_id=meta.id, as_of=on, state="unknown", note="The corpus records no status history for this document.")
        first = events[0]
        return Status(
            doc_id=meta.id,
            as_of=on,
            state="not_yet_effective",
            note=f"Before {first.date.isoformat()}: the document did not exist yet or had not taken effect.",
        )
    note = current.event if not current.note else f"{current.event} {current.note}"
    return Status(doc_id=meta.id, as_of=on, state=current.state, note=note.strip(), since=current.date)
