"""The one answer pipeline: request -> retrieve -> refusal decision -> compose -> verify -> status.

``run`` is a generator of ``AnswerEvent``s: a ``line`` for each verified line as soon as it is
known, a ``notice`` (the model's draft could not be verified, the deterministic answer follows),
then the ``answer``. ``ask`` and the front door's ``stream`` both use it, so there is one path
from a question to what a user sees. The refusal decision is made here, once, before any
composer runs; a chat composer's failure is turned into the extractive answer here too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.audit import log_drafting_failure
from assistant.check.answers import check_answer
from assistant.check.citations import check_citation
from assistant.check.rules import PART_HEADER, REFUSAL
from assistant.corpus.manifest import GUIDELINES_ID, load_manifest
from assistant.corpus.status import status_on
from assistant.types import Answer, Citation, DateNamed, DocumentMeta, Outcome, PartAnswer, Status, Understood

from .answerability import read_ask, unanswerable, unfamiliar_words
from .compose import ComposeContext, Composer, Composition
from .extractive import ExtractiveComposer, extractive_answer, related_quotes, shape, with_history
from .premises import load_premises
from .refusal import assess, refusal_answer
from .request import AskRequest, validate_question
from .retrieve import Filters, search
from .understand import FrameContext, is_case_date, understand

if TYPE_CHECKING:
    from langchain_core.runnables import Runnable

    from assistant.config import Settings
    from assistant.index.load import Index

    from .conversation import Conversation, Resolution

_MARKER = re.compile(r"\[(\d+)\]")
FALLBACK_NOTICE = ("The language model's answer could not be verified ({reason}); "
                   "this is the deterministic answer instead.")


class AnswerEvent(BaseModel):
    """What the pipeline yields: a verified ``line``, a ``notice`` (e.g. the fallback), then the ``answer``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kind: Literal["line", "notice", "answer"]
    text: str = ""
    answer: Answer | None = None
    drafting_rounds: list[dict[str, Any]] = Field(
        default_factory=list, description="With the answer: what a chat model returned in each round (for the audit log)."
    )


StreamEvent = AnswerEvent  # the name the streaming callers have always used


def guidelines_status(index: Index, settings: Settings, on: dt.date) -> Status | None:
    """The guidelines' status on a date, from the index's metadata (or the corpus manifest)."""
    meta = guidelines_meta(index, settings)
    return status_on(meta, on, index.metas) if meta else None


def guidelines_meta(index: Index, settings: Settings) -> DocumentMeta | None:
    """The guidelines' metadata: the index's, or the corpus manifest's."""
    return index.meta(GUIDELINES_ID) or load_manifest(settings.paths.corpus_dir).get(GUIDELINES_ID)


def frame_context(index: Index, settings: Settings, today: dt.date) -> FrameContext:
    """What understanding a question needs from the corpus: its words, its premise table, its dated events."""
    cached = index.__dict__.get("_frame_context")
    if cached is None:
        meta = guidelines_meta(index, settings)
        stems = frozenset(index.bm25.idf) if index.bm25 is not None else frozenset(index.vocabulary)
        cached = FrameContext(vocabulary=index.words(), stems=stems, names=index.names, premises=load_premises(settings.paths.corpus_dir),
                              events=tuple(meta.status_history) if meta else (), today=today)
        index.__dict__["_frame_context"] = cached
    return dataclasses.replace(cached, today=today)


def verify(index: Index, answer: Answer) -> Answer:
    """Drop every claim whose citation fails the checker; refuse if none survives; attach the report.

    The fixed lines of a deterministic answer (the premise correction, the memo hint, a part's
    header) are kept; related quotes that fail the checker are dropped.
    """
    related = [c for c in answer.related if not check_citation(c, index.texts, index.passages, metas=index.metas)]
    if len(related) != len(answer.related):
        answer = answer.model_copy(update={"related": related})
    kept = [c for c in answer.citations if not check_citation(c, index.texts, index.passages, metas=index.metas)]
    if len(kept) != len(answer.citations):
        if not kept:
            answer = Answer(question=answer.question, answer=REFUSAL, refused=True, retrieved=answer.retrieved,
                            understood=answer.understood, outcome=answer.outcome.model_copy(update={"refusal": "unverified"}))
        else:
            lines = [f"{c.quote} [{i}]" for i, c in enumerate(kept, 1)]
            answer = answer.model_copy(update={"citations": kept, "answer": "\n".join(lines), "parts": [],
                                               "premise_corrected": False, "memo_hint": False})
    answer.check = check_answer(answer, index.texts, index.passages, index.metas)
    return answer


