"""Hybrid retrieval: BM25 over passage text and dense similarity in Chroma, fused by reciprocal rank.

Lexical matching finds the guidelines' own terms ("tender age", "port of entry"); dense similarity
finds paraphrases ("too old", "carried a gun"). Each proposes candidates; reciprocal-rank fusion
orders them. ``langchain_retriever.HybridRetriever`` exposes the same search as a LangChain
``BaseRetriever`` (kept apart so that answering does not import LangChain).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from assistant.corpus.words import tokenize
from assistant.types import Passage, Retrieved

if TYPE_CHECKING:
    from assistant.config import RetrievalSettings
    from assistant.index.load import Index


class Filters(BaseModel):
    """Metadata filters. An anchor ending in '*' is a prefix (``mit.*``)."""

    doc_ids: list[str] | None = None
    anchors: list[str] | None = None


class ScoredPassage(BaseModel):
    """A retrieved passage with its fused score and the scores of each retriever."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    passage: Passage
    score: float
    dense: float | None = None
    lexical: float | None = None

    def to_retrieved(self) -> Retrieved:
        """The public form (docs/CONTRACTS.md section 2, ``retrieved``)."""
        p = self.passage
        return Retrieved(
            doc_id=p.doc_id, anchor=p.anchor, section=p.section, score=round(self.score, 6), passage_id=p.id,
            label=p.label, dense=None if self.dense is None else round(self.dense, 4),
            lexical=None if self.lexical is None else round(self.lexical, 4),
        )


def _allowed(index: Index, filters: Filters | None) -> set[str] | None:
    """Ids of passages that pass the filters, or None when nothing is filtered."""
    if filters is None or (not filters.doc_ids and not filters.anchors):
        return None
    out = set()
    for p in index.passages:
        if filters.doc_ids and p.doc_id not in filters.doc_ids:
            continue
        if filters.anchors and not any(
            (p.anchor or "").startswith(a[:-1]) if a.endswith("*") else p.anchor == a for a in filters.anchors
        ):
            continue
        out.add(p.id)
    return out


def search(
    index: Index,
    query: str,
    settings: RetrievalSettings,
    k: int | None = None,
    filters: Filters | None = None,
    query_vector: list[float] | None = None,
) -> list[ScoredPassage]:
    """The top ``k`` passages for ``query`` by fused BM25 and dense rank."""
    k = k or settings.k
    allowed = _allowed(index, filters)
    if allowed is not None and not allowed:
        return []
    n = settings.candidates

    dense: dict[str, float] = {}
    vector = query_vector if query_vector is not None else index.embedder.embed_query(query)
    where = None
    if allowed is not None:  # a superset in Chroma's terms; the exact set is applied below
        anchors = sorted({index.by_id[i].anchor or "" for i in allowed})
        doc_ids = sorted({index.by_id[i].doc_id for i in allowed})
        where = {"$and": [{"anchor": {"$in": anchors}}, {"doc_id": {"$in": doc_ids}}]}
    for pid, similarity in index.nearest(vector, min(n, len(index.passages)), where):
        if pid in index.by_id and (allowed is None or pid in allowed):
            dense[pid] = similarity
    # A passage is also as close as the nearest of its aliases (plain words for its unit).
    aliases = {i: s for i, s in index.alias_similarity(vector).items() if allowed is None or i in allowed}
    for pid in sorted(aliases, key=lambda i: -aliases[i])[:n]:
        dense[pid] = max(dense.get(pid, index.similarity(pid, vector)), aliases[pid])
    for pid in dense:
        if pid in aliases:
            dense[pid] = max(dense[pid], aliases[pid])
    # And as close as its closest sentence, in part: a long passage's one vector blurs what each sentence says.
    weight = settings.sentence_weight
    if weight > 0:
        sentences = {i: s for i, s in index.sentence_similarity(vector).items() if allowed is None or i in allowed}
        for pid in sorted(sentences, key=lambda i: -sentences[i])[:n]:
            own = dense[pid] if pid in dense and pid not in aliases else index.similarity(pid, vector)
            dense[pid] = max(dense.get(pid, own), weight * sentences[pid] + (1 - weight) * own)

    lexical: dict[str, float] = {}
    tokens = tokenize(query)
    if tokens and index.bm25 is not None:
        scores = index.bm25.get_scores(tokens)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        for i in order:
            if len(lexical) >= n or scores[i] <= 0:
                break
            pid = index.passages[i].id
            if allowed is None or pid in allowed:
                lexical[pid] = float(scores[i])

    fused: dict[str, float] = {}
    for weight, ranking in ((settings.dense_weight, dense), (settings.lexical_weight, lexical)):
        for rank, pid in enumerate(sorted(ranking, key=lambda i: -ranking[i])):
            fused[pid] = fused.get(pid, 0.0) + weight / (settings.rrf_k + rank + 1)
    ranked = sorted(fused, key=lambda i: (-fused[i], index.by_id[i].order))[:k]
    return [
        ScoredPassage(
            passage=index.by_id[i], score=fused[i],
            dense=dense[i] if i in dense else max(index.similarity(i, vector), aliases.get(i, -1.0)),
            lexical=lexical.get(i),
        )
        for i in ranked
    ]
