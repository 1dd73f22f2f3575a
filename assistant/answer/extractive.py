"""The deterministic composer: quotes the sentences of the best passages, or every item of an asked-for list.

Each quoted sentence becomes one line with its citation (exact quote, offsets, anchor, label). A
further passage is quoted only when its relevance is close to the best one's; a question that
asks for an enumerated list gets every item of the list in the memo's order, and the list's
passages come first in ``retrieved``.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.citations.cite import citation, passage_sentences
from assistant.corpus.words import tokenize
from assistant.index.load import Index
from assistant.types import Answer, Passage

from .compose import ComposeContext, ComposeEvent, Composition
from .lists import group_passages, list_group
from .refusal import coverage, relevance
from .retrieve import ScoredPassage


def _best_sentences(index: Index, passage: Passage, q_tokens: list[str], limit: int) -> list[tuple[int, int]]:
    spans = passage_sentences(passage)
    if len(spans) <= limit:
        return spans
    text = index.texts[passage.doc_id]
    scored = []
    for i, (s, e) in enumerate(spans):
        score = coverage(index, q_tokens, set(tokenize(text[s:e]))) + (0.15 if i == 0 else 0.0)
        scored.append((score, -i, (s, e)))
    best = sorted(scored, reverse=True)[:limit]
    return sorted(span for _, _, span in best)


def extractive_answer(ctx: ComposeContext) -> Answer:
    """The extractive answer to a question the pipeline decided to answer."""
    index, settings, results = ctx.index, ctx.settings, ctx.results
    question = ctx.request.question
    q_tokens = tokenize(question)
    rel = {r.passage.id: relevance(index, settings, q_tokens, r) for r in results}
    best = max(rel.values(), default=0.0)

    claims: list[tuple[Passage, int, int]] = []
    group = list_group(question)
    items = group_passages(index, group) if group is not None else []
    retrieved = [r.to_retrieved() for r in results]
    if items:
        for p in items:
            claims.extend((p, s, e) for s, e in passage_sentences(p)[:1])
        # The answer is built from the list's passages: they come first in `retrieved`.
        scored = {r.passage.id: r for r in results}
        listed = [(scored[p.id] if p.id in scored else ScoredPassage(passage=p, score=0.0)).to_retrieved() for p in items]
        retrieved = listed + [r for r in retrieved if r.passage_id not in {p.id for p in items}]
    else:
        ranked = sorted(results, key=lambda r: -rel[r.passage.id])
        chosen = [r for r in ranked if rel[r.passage.id] >= settings.answer.relative_cutoff * best]
        for r in chosen[: settings.answer.max_passages]:
            for s, e in _best_sentences(index, r.passage, q_tokens, settings.answer.max_sentences_per_passage):
                claims.append((r.passage, s, e))

    citations = [citation(index, p, s, e) for p, s, e in claims]
    bullet = "- " if items and len(citations) > 1 else ""
    lines = [f"{bullet}{c.quote} [{i}]" for i, c in enumerate(citations, 1)]
    return Answer(question=question, answer="\n".join(lines), refused=False, citations=citations, retrieved=retrieved)


class ExtractiveComposer:
    """The default composer: deterministic, offline, no model."""

    name = "extractive"

    def compose(self, ctx: ComposeContext) -> Iterator[ComposeEvent]:
        """One ``done`` event with the extractive answer (its lines are shown once verified, by the pipeline)."""
        yield ComposeEvent(kind="done", composition=Composition(answer=extractive_answer(ctx)))
