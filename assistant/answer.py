"""Answering: a LangChain runnable chain retrieve -> compose -> verify.

The default composer is deterministic and extractive: it decides from the retrieval scores whether
the corpus answers the question at all (else it refuses with the shared refusal sentence and names
the closest passages), then quotes the sentences of the best passages that match the question,
each with a citation (exact quote, offsets, anchor, label). A question that asks for a list ("what
are the mitigating factors?") gets every item of the list, each cited. The verify step runs the
checker's citation rules and drops any claim that fails before the answer is returned.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from .check import REFUSAL, check_answer, check_citation
from .corpus import GUIDELINES_ID, load_manifest, status_on
from .errors import ConfigError, InputError
from .index import tokenize
from .retrieve import Filters, ScoredPassage, search
from .splitter import sentence_spans
from .types import Answer, Citation, Passage, Status

if TYPE_CHECKING:
    from langchain_core.runnables import Runnable

    from .config import Settings
    from .index import Index, PassageSet

# --- list questions -------------------------------------------------------------------------------

LIST_CUE = re.compile(
    r"^\s*(what|which)\s+(are|were)\b|\b(list|enumerate|name)\b|\ball\s+(of\s+)?the\b|\bwhat\s+(factors|priorities)\b"
    r"|\bhow\s+many\b",
    re.I,
)


@dataclass(frozen=True)
class ListGroup:
    """A list the guidelines enumerate: the words that ask for it and the anchors of its items."""

    name: str
    pattern: re.Pattern[str]
    intro: str | None
    prefixes: tuple[str, ...]
    exclude: tuple[str, ...] = ()


LIST_GROUPS = (
    ListGroup("mitigating", re.compile(r"\bmitigat\w*|\bfavou?r of declining\b", re.I), "mit.overview", ("mit.",), ("mit.overview",)),
    ListGroup("aggravating", re.compile(r"\baggravat\w*", re.I), "agg.overview", ("agg.",), ("agg.overview",)),
    ListGroup("priorities", re.compile(r"\bpriorit(y|ies)\b", re.I), "priorities", ("priority.",)),
    ListGroup("implementation", re.compile(r"\bimplement\w*|\bsafeguards?\b", re.I), None, ("impl.",)),
)

_PLURAL = re.compile(r"\b(factors|priorities|categories|considerations|safeguards|provisions|groups|kinds|types)\b", re.I)


def list_group(question: str) -> ListGroup | None:
    """The enumerated list the question asks for, if it asks for one."""
    if not (LIST_CUE.search(question) and _PLURAL.search(question)):
        return None
    return next((g for g in LIST_GROUPS if g.pattern.search(question)), None)


# --- sentences ------------------------------------------------------------------------------------

_LIST_MARKER = re.compile(r"^\s*(?:\d+|[a-z]|[ivx]+)[.)]\s+|^\s*\((?:\d+|[a-z]|[ivx]+)\)\s+|^\s*[-*•]\s+")


def sentences(passage: Passage) -> list[tuple[int, int]]:
    """Sentence spans (offsets into the document) of a passage, without a list marker or bold lead."""
    text = passage.text
    begin = 0
    marker = _LIST_MARKER.match(text)
    if marker:
        begin = marker.end()
    lead = passage.heading
    # Only a run-in heading ("Advanced or tender age.") is skipped; a section title that merely
    # begins the first sentence ("Case review is ...") is part of that sentence.
    if lead and lead.endswith((".", ":")) and text[begin:].startswith(lead) and len(text) - begin > len(lead) + 1:
        begin += len(lead)
        while begin < len(text) and text[begin].isspace():
            begin += 1
    spans = sentence_spans(text, begin)
    return [(passage.start + s, passage.start + e) for s, e in spans if e > s]


# --- scoring --------------------------------------------------------------------------------------


def _idf(index: Index, token: str) -> float:
    idf = index.bm25.idf.get(token) if index.bm25 is not None else None
    if idf is None:  # a word the corpus never uses weighs like the rarest word it does use
        return index.max_idf
    return max(idf, 0.05)


def coverage(index: Index, q_tokens: list[str], text_tokens: set[str]) -> float:
    """IDF-weighted share of the question's words that the text contains."""
    if not q_tokens:
        return 0.0
    total = sum(_idf(index, t) for t in set(q_tokens))
    hit = sum(_idf(index, t) for t in set(q_tokens) if t in text_tokens)
    return hit / total if total else 0.0


def relevance(index: Index, settings: Settings, q_tokens: list[str], result: ScoredPassage) -> float:
    """How well one passage answers the question: dense similarity plus weighted word coverage."""
    from .ingest import embed_text

    dense = result.dense if result.dense is not None else 0.0
    cov = coverage(index, q_tokens, set(tokenize(embed_text(result.passage))))
    return dense + settings.answer.coverage_weight * cov


