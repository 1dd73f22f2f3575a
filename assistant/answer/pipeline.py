"""The one answer pipeline: request -> retrieve -> refusal decision -> compose -> verify -> status.

``run`` is a generator of ``AnswerEvent``s: a ``line`` for each verified line as soon as it is
known, a ``notice`` (the model's draft could not be verified, the deterministic answer follows),
then the ``answer``. ``ask`` and the front door's ``stream`` both use it, so there is one path
from a question to what a user sees. The refusal decision is made here, once, before any
composer runs; a chat composer's failure is turned into the extractive answer here too.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.audit import log_drafting_failure
from assistant.check.answers import check_answer
from assistant.check.citations import check_citation
from assistant.check.rules import REFUSAL
from assistant.corpus.manifest import GUIDELINES_ID, load_manifest
from assistant.corpus.status import status_on
from assistant.types import Answer, Outcome, Status

from .compose import ComposeContext, Composer, Composition
from .extractive import ExtractiveComposer, extractive_answer
from .refusal import assess, refusal_answer
from .request import AskRequest, validate_question
from .retrieve import Filters, search

if TYPE_CHECKING:
    from langchain_core.runnables import Runnable

    from assistant.config import Settings
    from assistant.index.load import Index

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
    meta = index.meta(GUIDELINES_ID) or load_manifest(settings.paths.corpus_dir).get(GUIDELINES_ID)
    return status_on(meta, on, index.metas) if meta else None


def verify(index: Index, answer: Answer) -> Answer:
    """Drop every claim whose citation fails the checker; refuse if none survives; attach the report."""
    kept = [c for c in answer.citations if not check_citation(c, index.texts, index.passages)]
    if len(kept) != len(answer.citations):
        if not kept:
            answer = Answer(question=answer.question, answer=REFUSAL, refused=True, retrieved=answer.retrieved,
                            outcome=answer.outcome.model_copy(update={"refusal": "unverified"}))
        else:
            lines = [f"{c.quote} [{i}]" for i, c in enumerate(kept, 1)]
            answer = answer.model_copy(update={"citations": kept, "answer": "\n".join(lines)})
    answer.check = check_answer(answer, index.texts, index.passages)
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

    ``backend`` overrides ``llm.backend``; ``stream`` asks a chat model for a streamed reply.
    """
    from assistant.llm.client import model_label, resolve_backend

    name = resolve_backend(settings, backend)
    composer = composer_for(settings, name, stream)
    outcome = Outcome(backend=name, model=None if name == "extractive" else model_label(settings, name))
    timings: dict[str, float] = {}

    started = time.perf_counter()
    vector = index.embedder.embed_query(request.question)
    results = search(index, request.question, settings.retrieval, k=request.k, filters=request.filters, query_vector=vector)
    timings["retrieve_ms"] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    ctx = ComposeContext(index=index, settings=settings, request=request, results=results, vector=vector)
    streamed, rounds = False, []
    reason = assess(index, settings, request.question, results, vector).reason(settings)
    if reason is not None:  # the one refusal decision, before any composer runs
        draft = refusal_answer(results, request.question)
        outcome.refusal = reason
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
            log_drafting_failure(settings, index, request.question, outcome.model or name, composition.run_outcome,
                                 composition.failure or composition.drafting_failure, rounds)
        if composition.refused:
            draft, outcome.refusal = refusal_answer(results, request.question), "model"
            outcome.composer = "chat_model"
        elif composition.answer is None:  # no usable draft: the deterministic answer instead
            outcome.fallback, outcome.fallback_reason = True, composition.failure or "no verified claim"
            draft, streamed = extractive_answer(ctx), False
            yield AnswerEvent(kind="notice", text=FALLBACK_NOTICE.format(reason=outcome.fallback_reason))
        else:
            draft = composition.answer
            streamed = streamed and composition.streamed
            if name != "extractive":
                outcome.composer = "chat_model"
                outcome.drafting, outcome.drafting_failure = composition.drafting, composition.drafting_failure
    timings["compose_ms"] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    draft.outcome = outcome
    final = verify(index, draft)
    final.status = guidelines_status(index, settings, request.as_of)
    timings["verify_ms"] = (time.perf_counter() - started) * 1000
    final.outcome = final.outcome if final.outcome.refusal == "unverified" else outcome
    final.backend = final.outcome.label()
    final.timings_ms = {key: round(v, 2) for key, v in timings.items()}
    if not streamed:  # lines nobody has seen yet: shown now that they are verified
        for line in final.answer.splitlines():
            yield AnswerEvent(kind="line", text=line)
    yield AnswerEvent(kind="answer", answer=final, drafting_rounds=rounds)


def request_for(
    settings: Settings, question: str, as_of: dt.date | None = None, k: int | None = None, filters: Filters | None = None
) -> AskRequest:
    """A validated request (an empty or oversized question is an InputError)."""
    return AskRequest(question=validate_question(question, settings), as_of=as_of or dt.date.today(), k=k, filters=filters)


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
) -> Answer:
    """Answer one question with verified citations, or refuse (``backend``: extractive, openai, ollama; default the setting)."""
    request = request_for(settings, question, as_of, k, filters)
    answer = final_event(run(index, settings, request, backend)).answer
    assert answer is not None
    return answer


def stream(
    index: Index, settings: Settings, question: str, as_of: dt.date | None = None, k: int | None = None,
    filters: Filters | None = None, backend: str | None = None,
) -> Iterator[AnswerEvent]:
    """Like ``ask``, yielding each line of the answer as soon as it is verified, then the answer."""
    yield from run(index, settings, request_for(settings, question, as_of, k, filters), backend, stream=True)


def as_runnable(index: Index, settings: Settings) -> Runnable:
    """The pipeline as a LangChain runnable (AskRequest -> Answer), for composing it into larger chains."""
    from langchain_core.runnables import RunnableLambda

    return RunnableLambda(lambda request: final_event(run(index, settings, request)).answer)
