"""Baselines scored on the same items in the same run (``guidance eval run --baselines``).

* ``lexical_only`` and ``dense_only``: the assistant itself with one side of the retrieval fusion
  switched off (``retrieval.dense_weight = 0`` or ``retrieval.lexical_weight = 0``); composer,
  refusal rule and checker are unchanged, so the difference is retrieval alone.
* ``langchain_recipe``: the plain recipe people start from. The same canonical texts are split by
  ``RecursiveCharacterTextSplitter`` (1000 characters, 200 overlap) and put in a Chroma collection
  in a temporary folder with our embedder; a question gets Chroma's similarity top-k. Its "answer"
  is the top chunk's text, cited as that span, and it never refuses. For retrieval metrics each
  chunk carries the anchors of the passages it covers substantially (``chunk_anchors``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.evals.results import Observed
from assistant.evals.sets import QuestionItem
from assistant.types import Answer, Citation, Passage, Retrieved

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.index.load import Index

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
MIN_COVER = 200
"""A chunk carries a passage's anchor when it covers at least half of the passage or MIN_COVER characters of it."""
BASELINES = ("lexical_only", "dense_only", "langchain_recipe")
LOAD_BATCH = 4
"""The LangChain recipe's chunks are embedded and stored this many at a time, each batch reported as loading progress."""


@dataclass
class Baseline:
    """A named answering system; use it as a context manager so that it can clean up after itself."""

    name: str
    description: str
    answer: Callable[[QuestionItem], Observed]
    close: Callable[[], None] = field(default=lambda: None)

    def __enter__(self) -> Baseline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _retrieval_only(index: Index, settings: Settings, name: str, description: str, **weights: float) -> Baseline:
    from assistant.answer.pipeline import ask

    tuned = settings.model_copy(deep=True)
    for key, value in weights.items():
        setattr(tuned.retrieval, key, value)

    def answer(item: QuestionItem) -> Observed:
        return Observed.of(ask(index, tuned, item.question, as_of=item.as_of, k=item.k))

    return Baseline(name, description, answer)


def chunk_anchors(passages: list[Passage], doc_id: str, start: int, end: int) -> list[str]:
    """Anchors of the passages of ``doc_id`` that the span ``start:end`` covers substantially, most covered first."""
    covered = []
    for p in passages:
        if p.doc_id != doc_id or not p.anchor:
            continue
        overlap = min(end, p.end) - max(start, p.start)
        if overlap > 0 and (overlap * 2 >= p.end - p.start or overlap >= MIN_COVER):
            covered.append((-overlap, p.order, p.anchor))
    return list(dict.fromkeys(a for _, _, a in sorted(covered)))


@dataclass(frozen=True)
class Chunk:
    """A fixed-size chunk of a document's canonical text."""

    doc_id: str
    start: int
    end: int
    text: str
    anchors: tuple[str, ...]


def split_corpus(texts: dict[str, str], passages: list[Passage]) -> list[Chunk]:
    """The plain recipe's chunks: RecursiveCharacterTextSplitter over each canonical text, with spans and anchors."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
    chunks = []
    for doc_id in sorted(texts):
        for doc in splitter.create_documents([texts[doc_id]]):
            start = int(doc.metadata["start_index"])
            end = start + len(doc.page_content)
            if texts[doc_id][start:end] != doc.page_content:  # add_start_index found the wrong occurrence
                start = texts[doc_id].find(doc.page_content)
                end = start + len(doc.page_content)
            chunks.append(Chunk(doc_id, start, end, doc.page_content, tuple(chunk_anchors(passages, doc_id, start, end))))
    return chunks


def _langchain_recipe(index: Index, settings: Settings, on_load: Callable[[int, int], None] | None = None) -> Baseline:
    import chromadb
    from langchain_chroma import Chroma

    folder = tempfile.mkdtemp(prefix="guidance-langchain-")
    chunks = split_corpus(index.texts, index.passages)
    if on_load is not None:
        on_load(0, len(chunks))  # loading has begun
    client = chromadb.PersistentClient(path=folder, settings=chromadb.config.Settings(anonymized_telemetry=False))
    store = Chroma(collection_name="langchain-recipe", embedding_function=index.embedder, client=client)
    ids = [f"c{i}" for i in range(len(chunks))]
    for lo in range(0, len(chunks), LOAD_BATCH):  # in batches, so that a progress bar moves while the chunks are embedded
        hi = min(lo + LOAD_BATCH, len(chunks))
        store.add_texts([c.text for c in chunks[lo:hi]], metadatas=[{"i": i} for i in range(lo, hi)], ids=ids[lo:hi])
        if on_load is not None:
            on_load(hi, len(chunks))
    by_id = dict(zip(ids, chunks))
    meta = {doc_id: index.meta(doc_id) for doc_id in index.texts}

    def answer(item: QuestionItem) -> Observed:
        hits = store.similarity_search_with_score(item.question, k=item.k or settings.retrieval.k)
        found: list[tuple[Chunk, float]] = [(by_id[str(doc.id)], float(d)) for doc, d in hits]
        retrieved = [
            Retrieved(doc_id=c.doc_id, anchor=c.anchors[0] if c.anchors else None, score=round(1 - d / 2, 6),
                      passage_id=f"{c.doc_id}:{c.start}-{c.end}", label=_label(meta.get(c.doc_id), c))
            for c, d in found
        ]
        citations, text = [], ""
        if found:
            top = found[0][0]
            text = top.text + " [1]"
            citations = [Citation(doc_id=top.doc_id, anchor=top.anchors[0] if top.anchors else None, quote=top.text,
                                  start=top.start, end=top.end, label=_label(meta.get(top.doc_id), top))]
        result = Answer(question=item.question, answer=text, refused=False, citations=citations, retrieved=retrieved,
                        backend="langchain-recipe")
        cited = list(found[0][0].anchors) if found else []
        return Observed(result, [list(c.anchors) for c, _ in found], cited)

    return Baseline(
        "langchain_recipe",
        f"RecursiveCharacterTextSplitter ({CHUNK_SIZE}/{CHUNK_OVERLAP}) + Chroma similarity top-k with our embedder; "
        "answer = top chunk, never refuses",
        answer, lambda: shutil.rmtree(folder, ignore_errors=True),
    )


def _label(meta: Any, chunk: Chunk) -> str:
    title = meta.short_title if meta is not None else chunk.doc_id
    return f"{title}, characters {chunk.start}-{chunk.end}"


def load_steps(index: Index) -> int:
    """How many chunks building the baselines embeds (the steps ``make_baselines`` reports to ``on_load``)."""
    return len(split_corpus(index.texts, index.passages))


def make_baselines(index: Index, settings: Settings, on_load: Callable[[int, int], None] | None = None) -> list[Baseline]:
    """The baselines of ``BASELINES``, built on the loaded index (the LangChain one in a temporary folder).

    ``on_load(done, total)`` is called after each batch of the LangChain recipe's chunks is stored
    (``total`` is ``load_steps(index)``).
    """
    return [
        _retrieval_only(index, settings, "lexical_only", "the assistant with BM25 retrieval only (dense_weight = 0)",
                        dense_weight=0.0),
        _retrieval_only(index, settings, "dense_only", "the assistant with dense retrieval only (lexical_weight = 0)",
                        lexical_weight=0.0),
        _langchain_recipe(index, settings, on_load),
    ]
