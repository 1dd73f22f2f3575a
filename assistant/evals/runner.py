"""Evaluation runs: every item of a set through the assistant (and the baselines), scored and reported.

``run_set`` answers each question item (the full answer JSON) and analyzes each case item (the
same ``cases.analysis.assess_case`` the memo uses), scores every expectation (``scoring``), times
every item, and writes ``results.json``, ``report.md`` and ``report.html``. The metric
definitions are in ``metrics.DEFINITIONS`` and are copied into every report; ``compare`` diffs
two runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import InputError

from . import metrics as m
from .results import CaseResult, Observed, QuestionResult, RunResult, RunResults, SetInfo, SystemSummary
from .scoring import score_case, score_question, summarize
from .sets import CaseItem, EvalSet, QuestionItem, load_set, manifest_anchors

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.index.load import Index

SYSTEM = "assistant"
SYSTEM_DESCRIPTION = "the assistant (hybrid retrieval, extractive composer, checker)"
Answerer = Callable[[QuestionItem], Observed]
Progress = Callable[[int, int, str], None]
"""``on_progress(done, total, label)``: called after every step of a run (the app draws its bar with it).

``done`` and ``total`` count the steps of the whole run (every item of every system, and the
loading of the baselines), so a bar drawn from them only moves forward; ``label`` says what the
step was ("lexical_only: question 3 of 27")."""


class _Steps:
    """One count over a run's stages: turns each stage's own count into the run's, for ``on_progress``."""

    def __init__(self, total: int, on_progress: Progress | None):
        self.total, self.offset, self.on_progress = total, 0, on_progress

    def stage(self, name: str, unit: str) -> Progress | None:
        """The callback of one stage of ``name`` (its own done and total), reporting the run's count."""
        callback = self.on_progress
        if callback is None:
            return None
        start = self.offset

        def report(done: int, total: int, _label: str) -> None:
            self.offset = start + done
            callback(min(self.offset, self.total), self.total, f"{name}: {unit} {done} of {total}")

        return report


def corpus_hash(texts: dict[str, str]) -> str:
    """sha256 of the indexed documents' canonical texts, in doc_id order."""
    digest = hashlib.sha256()
    for doc_id in sorted(texts):
        digest.update(doc_id.encode() + b"\0" + texts[doc_id].encode() + b"\0")
    return digest.hexdigest()


