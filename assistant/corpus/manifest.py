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
