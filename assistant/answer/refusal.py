"""Whether the corpus answers a question at all: the relevance numbers and the one refusal decision.

The pipeline decides once, before any composer runs: it refuses when the best passage's relevance
(dense similarity plus the IDF-weighted share of the question's words it contains) is below
``answer.refusal_threshold``, or when an out-of-scope topic (``out_of_scope.yaml``) is closer to
the question than any passage by more than ``answer.decoy_margin``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from assistant.check.rules import REFUSAL
from assistant.corpus.words import tokenize
from assistant.types import Answer

from .retrieve import ScoredPassage

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.index.load import Index

RefusalReason = Literal["relevance", "out_of_scope_topic"]


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
    dense = result.dense if result.dense is not None else 0.0
    cov = coverage(index, q_tokens, set(index.tokens_of(result.passage)))
    return dense + settings.answer.coverage_weight * cov


class Relevance(BaseModel):
    """The numbers the refusal decision rests on (logged and reported by the calibration)."""

    best: float = Field(description="Best passage relevance: dense similarity plus weighted word coverage.")
    best_dense: float = Field(description="Best dense similarity of a retrieved passage.")
    decoy: float = Field(description="Similarity of the nearest out-of-scope topic.")
    decoy_topic: str | None = None

    def reason(self, settings: Settings) -> RefusalReason | None:
        """Why the question is refused (None: it is answered)."""
        if self.best < settings.answer.refusal_threshold:
            return "relevance"
        if self.decoy - self.best_dense > settings.answer.decoy_margin:
            return "out_of_scope_topic"
        return None

    def refuse(self, settings: Settings) -> bool:
        """Refuse when no passage is relevant enough, or an out-of-scope topic is closer than any passage."""
        return self.reason(settings) is not None


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


def refusal_answer(results: list[ScoredPassage], question: str) -> Answer:
    """The refusal: the shared sentence, then the labels of the closest passages (no citation)."""
    closest = [r.passage.label for r in results[:3] if r.passage.label]
    text = REFUSAL
    if closest:
        text += " The closest passages are: " + "; ".join(closest) + "."
    return Answer(question=question, answer=text, refused=True, retrieved=[r.to_retrieved() for r in results])