def composer_for(settings: Settings, backend: str, stream: bool) -> Composer:
    """The composer of a backend: the extractive one, or a chat model's (built now, so a bad setting fails first)."""
    if backend == "extractive":
        return ExtractiveComposer()
    from .chat import ChatComposer

    return ChatComposer(settings, backend, stream=stream)


def run(
    index: Index, settings: Settings, request: AskRequest, backend: str | None = None, stream: bool = False
) -> Iterator[AnswerEvent]:
    """Answer ``request``: yield each verified line as it is known, then the verified answer.

    ``backend`` overrides ``llm.backend``; ``stream`` asks a chat model for a streamed reply. The
    question is understood first (``understand``); a multi-part question is answered part by part.
    """
    from assistant.llm.client import model_label, resolve_backend

    name = resolve_backend(settings, backend)
    composer = composer_for(settings, name, stream)
    outcome = Outcome(backend=name, model=None if name == "extractive" else model_label(settings, name))
    started = time.perf_counter()
    frame = understand(request.question, frame_context(index, settings, dt.date.today()))
    understand_ms = (time.perf_counter() - started) * 1000
    if frame.parts:
        events = _parts(index, settings, request, frame, composer, outcome)
    else:
        events = _single(index, settings, request, frame, composer, outcome, stream)
    for event in events:
        if event.answer is not None:
            event.answer.timings_ms = {"understand_ms": round(understand_ms, 2), **event.answer.timings_ms}
            event.answer.resolved_question = event.answer.resolved_question or request.question
        yield event


def status_date(frame: Understood, request: AskRequest, first: dt.date | None = None) -> dt.date:
    """The day whose status the answer reports: the request's when the caller chose it, else the last date the
    question names, else today.

    A date before the guidelines' history begins (``first``: an entry date, the 2020 cutoff, the
    interim memos of early 2021) sets the status only when the question asks for the status, and an event a
    question asks the date of ("when did they take effect?") is the answer, not the day of the status.
    """
    named = status_dates(frame, first)
    return named[-1].on if named and not request.as_of_given else request.as_of


def status_dates(frame: Understood, first: dt.date | None) -> list[DateNamed]:
    """The dates of the question that set the status it reports (see ``status_date``)."""
    if frame.case_question:
        return []
    if frame.ask == "status":
        return list(frame.dates)
    return [d for d in frame.dates if (first is None or d.on >= first) and not d.event and not d.now
            and not is_case_date(frame.searched_for, d.text)]  # "crossed the border in 2022": the case's date


def history_start(index: Index, settings: Settings) -> dt.date | None:
    """The date of the guidelines' first status event (their signature)."""
    meta = guidelines_meta(index, settings)
    return min((e.date for e in meta.status_history), default=None) if meta else None


