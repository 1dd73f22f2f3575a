"""The deterministic composer: verified quotes shaped by the question frame.

Every line is a quote of a passage with its citation, or one of the fixed constants (the premise
correction, the case-memo hint). The shape follows the frame: a list question gets the list's
lead-in and every item in the memo's order; any other question gets only the sentences that
speak to the ask's focus words (a sentence that merely shares the topic is left out, and a
list's lead-in never stands alone); a false premise opens with the correction and the passages
that correct it; a case typed as a question gets the case-by-case rule and the memo hint; a
question about a number the guidelines do not set gets the factor and the sentence saying they
set none; a question about the status on a date gets the history passage for that date.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from assistant.check.rules import MEMO_HINT, PREMISE
from assistant.citations.cite import citation, passage_sentences
from assistant.corpus.passages import PassageSet
from assistant.corpus.words import tokenize
from assistant.types import Answer, Citation, Passage, Retrieved, Status, Understood

from .compose import ComposeContext, ComposeEvent, Composition
from .lists import LIST_GROUPS, ListGroup, group_passages, list_group
from .understand import clause_of, list_group_name
from .premises import load_premises, polarity_premise
from .refusal import coverage, relevance
from .retrieve import ScoredPassage, search

_MARKER = re.compile(r"\[(\d+)\]")
_NOW = re.compile(r"\b(still|now|today|currently|any ?more|these days|at present|at the moment|rely on (it|them|the guidelines|this memo))\b", re.I)
"""A status question about now ("are they still in force?"), answered by the current status passage."""
LEAD_INS = ("agg.overview", "mit.overview")
PREMISE_FOCUS = tokenize("automatic bright line category categories alone not exhaustive only right enforceable court standing "
                         "vacated reversed based solely")
CASE_FOCUS = tokenize("current threat public safety totality facts circumstances bright lines categories individual judgment")
TOPIC_ASKS = ("counts", "assessment")
"""Asks answered by the unit about their topic ("does age matter?": the age factor), whatever its words: the
best-ranked unit is quoted first. Other asks quote only sentences holding the ask's focus words."""
NO_NUMBER_FOCUS = tokenize("number age years count convictions sentence time")


class Lines:
    """An answer being built: quoted lines with their [n] markers, and fixed constants."""

    def __init__(self, source: PassageSet):
        self.source = source
        self.citations: list[Citation] = []
        self.lines: list[str] = []
        self._spans: set[tuple[str, int, int]] = set()

    def quote(self, passage: Passage, start: int, end: int, bullet: bool = False) -> bool:
        """Add one quoted span (once); return whether it was new."""
        key = (passage.doc_id, start, end)
        if key in self._spans:
            return False
        self._spans.add(key)
        self.citations.append(citation(self.source, passage, start, end))
        self.lines.append(f"{'- ' if bullet else ''}{self.citations[-1].quote} [{len(self.citations)}]")
        return True

    def constant(self, text: str) -> None:
        """Add a fixed sentence of the assistant (never a claim about what the guidelines say)."""
        self.lines.append(text)

    def answer(self, question: str, retrieved: list[Retrieved]) -> Answer:
        """The draft answer (verified afterwards by the pipeline)."""
        return Answer(question=question, answer="\n".join(self.lines), refused=False, citations=self.citations,
                      retrieved=retrieved)


def _root(token: str) -> str:
    """A stemmed token with a final -e or -y evened out, so that "replace" meets "replaced" and "apply" meets "applied"."""
    if len(token) > 4 and token.endswith("e"):
        return token[:-1]
    if len(token) > 3 and token.endswith("y"):
        return token[:-1] + "i"
    return token


_STEM = 7
"""Longer words that share their first seven letters are one word for the focus ("nationalities" and "national",
"protections" and "protected"): the light stemmer leaves such pairs apart."""