class Relevance(BaseModel):
    """The numbers the refusal decision rests on (logged and reported by the calibration)."""

    best: float = Field(description="Best passage relevance: dense similarity plus weighted word coverage.")
    best_dense: float = Field(description="Best dense similarity of a retrieved passage.")
    decoy: float = Field(description="Similarity of the nearest out-of-scope topic.")
    decoy_topic: str | None = None

    def refuse(self, settings: Settings) -> bool:
        """Refuse when no passage is relevant enough, or an out-of-scope topic is closer than any passage."""
        return self.best < settings.answer.refusal_threshold or self.decoy - self.best_dense > settings.answer.decoy_margin


def assess(index: Index, settings: Settings, question: str, results: list[ScoredPassage], vector: list[float]) -> Relevance:
    """Score how well the retrieved passages answer ``question``."""
    q_tokens = tokenize(question)
    decoy, topic = index.nearest_decoy(vector)
    if not results or not q_tokens:
        return Relevance(best=0.0, best_dense=0.0, decoy=decoy, decoy_topic=topic)
    return Relevance(
        best=max(relevance(index, settings, q_tokens, r) for r in results),
        best_dense=max(r.dense or 0.0 for r in results),
        decoy=decoy,
        decoy_topic=topic,
    )


# --- the chain ------------------------------------------------------------------------------------


class AskRequest(BaseModel):
    """The input of the answer chain."""

    question: str
    as_of: dt.date
    k: int | None = None
    filters: Filters | None = None


