"""Passages ready to cite: a document split, labelled and given its anchor's aliases; the bundled corpus in memory.

``PassageSet`` is what citing needs (passages, canonical texts, metadata) without any model or
index, so the case analysis, the memo and the checker can cite by anchor from the bundled corpus
alone; ``index.load.Index`` extends it with the vectors and the BM25 index.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import ConfigError, DocumentError
from assistant.types import DocumentMeta, ParsedDocument, Passage

from .manifest import is_bundled, load_manifest, passage_label, user_anchor

if TYPE_CHECKING:
    from assistant.config import ChunkSettings, Settings

OUT_OF_SCOPE_NAME = "out_of_scope.yaml"


@dataclass
class PassageSet:
    """Passages with their documents' canonical texts and metadata: enough to cite, no model needed."""

    passages: list[Passage]
    texts: dict[str, str]
    metas: dict[str, DocumentMeta]

    def with_anchor(self, anchor: str, doc_id: str | None = None) -> list[Passage]:
        """The passages that carry ``anchor`` (in ``doc_id`` when given, else in a bundled document), in order.

        Without ``doc_id`` only the bundled documents are searched: an anchor names a unit of the
        guidelines or their history, and a user's document never answers for one.
        """
        if doc_id is None:
            return [p for p in self.passages if p.anchor == anchor and is_bundled(self.metas.get(p.doc_id))]
        return [p for p in self.passages if p.anchor == anchor and p.doc_id == doc_id]

    def bundled_ids(self) -> list[str]:
        """The ids of the bundled documents (the guidelines and their status history), in order."""
        return [doc_id for doc_id, meta in self.metas.items() if is_bundled(meta)]

    @cached_property
    def _words(self) -> frozenset[str]:
        from .words import words_of

        return words_of([t for p in self.passages for t in (p.text, p.label, *p.section_path, *p.keywords)])

    def words(self) -> frozenset[str]:
        """Every word of the passages, their labels, headings and aliases (computed once)."""
        return self._words

    @cached_property
    def names(self) -> frozenset[str]:
        """The words the passages write capitalized inside a sentence (names: Texas, Tipton, Mayorkas), lowercased."""
        import re

        return frozenset(m.lower() for p in self.passages for m in re.findall(r"(?<=[a-z,;] )[A-Z][a-z]{2,}\b", p.text))

    @cached_property
    def word_prefixes(self) -> frozenset[str]:
        """The first six letters of every corpus word of six letters or more (a longer question word sharing them is known)."""
        return frozenset(w[:6] for w in self._words if len(w) >= 6)


def prepare_passages(doc: ParsedDocument, meta: DocumentMeta, chunking: ChunkSettings) -> list[Passage]:
    """Split a document into passages, each labelled and carrying its anchor's aliases."""
    from .splitter import split_document

    if not is_bundled(meta):  # a user's anchors live in the document's own namespace
        blocks = [b.model_copy(update={"anchor": user_anchor(doc.doc_id, b.anchor)}) if b.anchor else b for b in doc.blocks]
        doc = doc.model_copy(update={"blocks": blocks})
    passages = split_document(doc, chunking)
    if not passages:
        raise DocumentError(f"{doc.source} has no text that could be split into passages")
    for p in passages:
        p.label = passage_label(meta, p)
        p.keywords = list(meta.aliases.get(p.anchor or "", []))
    return passages


def bundled_documents(corpus_dir: Path) -> list[tuple[ParsedDocument, DocumentMeta]]:
    """Every document of the corpus manifest, read, with its metadata."""
    from .readers import read_document

    out = []
    for meta in load_manifest(corpus_dir).documents:
        doc = read_document(Path(corpus_dir) / meta.path, doc_id=meta.id)
        doc.title = doc.title or meta.title
        out.append((doc, meta))
    return out


def bundled_passages(settings: Settings) -> PassageSet:
    """The bundled corpus read and split in memory (no model, no index): for citing by anchor."""
    docs = bundled_documents(settings.paths.corpus_dir)
    passages = [p for doc, meta in docs for p in prepare_passages(doc, meta, settings.chunking)]
    return PassageSet(passages=passages, texts={d.doc_id: d.text for d, _ in docs}, metas={m.id: m for _, m in docs})


def decoy_topics(corpus_dir: Path) -> list[str]:
    """Topics next to the guidelines that they do not address (``out_of_scope.yaml``)."""
    import yaml

    path = Path(corpus_dir) / OUT_OF_SCOPE_NAME
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return [str(t) for t in data.get("topics", [])]
    except (yaml.YAMLError, AttributeError) as exc:
        raise ConfigError(f"{path} is invalid: {exc}") from None