def _matched(root: str, words: set[str], stems: set[str]) -> str | None:
    """The focus word a sentence's word stands for (None when it stands for none)."""
    if root in words:
        return root
    return root[:_STEM] if len(root) > _STEM and root[:_STEM] in stems else None


def focused(index: PassageSet, passage: Passage, focus: list[str], limit: int, floor: float = 0.0) -> list[tuple[int, int]]:
    """The sentences of ``passage`` that speak to the focus words, best first in document order (at most ``limit``).

    A sentence speaks to the focus when it holds focus words worth at least half of the best
    sentence's; when no sentence holds any, only the passage's first sentence is kept.
    """
    spans = passage_sentences(passage)
    if not spans:
        return []
    text = index.texts[passage.doc_id]
    words = {_root(w) for w in focus}
    stems = {w[:_STEM] for w in words if len(w) > _STEM}
    scores = []
    for i, (s, e) in enumerate(spans):
        found = {_matched(r, words, stems) for r in map(_root, tokenize(text[s:e]))} - {None}
        scores.append((len(found) + (0.25 if i == 0 else 0.0), i))
    best = max(score for score, _ in scores)
    if best < 1.0:
        return [spans[0]] if floor <= 0.25 else []
    kept = sorted((score, -i) for score, i in scores if score >= max(1.0, best / 2, floor))
    chosen = sorted(-i for _, i in kept[::-1][:limit])
    return [spans[i] for i in chosen]


def _best_results(ctx: ComposeContext, exclude: tuple[str, ...] = ()) -> list[ScoredPassage]:
    """The passages worth quoting: the most relevant (dense similarity plus word coverage), and any near it."""
    q_tokens = tokenize(ctx.request.question)
    ranked = [r for r in ctx.results if (r.passage.anchor or "") not in exclude]
    if not ranked:
        return []
    rel = {r.passage.id: relevance(ctx.index, ctx.settings, q_tokens, r) for r in ranked}
    best = max(rel.values())
    cutoff = ctx.settings.answer.relative_cutoff * best
    chosen = [r for r in sorted(ranked, key=lambda r: -rel[r.passage.id]) if rel[r.passage.id] >= cutoff]
    return chosen


def default_answer(ctx: ComposeContext, focus: list[str]) -> Lines:
    """The best passages' sentences that speak to the focus of the ask (a lead-in alone is never quoted)."""
    lines = Lines(ctx.index)
    chosen = _best_results(ctx, exclude=LEAD_INS)[: ctx.settings.answer.max_passages]
    limit = ctx.settings.answer.max_sentences_per_passage
    top = next((r for r in ctx.results if (r.passage.anchor or "") not in LEAD_INS), None)
    whether = ctx.frame is not None and ctx.frame.ask in TOPIC_ASKS
    if top is not None and whether:  # whether X counts: the best-ranked unit is the one about X; it is quoted first
        chosen = [top, *(r for r in chosen if r.passage.id != top.passage.id)][: ctx.settings.answer.max_passages]
    for n, r in enumerate(chosen):  # then only sentences that speak to the focus of the ask
        for s, e in focused(ctx.index, r.passage, focus, limit, floor=0.0 if n == 0 and whether else 1.0):
            lines.quote(r.passage, s, e)
    if not lines.citations:  # none does: the best passage's opening sentence (a lead-in alone is never quoted)
        first = chosen[0].passage if chosen else (ctx.results[0].passage if ctx.results else None)
        for s, e in (passage_sentences(first)[:1] if first is not None else []):
            lines.quote(first, s, e)
    return lines


def list_answer(ctx: ComposeContext, group: ListGroup) -> tuple[Lines, list[Passage]]:
    """The list's lead-in as its own line, then one bullet per item in the memo's order."""
    lines = Lines(ctx.index)
    items = group_passages(ctx.index, group)
    for p in items:
        for s, e in passage_sentences(p)[:1]:
            lines.quote(p, s, e, bullet=p.anchor not in LEAD_INS and p.anchor != group.intro)
    return lines, items


