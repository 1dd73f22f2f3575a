"""The bundled corpus: its manifest, the documents' metadata, labels and legal status on a date.

The manifest (``corpus/manifest.yaml``) is the single source of document metadata: titles,
official addresses, anchor labels and the dated status history from which every answer and memo
states whether the guidelines governed on a given date.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .errors import ConfigError
from .types import DocumentMeta, Passage, Status

GUIDELINES_ID = "dhs-2021-guidelines"
MANIFEST_NAME = "manifest.yaml"


class Manifest(BaseModel):
    """The parsed manifest: the bundled documents in order."""

    documents: list[DocumentMeta]

    def get(self, doc_id: str) -> DocumentMeta | None:
        """The metadata of one document, or None."""
        return next((d for d in self.documents if d.id == doc_id), None)


def load_manifest(corpus_dir: Path) -> Manifest:
    """Read and validate ``manifest.yaml`` in ``corpus_dir``."""
    return _load_manifest_cached(Path(corpus_dir).resolve())


@lru_cache(maxsize=8)
def _load_manifest_cached(corpus_dir: Path) -> Manifest:
    import yaml

    path = corpus_dir / MANIFEST_NAME
    if not path.is_file():
        raise ConfigError(
            f"no corpus manifest at {path}; set GUIDANCE_PATHS__CORPUS_DIR to the folder that holds manifest.yaml"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Manifest.model_validate(data)
    except (yaml.YAMLError, ValidationError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the corpus manifest {path} is invalid: {exc}") from None


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


def passage_label(meta: DocumentMeta | None, passage: Passage) -> str:
    """The human label of a passage, e.g. 'Guidelines 2021, II.B, mitigating factor: lengthy presence'."""
    parts = [meta.short_title if meta else passage.doc_id]
    if passage.section:
        parts.append(passage.section)
    unit = meta.anchors.get(passage.anchor) if (meta and passage.anchor) else None
    if unit and unit.lower() != passage.section.lower():
        parts.append(unit)
    elif passage.heading and passage.heading != passage.section:
        parts.append(passage.heading.rstrip(".:"))
    return ", ".join(parts)
