"""The read side of the index: the current build loaded for answering.

``Index`` holds what a query needs: the passages, the canonical text of every document (which the
checker verifies quotes against), the documents' metadata, the Chroma collection and a BM25 index.
It is read-only after loading and safe to share between threads (the UI caches one per process).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.corpus.manifest import load_manifest
from assistant.corpus.passages import PassageSet
from assistant.corpus.words import tokenize
from assistant.errors import IndexCorruptError, IndexMissingError
from assistant.types import DocumentMeta, Passage

from . import store
from .text import embed_text

if TYPE_CHECKING:
    from assistant.config import Settings

    from .embed import Embedder


def current_metas(settings: Settings, info: Any) -> dict[str, DocumentMeta]:
    """The documents' metadata: a bundled one's from the corpus manifest now (none of it is embedded, and a
    stale copy in the build would misstate the status), a user document's from the build."""
    manifest = load_manifest(settings.paths.corpus_dir)
    return {d.doc_id: (manifest.get(d.doc_id) or d.meta) if d.bundled else d.meta for d in info.documents}


def load_passages(settings: Settings) -> PassageSet:
    """The current build's passages if there is a build of this chunker, else the bundled corpus split afresh."""
    from assistant.corpus.splitter import CHUNKER_VERSION

    root = store.index_dir(settings)
    build_id = store.current_build_id(root)
    if build_id is not None:
        build_dir = root / store.BUILDS / build_id
        info = store.read_build_info(build_dir)
        if info.chunker_version == CHUNKER_VERSION:
            return PassageSet(
                passages=store.read_passages(build_dir),
                texts={d.doc_id: store.read_document(build_dir, d.doc_id).text for d in info.documents},
                metas=current_metas(settings, info),
            )
    from assistant.corpus.passages import bundled_passages

    return bundled_passages(settings)