def settings_sha256(settings: Settings) -> str:
    """sha256 of every setting that can change a result (all but where files live and the store's address)."""
    data = settings.model_dump(mode="json", exclude={"paths", "store"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class _Bar:
    """A tqdm bar on stderr that also reports to an ``on_progress`` callback."""

    def __init__(self, total: int, desc: str, progress: bool, on_progress: Progress | None = None):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, unit="item", file=sys.stderr, disable=not progress, leave=False)
        self.total, self.desc, self.done, self.on_progress = total, desc, 0, on_progress

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def update(self, n: int = 1) -> None:
        self.done += n
        self.bar.update(n)
        if self.on_progress is not None:
            self.on_progress(self.done, self.total, self.desc)


def run_questions(
    evalset: EvalSet, answer: Answerer, index: Index, desc: str, progress: bool, on_progress: Progress | None = None
) -> list[QuestionResult]:
    """Score every question item of the set with one answering system."""
    records = []
    with _Bar(len(evalset.questions), desc, progress, on_progress) as bar:
        for item in evalset.questions:
            start = time.perf_counter()
            seen = answer(item)
            records.append(score_question(item, seen, index, (time.perf_counter() - start) * 1000))
            bar.update(1)
    return records


def _assistant_answerer(index: Index, settings: Settings) -> Answerer:
    from assistant import audit
    from assistant.answer.pipeline import ask

    def answer(item: QuestionItem) -> Observed:
        conversation = None
        if item.turns:  # a dialog item: the earlier questions in order, in one conversation, then the scored one
            from assistant.answer.conversation import Conversation

            conversation = Conversation()
            for turn in item.turns:
                ask(index, settings, turn, as_of=item.as_of, k=item.k, conversation=conversation)
        result = ask(index, settings, item.question, as_of=item.as_of, k=item.k, conversation=conversation)
        audit.record_answer(settings, result, index.info.build_id, kind="evaluation_item")  # not a person's question
        return Observed.of(result)

    return answer


def _run_assistant(
    evalset: EvalSet, settings: Settings, index: Index, progress: bool, steps: _Steps
) -> list[QuestionResult | CaseResult]:
    from assistant.cases.analysis import assess_case, on_date

    records: dict[str, QuestionResult | CaseResult] = {}
    answerer = _assistant_answerer(index, settings)
    for r in run_questions(evalset, answerer, index, SYSTEM, progress, steps.stage(SYSTEM, "question")):
        records[r.id] = r
    cases = [i for i in evalset.items if isinstance(i, CaseItem)]
    with _Bar(len(cases), "cases", progress, steps.stage(SYSTEM, "case")) as bar:
        for item in cases:
            start = time.perf_counter()
            case = on_date(evalset.cases[item.id], item.as_of, f"item '{item.id}' as of {item.as_of}")
            analysis = assess_case(case, index, settings)
            records[item.id] = score_case(item, analysis, index, (time.perf_counter() - start) * 1000)
            bar.update(1)
    return [records[i.id] for i in evalset.items]


def _validate_questions(evalset: EvalSet, settings: Settings) -> None:
    from assistant.answer.request import validate_question

    for item in evalset.questions:
        try:
            validate_question(item.question, settings)
        except InputError as exc:
            raise InputError(f"set {evalset.path}: item '{item.id}': {exc}") from None


def run_name(set_name: str, now: dt.datetime | None = None) -> str:
    """A run's folder name: its local time and its set, ``YYYYMMDD-HHMMSS-<set>`` (names sort by time)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", set_name).strip("-.") or "set"
    return f"{(now or dt.datetime.now()).strftime('%Y%m%d-%H%M%S')}-{stem}"


def default_out_dir(set_name: str, now: dt.datetime | None = None) -> Path:
    """``eval-runs/<time>-<set>`` relative to the working directory (the front door uses the data folder)."""
    return Path("eval-runs") / run_name(set_name, now)


def run_set(
    path: Path | str,
    settings: Settings,
    out_dir: Path | str | None = None,
    baselines: bool = False,
    progress: bool = True,
    on_progress: Progress | None = None,
    index: Index | None = None,
) -> RunResult:
    """Run every item of the set at ``path``; write results.json, report.md and report.html to ``out_dir``.

    ``out_dir`` defaults to ``default_out_dir(set name)``. A malformed set raises InputError before anything runs.
    ``on_progress(done, total, label)`` is called after every step: every item of every system and
    each step of loading the baselines, counted over the whole run (see ``Progress``). ``index``: an
    already-loaded index to reuse (the app's shared one); by default the current build is loaded.
    """
    from assistant import audit
    from assistant.index.load import load_index

    from .report import render_html, render_markdown

    started = time.perf_counter()
    evalset = load_set(path, manifest_anchors(settings.paths.corpus_dir))
    _validate_questions(evalset, settings)
    index = index or load_index(settings, build_if_missing=True)
    from .baselines import BASELINES, load_steps

    # Loading the baselines is counted by the chunks it embeds: the bar moves through it, as long as it takes.
    extra = load_steps(index) + len(BASELINES) * len(evalset.questions) if baselines else 0
    steps = _Steps(len(evalset.items) + extra, on_progress)
    records = _run_assistant(evalset, settings, index, progress, steps)
    systems = {SYSTEM: summarize(records, SYSTEM_DESCRIPTION)}
    if baselines:
        from .baselines import make_baselines

        loading = steps.stage("loading the baselines", "chunk")
        on_load = (lambda done, total: loading(done, total, "")) if loading else None
        for baseline in make_baselines(index, settings, on_load=on_load):
            with baseline:
                rows = run_questions(evalset, baseline.answer, index, baseline.name, progress,
                                     steps.stage(baseline.name, "question"))
            systems[baseline.name] = summarize(list(rows), baseline.description)
    out = Path(out_dir) if out_dir is not None else default_out_dir(evalset.name)
    out.mkdir(parents=True, exist_ok=True)
    results = RunResults(
        created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        set_info=SetInfo(name=evalset.name, description=evalset.description, path=str(path), sha256=evalset.sha256,
                         items=len(evalset.items), questions=len(evalset.questions),
                         cases=len(evalset.items) - len(evalset.questions)),
        settings=settings.model_dump(mode="json"), settings_hash=settings.settings_hash(),
        settings_sha256=settings_sha256(settings), corpus_hash=corpus_hash(index.texts),
        index={"build_id": index.info.build_id, "embedding_model": index.info.embedding_model,
               "chunker_version": index.info.chunker_version, "passages": len(index.passages)},
        seconds=round(time.perf_counter() - started, 3), metrics=systems[SYSTEM].metrics, systems=systems,
        definitions=m.DEFINITIONS,
    )
    files = [out / "results.json", out / "report.md", out / "report.html"]
    files[0].write_text(results.to_json(), encoding="utf-8")
    files[1].write_text(render_markdown(results), encoding="utf-8")
    files[2].write_text(render_html(results), encoding="utf-8")
    result = RunResult(
        out_dir=str(out), set_name=evalset.name, items=len(records), metrics=results.metrics,
        baselines={name: s.metrics for name, s in systems.items() if name != SYSTEM},
        failed=[r.id for r in records if not r.passed], seconds=results.seconds, files=[str(f) for f in files],
    )
    audit.record_evaluation(settings, result, path)
    return result


__all__ = ["SYSTEM", "RunResult", "SystemSummary", "corpus_hash", "default_out_dir", "run_name", "run_questions",
           "run_set", "settings_sha256"]
