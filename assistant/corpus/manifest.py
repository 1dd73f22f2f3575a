"""The corpus manifest: the bundled documents' metadata, anchors, aliases and citation labels.

The manifest (``bundled/manifest.yaml``, package data) is the single source of document
metadata: titles, official addresses, anchor labels, plain-word aliases and the dated status
history from which every answer and memo states whether the guidelines governed on a date
(``status.status_on``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ValidationError

from assistant.errors import ConfigError
from assistant.types import DocumentMeta, Passage

GUIDELINES_ID = "dhs-2021-guidelines"
MANIFEST_NAME = "manifest.yaml"
USER_KIND = "user"
"""``DocumentMeta.kind`` of a document a user ingested (set by the ingest, never read from the document)."""
USER_LABEL = 'User document "{title}" (not part of the guidelines)'
"""How a user document's passages are labelled: its title, and that it is not the guidelines."""


def bundled_dir() -> Path:
    """The folder of the bundled corpus inside the installed package (manifest, documents, rules)."""
    from importlib.resources import files

    return Path(str(files("assistant.corpus").joinpath("bundled")))


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
        # libyaml's loader when PyYAML has it: the manifest is read at every cold start.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return Manifest.model_validate(data)
    except (yaml.YAMLError, ValidationError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the corpus manifest {path} is invalid: {exc}") from None


def is_bundled(meta: DocumentMeta | None) -> bool:
    """Whether a document is one of the bundled corpus's (the guidelines, their status history), not a user's."""
    return meta is not None and meta.kind != USER_KIND


def user_anchor(doc_id: str, anchor: str) -> str:
    """A user document's anchor in its own namespace (``doc-id:anchor``), so it never names a bundled unit."""
    return f"{doc_id}:{anchor}"


def claims_bundled(label: str, anchor: str | None, metas: dict[str, DocumentMeta] | list[DocumentMeta]) -> str | None:
    """The short title of the bundled document a citation's label or anchor claims, or None.

    A label claims a bundled document when it is, or begins with, that document's short title
    ("Guidelines 2021, II.B, ..."); an anchor claims it when it is one of that document's anchors.
    """
    for meta in metas.values() if isinstance(metas, dict) else metas:
        if not is_bundled(meta):
            continue
        title = meta.short_title
        if label == title or label.startswith(f"{title},") or (anchor and anchor in meta.anchors):
            return title
    return None


def passage_label(meta: DocumentMeta | None, passage: Passage) -> str:
    """The human label of a passage, e.g. 'Guidelines 2021, II.B, mitigating factor: lengthy presence'.

    A user document's label begins with ``USER_LABEL`` (its title and "not part of the guidelines"),
    so it can never read like a bundled document's, whatever its title, headings or anchors.
    """
    if meta is not None and not is_bundled(meta):
        parts = [USER_LABEL.format(title=meta.short_title)]
    else:
        parts = [meta.short_title if meta else passage.doc_id]
    if passage.section:
        parts.append(passage.section)
    unit = meta.anchors.get(passage.anchor) if (meta and passage.anchor) else None
    if unit and unit.lower() != passage.section.lower():
        parts.append(unit)
    elif passage.heading and passage.heading != passage.section:
        parts.append(passage.heading.rstrip(".:"))
    return ", ".join(parts)