@dataclass
class Index(PassageSet):
    """The current index build, loaded."""

    build_dir: Path
    info: store.BuildInfo
    settings: Settings
    collection: Any  # the build's chromadb Collection
    embedder: Embedder
    vectors: dict[str, Any]  # passage id -> normalized vector (numpy), for exact scores of any passage
    decoy_topics: list[str]  # topics the corpus does not address (corpus/out_of_scope.yaml)
    decoy_vectors: Any  # their vectors, one row per topic
    alias_owners: list[str]  # passage id of each alias phrase
    alias_vectors: Any  # the alias phrases' vectors, one row per phrase
    sentence_owners: list[str]  # passage id of each sentence embedded on its own (retrieval.sentence_vectors)
    sentence_vectors: Any  # their vectors, one row per sentence
    settings: Settings  # what it was loaded with (the store's address, for queries and their errors)
    by_id: dict[str, Passage] = field(init=False)
    bm25: Any = field(init=False)
    vocabulary: frozenset[str] = field(init=False)
    passage_tokens: dict[str, frozenset[str]] = field(init=False)  # passage id -> the tokens of its indexed form
    max_idf: float = field(init=False)
    _vectorstore: Any = field(init=False, default=None)
    _last_query: tuple[Any, Any] | None = field(init=False, default=None, repr=False)
    _last_nearest: tuple[Any, Any, Any] | None = field(init=False, default=None, repr=False)
    _doc_tokens: dict[str, frozenset[str]] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from rank_bm25 import BM25Okapi

        self.by_id = {p.id: p for p in self.passages}
        tokens = [tokenize(embed_text(p)) for p in self.passages]
        self.bm25 = BM25Okapi(tokens) if tokens else None
        self.vocabulary = frozenset(t for ts in tokens for t in ts)
        self.passage_tokens = {p.id: frozenset(ts) for p, ts in zip(self.passages, tokens)}
        self.max_idf = max(self.bm25.idf.values(), default=1.0) if self.bm25 is not None else 1.0

    def doc_tokens(self, doc_id: str) -> frozenset[str]:
        """The tokens of every passage of one document (computed once per document)."""
        found = self._doc_tokens.get(doc_id)
        if found is None:
            found = frozenset().union(*(self.passage_tokens[p.id] for p in self.passages if p.doc_id == doc_id))
            self._doc_tokens[doc_id] = found
        return found

    def nearest(self, query_vector: list[float], n: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """The ``n`` passages nearest the (normalized) query vector in Chroma, as (id, cosine similarity), best first.

        The last query's result is remembered with the very vector list it was asked with (compared by identity):
        a refusal looks again, with the question's own vector, for what the guidelines say about its subject.
        """
        last = self._last_nearest
        if last is not None and last[0] is query_vector and last[1] == (n, repr(where)):
            return list(last[2])
        # A store that fails mid-query (a Chroma server stopped, say) is retried once, then raised as the
        # store's error (StoreUnavailableError for a server), never as the HTTP library's.
        got = store.with_retry(
            self.settings, f"{self.build_dir / 'chroma'} (collection {self.info.collection})",
            lambda: self.collection.query(query_embeddings=[query_vector], n_results=n, where=where, include=["distances"]),
        )
        found = [(pid, 1.0 - float(d)) for pid, d in zip(got["ids"][0], got["distances"][0])]
        self._last_nearest = (query_vector, (n, repr(where)), tuple(found))
        return found

    @property
    def vectorstore(self) -> Any:
        """The collection as a ``langchain_chroma.Chroma`` (for LangChain callers; answering does not use it)."""
        if self._vectorstore is None:
            self._vectorstore = store.vectorstore(self.settings, self.build_dir, self.info.collection, self.embedder, create=False)
        return self._vectorstore

    def similarity(self, passage_id: str, query_vector: list[float]) -> float:
        """Cosine similarity of a passage to a (normalized) query vector."""
        import numpy as np

        return float(np.dot(self.vectors[passage_id], self._query_array(query_vector)))

    def _query_array(self, query_vector: list[float]) -> Any:
        """The query vector as a float32 array, converted once per vector: one answer scores it against tens of
        passages. The last conversion is remembered with the very list it came from (compared by identity, and kept
        alive with it), so threads sharing the index at worst convert again."""
        import numpy as np

        last = self._last_query
        if last is not None and last[0] is query_vector:
            return last[1]
        array = np.asarray(query_vector, dtype=np.float32)
        self._last_query = (query_vector, array)
        return array

    def alias_similarity(self, query_vector: list[float]) -> dict[str, float]:
        """For each passage with aliases, the best cosine similarity of one of its alias phrases."""
        return self._best_of(self.alias_owners, self.alias_vectors, query_vector)

    def sentence_similarity(self, query_vector: list[float]) -> dict[str, float]:
        """For each passage whose sentences were embedded one by one, the best cosine similarity of one of them."""
        return self._best_of(self.sentence_owners, self.sentence_vectors, query_vector)

    def _best_of(self, owners: list[str], vectors: Any, query_vector: list[float]) -> dict[str, float]:
        """For each owner of some rows of ``vectors``, the best cosine similarity of one of its rows to the query."""
        if not owners:
            return {}
        best: dict[str, float] = {}
        for owner, sim in zip(owners, (vectors @ self._query_array(query_vector)).tolist()):
            if sim > best.get(owner, -1.0):
                best[owner] = sim
        return best

    def nearest_decoy(self, query_vector: list[float]) -> tuple[float, str | None]:
        """The out-of-scope topic most similar to the query, with its cosine similarity."""
        import numpy as np

        if not self.decoy_topics:
            return 0.0, None
        sims = self.decoy_vectors @ np.asarray(query_vector, dtype=np.float32)
        best = int(np.argmax(sims))
        return float(sims[best]), self.decoy_topics[best]

    def tokens_of(self, passage: Passage) -> frozenset[str]:
        """The tokens of a passage's indexed form (computed once at load for the index's own passages)."""
        found = self.passage_tokens.get(passage.id)
        return found if found is not None else frozenset(tokenize(embed_text(passage)))

    def meta(self, doc_id: str) -> DocumentMeta | None:
        """The metadata of an indexed document."""
        return self.metas.get(doc_id)


def load_index(settings: Settings, embedder: Embedder | None = None, build_if_missing: bool = False) -> Index:
    """Load the current build; with ``build_if_missing``, ingest the bundled corpus first."""
    from assistant.corpus.splitter import CHUNKER_VERSION

    from .embed import load_embedder

    embedder = embedder or load_embedder(settings)
    try:
        build_dir, info = store.open_current(settings, embedder.model_id, CHUNKER_VERSION)
    except IndexMissingError:
        if not build_if_missing:
            raise
        from .ingest import ingest

        print("No index yet: building it from the bundled corpus first (one time).", file=sys.stderr)
        ingest(settings, progress=sys.stderr.isatty(), embedder=embedder)
        build_dir, info = store.open_current(settings, embedder.model_id, CHUNKER_VERSION)
    passages = store.read_passages(build_dir)
    texts = {d.doc_id: store.read_document(build_dir, d.doc_id).text for d in info.documents}
    # A bundled document's metadata (its status history, labels, what its units answer) is read from the
    # corpus manifest now, not from the build: none of it is embedded, and a stale copy would misstate the status.
    metas = current_metas(settings, info)
    collection = store.collection(settings, build_dir, info.collection)
    got = store.with_retry(settings, build_dir / "chroma", lambda: collection.get(include=["embeddings"]))
    vectors = {pid: vec for pid, vec in zip(got["ids"], got["embeddings"])}
    missing = [p.id for p in passages if p.id not in vectors]
    if missing:
        raise IndexCorruptError(
            f"the Chroma collection of {build_dir} lacks {len(missing)} passages; run `guidance ingest --rebuild`"
        )
    import numpy as np

    decoys = store.read_phrases(build_dir, "decoys")
    aliases = store.read_phrases(build_dir, "aliases")
    sentences = store.read_phrases(build_dir, "sentences")  # none in a build of an older version, or when turned off
    return Index(
        build_dir=build_dir, info=info, passages=passages, texts=texts, metas=metas, settings=settings, collection=collection,
        embedder=embedder, vectors=vectors, decoy_topics=decoys.texts,
        decoy_vectors=np.asarray(decoys.vectors, dtype=np.float32).reshape(len(decoys.texts), -1),
        alias_owners=aliases.owners,
        alias_vectors=np.asarray(aliases.vectors, dtype=np.float32).reshape(len(aliases.texts), -1),
        sentence_owners=sentences.owners,
        sentence_vectors=np.asarray(sentences.vectors, dtype=np.float32).reshape(len(sentences.texts), -1)
        if sentences.texts else np.zeros((0, 0), dtype=np.float32),
    )
