"""A claimed legal status of a document on a date, checked against the corpus status history."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from assistant.corpus.manifest import load_manifest
from assistant.corpus.status import status_on
from assistant.types import Finding

from .rules import finding

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.corpus.passages import PassageSet

STATUS_PROVENANCE = {
    "2021-09-30": "effective_date",
    "2021-11-29": "effective_date",
    "2022-06-24": "guidelines-status-history.vacatur",
    "2023-06-23": "guidelines-status-history.standing_decision",
    "2025-01-20": "guidelines-status-history.executive_orders_2025",
}
"""The passage that states each status event (by its date), the provenance of a STATUS_MISMATCH."""


def check_status(
    doc_id: str, on: dt.date, claimed: str, source: PassageSet, settings: Settings | None = None, path: str = "status"
) -> list[Finding]:
    """A claimed status of ``doc_id`` on ``on`` against the corpus status history."""
    meta = source.metas.get(doc_id)
    if meta is None and settings is not None:
        meta = load_manifest(settings.paths.corpus_dir).get(doc_id)
    if meta is None:
        return [finding("STATUS_UNKNOWN_DOC", f"document '{doc_id}' is not in the corpus", f"{path}.doc_id")]
    actual = status_on(meta, on)
    if actual.state == "unknown" or actual.state == claimed:
        return []
    since = f" since {actual.since.isoformat()}" if actual.since else ""
    anchor = STATUS_PROVENANCE.get(actual.since.isoformat() if actual.since else "", "effective_date")
    return [finding(
        "STATUS_MISMATCH",
        f"'{doc_id}' is said to be '{claimed}' on {on.isoformat()}, but it was '{actual.state}'{since}: {actual.note}",
        path, anchor=anchor,
    )]