class _Draft(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    request: AskRequest
    results: list[ScoredPassage]
    vector: list[float]
    answer: Answer | None = None
    timings: dict[str, float] = {}


def validate_question(question: str, settings: Settings) -> str:
    """The question, cleaned; an empty or oversized one is an InputError."""
    if not isinstance(question, str):
        raise InputError("the question must be text")
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if not cleaned:
        raise InputError('the question is empty; ask a question, e.g. guidance ask "Does age matter?"')
    limit = settings.answer.max_question_chars
    if len(cleaned) > limit:
        raise InputError(
            f"the question is {len(cleaned):,} characters long; the limit is {limit:,} "
            "(GUIDANCE_ANSWER__MAX_QUESTION_CHARS). Ask a shorter question"
        )
    return cleaned


def guidelines_status(index: Index, settings: Settings, on: dt.date) -> Status | None:
    """The guidelines' status on a date, from the index's metadata (or the corpus manifest)."""
    meta = index.meta(GUIDELINES_ID) or load_manifest(settings.paths.corpus_dir).get(GUIDELINES_ID)
    return status_on(meta, on) if meta else None


def cite_anchor(source: PassageSet, anchor: str, doc_id: str = GUIDELINES_ID, sentences_max: int = 1) -> Citation:
    """A verified-by-construction citation of the passage that states ``anchor``: its first sentence(s)."""
    found = source.with_anchor(anchor, doc_id)
    if not found:
        raise ConfigError(f"no passage of {doc_id} carries the anchor '{anchor}'; the corpus and the rules disagree")
    passage = found[0]
    spans = sentences(passage)[:sentences_max] or [(passage.start, passage.end)]
    return _citation(source, passage, spans[0][0], spans[-1][1])


def _citation(index: PassageSet, passage: Passage, start: int, end: int) -> Citation:
    return Citation(
        doc_id=passage.doc_id, anchor=passage.anchor, section=passage.section, heading=passage.heading,
        quote=index.texts[passage.doc_id][start:end], start=start, end=end, label=passage.label, passage_id=passage.id,
    )


def _best_sentences(index: Index, passage: Passage, q_tokens: list[str], limit: int) -> list[tuple[int, int]]:
    spans = sentences(passage)
    if len(spans) <= limit:
        return spans
    text = index.texts[passage.doc_id]
    scored = []
    for i, (s, e) in enumerate(spans):
        score = coverage(index, q_tokens, set(tokenize(text[s:e]))) + (0.15 if i == 0 else 0.0)
        scored.append((score, -i, (s, e)))
    best = sorted(scored, reverse=True)[:limit]
    return sorted(span for _, _, span in best)


def _refusal(index: Index, results: list[ScoredPassage], question: str) -> Answer:
    closest = [r.passage.label for r in results[:3] if r.passage.label]
    text = REFUSAL
    if closest:
        text += " The closest passages are: " + "; ".join(closest) + "."
    return Answer(question=question, answer=text, refused=True, retrieved=[r.to_retrieved() for r in results])


def compose(
    index: Index, settings: Settings, request: AskRequest, results: list[ScoredPassage], vector: list[float]
) -> Answer:
    """Build the extractive answer (or the refusal) from the ranked passages."""
    question = request.question
    q_tokens = tokenize(question)
    if assess(index, settings, question, results, vector).refuse(settings):
        return _refusal(index, results, question)
    rel = {r.passage.id: relevance(index, settings, q_tokens, r) for r in results}
    best = max(rel.values())

    claims: list[tuple[Passage, int, int]] = []
    group = list_group(question)
    items = group_passages(index, group) if group is not None else []
    retrieved = [r.to_retrieved() for r in results]
    if items:
        for p in items:
            claims.extend((p, s, e) for s, e in sentences(p)[:1])
        # The answer is built from the list's passages: they come first in `retrieved` (CONTRACTS section 2).
        scored = {r.passage.id: r for r in results}
        listed = [
            (scored[p.id] if p.id in scored else ScoredPassage(passage=p, score=0.0)).to_retrieved() for p in items
        ]
        retrieved = listed + [r for r in retrieved if r.passage_id not in {p.id for p in items}]
    else:
        ranked = sorted(results, key=lambda r: -rel[r.passage.id])
        chosen = [r for r in ranked if rel[r.passage.id] >= settings.answer.relative_cutoff * best]
        for r in chosen[: settings.answer.max_passages]:
            for s, e in _best_sentences(index, r.passage, q_tokens, settings.answer.max_sentences_per_passage):
                claims.append((r.passage, s, e))

    citations = [_citation(index, p, s, e) for p, s, e in claims]
    bullet = "- " if items and len(citations) > 1 else ""
    lines = [f"{bullet}{c.quote} [{i}]" for i, c in enumerate(citations, 1)]
    return Answer(
        question=question, answer="\n".join(lines), refused=False, citations=citations, retrieved=retrieved,
    )


def group_passages(index: PassageSet, group: ListGroup) -> list[Passage]:
    """The passages of an enumerated list, in document order: its introduction, then one per item."""
    intro = [p for p in index.passages if group.intro and p.anchor == group.intro][:1]
    items: dict[str, Passage] = {}
    for p in index.passages:
        if p.anchor and p.anchor.startswith(group.prefixes) and p.anchor not in group.exclude:
            items.setdefault(p.anchor, p)
    return intro + list(items.values()) if items else []


def verify(index: Index, answer: Answer) -> Answer:
    """Drop every claim whose citation fails the checker; refuse if none survives; attach the report."""
    kept = [c for c in answer.citations if not check_citation(c, index.texts, index.passages)]
    if len(kept) != len(answer.citations):
        if not kept:
            answer = Answer(question=answer.question, answer=REFUSAL, refused=True, retrieved=answer.retrieved)
        else:
            lines = [f"{c.quote} [{i}]" for i, c in enumerate(kept, 1)]
            answer = answer.model_copy(update={"citations": kept, "answer": "\n".join(lines)})
    answer.check = check_answer(answer, index.texts, index.passages)
    return answer


def build_chain(index: Index, settings: Settings, backend: str | None = None) -> Runnable:
    """The answer chain as a LangChain runnable: AskRequest -> Answer (``backend`` overrides ``llm.backend``)."""
    from langchain_core.runnables import RunnableLambda

    from .llm import resolve_backend

    backend = resolve_backend(settings, backend)

    def _retrieve(request: AskRequest) -> _Draft:
        t = time.perf_counter()
        vector = index.embedder.embed_query(request.question)
        results = search(index, request.question, settings.retrieval, k=request.k, filters=request.filters, query_vector=vector)
        return _Draft(
            request=request, results=results, vector=vector, timings={"retrieve_ms": (time.perf_counter() - t) * 1000}
        )

    def _compose(draft: _Draft) -> _Draft:
        t = time.perf_counter()
        if backend == "extractive":
            draft.answer = compose(index, settings, draft.request, draft.results, draft.vector)
        else:  # a chat model drafts; every claim is verified, else the extractive answer (assistant/generate.py)
            from .generate import compose_generative

            draft.answer = compose_generative(index, settings, draft.request, draft.results, draft.vector, backend)
        draft.timings["compose_ms"] = (time.perf_counter() - t) * 1000
        return draft

    def _verify(draft: _Draft) -> Answer:
        t = time.perf_counter()
        assert draft.answer is not None
        answer = verify(index, draft.answer)
        answer.status = guidelines_status(index, settings, draft.request.as_of)
        draft.timings["verify_ms"] = (time.perf_counter() - t) * 1000
        answer.timings_ms = {k: round(v, 2) for k, v in draft.timings.items()}
        return answer

    return RunnableLambda(_retrieve) | RunnableLambda(_compose) | RunnableLambda(_verify)


def ask(
    index: Index,
    settings: Settings,
    question: str,
    as_of: dt.date | None = None,
    k: int | None = None,
    filters: Filters | None = None,
    backend: str | None = None,
) -> Answer:
    """Answer one question with verified citations, or refuse (``backend``: extractive, openai, ollama; default the setting)."""
    request = AskRequest(
        question=validate_question(question, settings), as_of=as_of or dt.date.today(), k=k, filters=filters
    )
    return build_chain(index, settings, backend).invoke(request)