def premise_answer(ctx: ComposeContext, anchors: tuple[str, ...], focus: list[str]) -> Lines:
    """The premise correction, then the sentences of the correcting passages that speak to the premise."""
    lines = Lines(ctx.index)
    lines.constant(PREMISE)
    limit = ctx.settings.answer.max_sentences_per_passage
    for anchor in anchors:
        passages = ctx.index.with_anchor(anchor)
        # the paragraph of the unit that speaks to the premise ("Who signed the memo ..."), else its first
        words = {_root(w) for w in focus}
        spoken = sorted(passages, key=lambda p: -len(words & {_root(t) for t in tokenize(p.text)}))
        for p in spoken[:1]:
            for s, e in focused(ctx.index, p, focus, limit):
                lines.quote(p, s, e)
    return lines


def case_answer(ctx: ComposeContext, focus: list[str]) -> Lines:
    """A case typed as a question: the priority its facts come closest to, the case-by-case rule, then the memo hint.

    The facts decide nothing here: the answer quotes the priority the question is nearest to (a
    border crossing, espionage) and, for public safety, that no bright line settles it; the case
    memo is where facts are laid against each priority and factor.
    """
    lines = Lines(ctx.index)
    nearest = next((r.passage for r in ctx.results if (r.passage.anchor or "").startswith("priority.")), None)
    if nearest is not None and nearest.anchor != "priority.public_safety":
        for s, e in focused(ctx.index, nearest, focus, 1):
            lines.quote(nearest, s, e)
    for p in ctx.index.with_anchor("priority.public_safety")[:2]:
        for s, e in focused(ctx.index, p, CASE_FOCUS, 2, floor=2.0):
            lines.quote(p, s, e)
    lines.constant(MEMO_HINT)
    return lines


def number_answer(ctx: ComposeContext, focus: list[str]) -> Lines | None:
    """The factor asked about, then the sentence saying the guidelines set no number for any factor."""
    factor = next((r.passage for r in ctx.results if (r.passage.anchor or "").startswith(("mit.", "agg."))
                   and r.passage.anchor not in LEAD_INS), None)
    if factor is None:
        return None
    lines = Lines(ctx.index)
    for s, e in passage_sentences(factor)[:1]:
        lines.quote(factor, s, e)
    text = ctx.index.texts
    for p in ctx.index.with_anchor("priority.public_safety"):
        for s, e in passage_sentences(p):
            if "number" in tokenize(text[p.doc_id][s:e]):
                lines.quote(p, s, e)
    return lines


def status_answer(ctx: ComposeContext, anchor: str | None, date_words: list[str], focus: list[str]) -> Lines | None:
    """The history passage that tells of the event governing the date, its sentences about that date first."""
    passages = ctx.index.with_anchor(anchor) if anchor else []
    if not passages:
        return None
    lines = Lines(ctx.index)
    p = passages[0]
    spans = focused(ctx.index, p, [*date_words, *focus], 2)
    for s, e in spans:
        lines.quote(p, s, e)
    return lines


def group_for(name: str | None, question: str) -> ListGroup | None:
    """The enumerated list a list question asks for, by the frame's group name, else by its words."""
    if name is not None:
        return next((g for g in LIST_GROUPS if g.name == name), None)
    return list_group(question)


def frame_group(ctx: ComposeContext) -> ListGroup | None:
    """The list the question asks for: from the frame when there is one (a list ask), else from its words."""
    frame = ctx.frame
    if frame is None:
        return list_group(ctx.request.question)
    if frame.ask != "list":
        return None
    clause = clause_of(frame)  # "Once ICE detains a priority, what are the visiting hours?": not the priorities
    return group_for(list_group_name(clause), clause)


