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
    anchor = actual.source or "effective_date"  # the passage that tells of the event (manifest data)
    return [finding(
        "STATUS_MISMATCH",
        f"'{doc_id}' is said to be '{claimed}' on {on.isoformat()}, but it was '{actual.state}'{since}: {actual.note}",
        path, anchor=anchor,
    )]