def _single(
    index: Index, settings: Settings, request: AskRequest, frame: Understood, composer: Composer, outcome: Outcome,
    stream: bool,
) -> Iterator[AnswerEvent]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    query = frame.searched_for
    vector = index.embedder.embed_query(query)
    filters = request.filters
    if filters is None and frame.ask == "status":  # only the bundled status history speaks to the status
        filters = Filters(doc_ids=index.bundled_ids())
    results = search(index, query, settings.retrieval, k=request.k, filters=filters, query_vector=vector)
    timings["retrieve_ms"] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    on = status_date(frame, request, history_start(index, settings))
    status = guidelines_status(index, settings, on)
    asked = request.model_copy(update={"question": query})
    ctx = ComposeContext(index=index, settings=settings, request=asked, results=results, vector=vector, frame=frame)
    streamed, rounds = False, []
    reason = assess(index, settings, query, results, vector).reason(settings)
    if reason is not None and (frame.ask == "status" or frame.premise) and results:
        reason = None  # a question about the guidelines' status, or resting on a premise about them, is about the guidelines
    frame = frame.model_copy(update={"ask_model": read_ask(index, frame, vector)})
    why = None if reason is not None else unanswerable(index, settings, frame, results)
    strange = [w for w, _ in unfamiliar_words(index, frame)]
    frame = frame.model_copy(update={"answerable": reason is None and why is None, "unanswerable_reason": why,
                                     "unfamiliar": strange})
    ctx.frame = frame
    shaped = None if reason or why else shape(ctx, frame, status)
    if reason is not None or why is not None:  # the one refusal decision, before any composer runs
        draft = refusal_answer(results, request.question)
        outcome.refusal = reason or "unanswerable"
        draft.related = related_quotes(ctx, frame)
    elif shaped is not None:
        draft = shaped
    else:
        composition = Composition()
        for event in composer.compose(ctx):
            if event.kind == "line":
                streamed = True
                yield AnswerEvent(kind="line", text=event.text)
            elif event.composition is not None:
                composition = event.composition
        rounds = composition.rounds
        if composition.run_outcome not in (None, "verified", "refused"):
            log_drafting_failure(settings, index, request.question, outcome.model or composer.name, composition.run_outcome,
                                 composition.failure or composition.drafting_failure, rounds)
        if composition.refused:
            draft, outcome.refusal = refusal_answer(results, request.question), "model"
            outcome.composer = "chat_model"
        elif composition.answer is None:  # no usable draft: the deterministic answer instead
            outcome.fallback, outcome.fallback_reason = True, composition.failure or "no verified claim"
            draft, streamed = extractive_answer(ctx, frame), False
            yield AnswerEvent(kind="notice", text=FALLBACK_NOTICE.format(reason=outcome.fallback_reason))
        else:
            draft = composition.answer
            streamed = streamed and composition.streamed
            if composer.name != "extractive":
                outcome.composer = "chat_model"
                outcome.drafting, outcome.drafting_failure = composition.drafting, composition.drafting_failure
    timings["compose_ms"] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    dated = bool(status_dates(frame, history_start(index, settings))) and not request.as_of_given
    draft = with_history(ctx, draft, frame, status, dated)
    draft.question, draft.understood, draft.outcome = request.question, frame, outcome
    final = verify(index, draft)
    final.status = status
    timings["verify_ms"] = (time.perf_counter() - started) * 1000
    final.outcome = final.outcome if final.outcome.refusal == "unverified" else outcome
    final.backend = final.outcome.label()
    final.timings_ms = {key: round(v, 2) for key, v in timings.items()}
    if not streamed:  # lines nobody has seen yet: shown now that they are verified
        for line in final.answer.splitlines():
            yield AnswerEvent(kind="line", text=line)
    yield AnswerEvent(kind="answer", answer=final, drafting_rounds=rounds)