def extractive_answer(ctx: ComposeContext, frame: Understood | None = None) -> Answer:
    """The extractive answer: every item of a list asked for, else the best passages' sentences on the ask's focus."""
    if frame is not None:
        ctx = dataclasses.replace(ctx, frame=frame)
    retrieved = [r.to_retrieved() for r in ctx.results]
    group = frame_group(ctx)
    if group is not None:
        lines, items = list_answer(ctx, group)
        if items:
            return lines.answer(ctx.request.question, _listed_first(ctx, items))
    focus = ctx.frame.focus if ctx.frame is not None else tokenize(ctx.request.question)
    return default_answer(ctx, focus).answer(ctx.request.question, retrieved)


def shape(ctx: ComposeContext, frame: Understood, status: Status | None) -> Answer | None:
    """The answer of a question whose frame fixes its shape, whatever the backend; None for the composer to answer.

    A premise the guidelines contradict: the correction and the correcting passages. A case typed as
    a question: the case-by-case rule and the memo hint. A number the guidelines do not set: the
    factor and the sentence that they set none. The status on a date: the history passage of the
    event that governs that date.
    """
    retrieved = [r.to_retrieved() for r in ctx.results]
    question = ctx.request.question
    anchors = premise_anchors(ctx, frame)
    if anchors:
        answer = premise_answer(ctx, anchors, [*frame.focus, *PREMISE_FOCUS, *tokenize(frame.premise_text or "")]).answer(question, retrieved)
        answer.premise_corrected = bool(answer.citations)
        return answer if answer.citations else None
    asked = _asked_row(ctx, frame)
    if asked is not None and not frame.case_question:  # "Are those the only factors?": the passages that say, no correction
        lines = Lines(ctx.index)
        words = tokenize(asked.description)  # "that the listed factors are an exhaustive list"
        for anchor in asked.corrects:
            for p in ctx.index.with_anchor(anchor):
                for s, e in focused(ctx.index, p, words, 1, floor=2.0):
                    lines.quote(p, s, e)
        if lines.citations:
            return lines.answer(question, retrieved)
    if frame.case_question:
        answer = case_answer(ctx, frame.focus).answer(question, retrieved)
        answer.memo_hint = True
        return answer if answer.citations else None
    if frame.number_ask:
        lines = number_answer(ctx, frame.focus)
        return lines.answer(question, retrieved) if lines is not None and lines.citations else None
    if frame.ask == "status" and status is not None and (frame.dates or _NOW.search(frame.searched_for) or ctx.request.as_of_given):
        date_words = [t for d in frame.dates for t in tokenize(d.text)]
        dated = any(not d.now for d in frame.dates) or ctx.request.as_of_given
        now = None if dated else _now_first(ctx, status.source, frame.focus)
        lines = now or status_answer(ctx, status.source, date_words, frame.focus)
        return lines.answer(question, retrieved) if lines is not None and lines.citations else None
    return None


def _now_first(ctx: ComposeContext, source: str | None, focus: list[str]) -> Lines | None:
    """For a question about the status now ("are they still in force?"): the history passage the question
    retrieves best, when it is not the governing event's (the account of the status today), quoted first."""
    event = ctx.index.with_anchor(source) if source else []
    if not event:
        return None
    best = next((r.passage for r in ctx.results if r.passage.doc_id == event[0].doc_id), None)
    if best is None or best.anchor == source:
        return None
    spans = passage_sentences(best)[:1]  # its lead: what the status is today
    if not spans:
        return None
    lines = Lines(ctx.index)
    lines.quote(best, *spans[0])
    for s, e in focused(ctx.index, event[0], focus, 2):
        lines.quote(event[0], s, e)
    return lines


def _asked_row(ctx: ComposeContext, frame: Understood):
    """The premise row a yes/no question asks about (None when it asks about none)."""
    if not frame.premise_asked or frame.ask not in ("counts", "says"):
        return None
    return load_premises(ctx.settings.paths.corpus_dir).by_id(frame.premise_asked)