def _parts(
    index: Index, settings: Settings, request: AskRequest, frame: Understood, composer: Composer, outcome: Outcome,
) -> Iterator[AnswerEvent]:
    """A multi-part question: each part understood, gated and answered on its own, then one answer of all parts."""
    from .conversation import resolve

    ctx = frame_context(index, settings, dt.date.today())
    answers: list[Answer | None] = []
    for part in frame.parts:
        # a later part may point back at an earlier one ("... training, and who ran it?"): read it as a follow-up
        named = _named_back(part, frame.parts[len(answers) - 1]) if answers else None
        points_back = answers and named is None and re.search(r"\b(it|that|this|those|these)\b", part, re.I)  # not "they"
        resolution = resolve(part, [a for a in answers[-1:] if a is not None], index) if points_back else None
        asked = named or (resolution.resolved if resolution is not None and not resolution.unresolved else part)
        sub = understand(asked, ctx)
        sub_request = request.model_copy(update={"question": asked})
        answers.append(final_event(_single(index, settings, sub_request, sub, composer, outcome.model_copy(), False)).answer)
    merged = merge_parts(request.question, frame, answers)
    final = verify(index, merged)
    on = status_date(frame, request, history_start(index, settings))
    final.status = guidelines_status(index, settings, on)
    final.outcome = outcome.model_copy(update={"refusal": "unanswerable" if final.refused else None})
    if any(a.outcome.composer == "chat_model" for a in answers if a is not None):
        final.outcome.composer = "chat_model"
    final.backend = final.outcome.label()
    final.timings_ms = {k: round(sum(a.timings_ms.get(k, 0.0) for a in answers if a is not None), 2)
                        for k in ("retrieve_ms", "compose_ms", "verify_ms")}
    for line in final.answer.splitlines():
        yield AnswerEvent(kind="line", text=line)
    yield AnswerEvent(kind="answer", answer=final)


_DEMONSTRATIVE = re.compile(r"\b(that|this|those|these)\s+([a-z]{3,})\b", re.I)


def _named_back(part: str, earlier: str) -> str | None:
    """A later part that names what it points back at ("What does that enhancement require?" after a part about
    an enhancement): "the enhancement", a question of its own; None when it names nothing of the earlier part."""
    m = _DEMONSTRATIVE.search(part)
    if m is None or not re.search(rf"\b{re.escape(m.group(2))}\b", earlier, re.I):
        return None
    return part[: m.start()] + "the " + m.group(2) + part[m.end():]


def merge_parts(question: str, frame: Understood, answers: list[Answer | None]) -> Answer:
    """One answer of every part: each part's header, then its refusal or its quotes, renumbered."""
    lines, citations, related, parts, retrieved = [], [], [], [], []
    total = len(answers)
    for n, (part, answer) in enumerate(zip(frame.parts, answers, strict=True), 1):
        assert answer is not None
        lines.append(PART_HEADER.format(n=n, total=total, question=part))
        offset = len(citations)
        if answer.refused:
            lines.append(REFUSAL)
            related += answer.related
        else:
            renumber = {i: i + offset for i in range(1, len(answer.citations) + 1)}
            lines += [_MARKER.sub(lambda m: f"[{renumber.get(int(m[1]), int(m[1]))}]", line) for line in answer.answer.splitlines()]
            citations += answer.citations
        parts.append(PartAnswer(question=part, refused=answer.refused,
                                citations=list(range(offset + 1, len(citations) + 1))))
        retrieved += [r for r in answer.retrieved if r.passage_id not in {x.passage_id for x in retrieved}]
    refused = all(p.refused for p in parts)
    if refused:
        lines = [REFUSAL]
    related = [c for i, c in enumerate(related) if c.anchor not in {r.anchor for r in related[:i]}][:3]  # each unit once
    return Answer(question=question, answer="\n".join(lines), refused=refused, citations=citations, retrieved=retrieved,
                  understood=frame, related=related if refused else [], parts=[] if refused else parts,
                  premise_corrected=any(a.premise_corrected for a in answers if a),
                  memo_hint=any(a.memo_hint for a in answers if a))


def request_for(
    settings: Settings, question: str, as_of: dt.date | None = None, k: int | None = None, filters: Filters | None = None
) -> AskRequest:
    """A validated request (an empty or oversized question is an InputError)."""
    return AskRequest(question=validate_question(question, settings), as_of=as_of or dt.date.today(), as_of_given=as_of is not None,
                      k=k, filters=filters)


def final_event(events: Iterator[AnswerEvent]) -> AnswerEvent:
    """The last event of a run: the one that carries the answer."""
    last = None
    for last in events:
        pass
    assert last is not None and last.answer is not None  # run always ends with the answer
    return last


def ask(
    index: Index,
    settings: Settings,
    question: str,
    as_of: dt.date | None = None,
    k: int | None = None,
    filters: Filters | None = None,
    backend: str | None = None,
    conversation: Conversation | None = None,
) -> Answer:
    """Answer one question with verified citations, or refuse (``backend``: extractive, openai, ollama; default the setting).

    With a ``conversation``, a follow-up is answered in the context of its earlier turns, and the
    answer becomes its latest turn.
    """
    answer = final_event(_converse(index, settings, question, as_of, k, filters, backend, conversation, False)).answer
    assert answer is not None
    return answer


def stream(
    index: Index, settings: Settings, question: str, as_of: dt.date | None = None, k: int | None = None,
    filters: Filters | None = None, backend: str | None = None, conversation: Conversation | None = None,
) -> Iterator[AnswerEvent]:
    """Like ``ask``, yielding each line of the answer as soon as it is verified, then the answer."""
    yield from _converse(index, settings, question, as_of, k, filters, backend, conversation, True)


def _converse(
    index: Index, settings: Settings, question: str, as_of: dt.date | None, k: int | None, filters: Filters | None,
    backend: str | None, conversation: Conversation | None, streamed: bool,
) -> Iterator[AnswerEvent]:
    """One question, resolved against its conversation first (a first question, or none, resolves to itself)."""
    from .conversation import clarification, resolve

    request = request_for(settings, question, as_of, k, filters)
    if conversation is None:
        yield from run(index, settings, request, backend, stream=streamed)
        return
    resolution = resolve(request.question, conversation.turns, index)
    if resolution.unresolved and conversation.turns:  # a configured chat model may propose the standalone question
        resolution = _model_resolution(settings, backend, resolution, conversation.turns)
    if resolution.unresolved:  # never a guess: the fixed clarification
        answer = clarification(request.question)
        answer.status = guidelines_status(index, settings, request.as_of)
        answer.outcome = Outcome(backend="extractive", refusal="unresolved")
        answer.backend = answer.outcome.label()
        answer.check = check_answer(answer, index.texts, index.passages)
        events: Iterator[AnswerEvent] = iter([AnswerEvent(kind="line", text=answer.answer),
                                              AnswerEvent(kind="answer", answer=answer)])
    else:
        events = run(index, settings, request.model_copy(update={"question": resolution.resolved}), backend, stream=streamed)
    for event in events:
        if event.answer is not None:
            event.answer.question = request.question
            event.answer.resolved_question = resolution.resolved if not resolution.unresolved else None
            event.answer.context_turn = resolution.context_turn
            if event.answer.refused and not event.answer.related and resolution.context_turn is not None:
                event.answer.related = _context_related(index, conversation.turns[resolution.context_turn - 1])
            conversation.add(event.answer)
        yield event


def _model_resolution(settings: Settings, backend: str | None, resolution: Resolution, turns: list[Answer]) -> Resolution:
    """The chat model's reading of a follow-up the rules could not resolve (unchanged without a model, or when it cannot tell)."""
    from assistant.llm.client import resolve_backend

    name = resolve_backend(settings, backend)
    if name == "extractive":
        return resolution
    from .chat import propose_standalone
    from .conversation import Resolution

    proposed = propose_standalone(settings, name, resolution.question, turns)
    if proposed is None:
        return resolution
    return Resolution(resolution.question, proposed, len(turns), "model")


def _context_related(index: Index, turn: Answer, limit: int = 2) -> list[Citation]:
    """What the conversation was about, for a refused follow-up: the first citation of each of the earlier
    turn's first units, checked again (the related quotes of a refusal, never its answer)."""
    out, seen = [], set()
    for citation in [*turn.citations, *turn.related]:
        if citation.anchor in seen or len(out) >= limit:
            continue
        if not check_citation(citation, index.texts, index.passages, metas=index.metas):
            seen.add(citation.anchor)
            out.append(citation)
    return out


def as_runnable(index: Index, settings: Settings) -> Runnable:
    """The pipeline as a LangChain runnable (AskRequest -> Answer), for composing it into larger chains."""
    from langchain_core.runnables import RunnableLambda

    return RunnableLambda(lambda request: final_event(run(index, settings, request)).answer)