def premise_anchors(ctx: ComposeContext, frame: Understood) -> tuple[str, ...]:
    """The passages that correct the frame's premise, or the polarity the question gets wrong (none: no premise)."""
    premises = load_premises(ctx.settings.paths.corpus_dir)
    if frame.premise:
        row = premises.by_id(frame.premise)
        return row.corrects if row else ()
    top = next((r.passage.anchor for r in ctx.results if r.passage.anchor), None)
    if polarity_premise(frame.searched_for, top, premises, clause_of(frame)):
        assert top is not None
        return (top,)
    return ()


def with_history(ctx: ComposeContext, answer: Answer, frame: Understood, status: Status | None, dated: bool) -> Answer:
    """An answer to a question naming a date, with the history passage for that date (when it cites none yet).

    ``dated``: a date of the question set the reported status (an entry date or a cutoff the
    question mentions does not: it is not a question about the status).
    """
    if answer.refused or not dated or status is None or not status.source:
        return answer
    if any(c.anchor == status.source for c in answer.citations):
        return answer
    date_words = [t for d in frame.dates for t in tokenize(d.text)]
    lines = status_answer(ctx, status.source, date_words, frame.focus)
    if lines is None or not lines.citations:
        return answer
    offset = len(answer.citations)
    extra = [_MARKER.sub(lambda m: f"[{int(m[1]) + offset}]", line) for line in lines.lines]
    return answer.model_copy(update={"answer": "\n".join([answer.answer, *extra]),
                                     "citations": [*answer.citations, *lines.citations]})


def related_quotes(ctx: ComposeContext, frame: Understood, limit: int = 3) -> list[Citation]:
    """What the guidelines say near a refused question: a sentence of each closest unit that shares its topic.

    Only a unit whose indexed words (text, label, aliases) hold a topic word of the question is
    related; it is quoted by its sentence that holds a topic word, else by its first sentence.
    A question with no topic word of the corpus (sourdough, the World Cup) has nothing related.
    """
    words = set(frame.topic)
    lines, seen = Lines(ctx.index), set()
    candidates = list(ctx.results[: ctx.settings.answer.answerability_top])
    if words:  # what the guidelines say about the question's subject, its ask left out ("how much", "which form")
        by_subject = search(ctx.index, " ".join(frame.topic), ctx.settings.retrieval, k=ctx.settings.answer.answerability_top,
                            filters=ctx.request.filters, query_vector=ctx.vector)  # its words; the question's own vector
        candidates = [r for pair in zip(candidates, by_subject) for r in pair] + candidates[len(by_subject):] + by_subject[len(candidates):]
    for r in candidates:
        anchor = r.passage.anchor
        if not words or anchor in LEAD_INS or anchor in seen or len(seen) >= limit:
            continue
        if not words & ctx.index.tokens_of(r.passage):
            continue
        spans = focused(ctx.index, r.passage, list(words), 1, floor=1.0) or passage_sentences(r.passage)[:1]
        if spans:
            seen.add(anchor)
            lines.quote(r.passage, *spans[0])
    return lines.citations


def _listed_first(ctx: ComposeContext, items: list[Passage]) -> list[Retrieved]:
    scored = {r.passage.id: r for r in ctx.results}
    listed = [(scored[p.id] if p.id in scored else ScoredPassage(passage=p, score=0.0)).to_retrieved() for p in items]
    return listed + [r.to_retrieved() for r in ctx.results if r.passage.id not in {p.id for p in items}]


class ExtractiveComposer:
    """The default composer: deterministic, offline, no model."""

    name = "extractive"

    def compose(self, ctx: ComposeContext) -> Iterator[ComposeEvent]:
        """One ``done`` event with the extractive answer (its lines are shown once verified, by the pipeline)."""
        yield ComposeEvent(kind="done", composition=Composition(answer=extractive_answer(ctx)))


__all__ = ["MEMO_HINT", "PREMISE", "ExtractiveComposer", "Lines", "case_answer", "coverage", "default_answer",
           "extractive_answer", "focused", "frame_group", "group_for", "list_answer", "number_answer", "premise_answer",
           "related_quotes", "shape", "status_answer", "with_history"]
