"""The library's front door: everything the CLI and the app do, each one call for them.

``Assistant`` holds the settings and loads the index once (building it from the bundled corpus the
first time); it is read-only after loading, so one instance can serve many threads and sessions.
It answers (``ask``, ``stream``), analyzes cases and renders memos (``analyze``, ``memo_bytes``),
checks files, ingests and removes documents, reports the index's status and the guidelines' status on a date, and runs
and compares evaluations. Every run is logged to the audit log here. The module-level functions
are the same calls for callers that hold only settings.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from assistant import audit
from assistant.config import Settings
from assistant.errors import GuidanceError, IndexMissingError, InputError
from assistant.types import Answer, CheckReport, FactorAnalysis, Status

if TYPE_CHECKING:
    from assistant.answer.conversation import Conversation
    from assistant.answer.pipeline import AnswerEvent
    from assistant.answer.retrieve import Filters
    from assistant.cases.facts import Case
    from assistant.cases.memo import Narrative
    from assistant.corpus.passages import PassageSet
    from assistant.evals.compare import Comparison
    from assistant.evals.results import RunResult
    from assistant.index.ingest import IngestReport
    from assistant.index.load import Index

RUNS_FOLDER = "eval-runs"
# Answered once by ``warm_up``: through retrieval, understanding (a date), composing and checking.
WARM_UP_QUESTION = "Does the person's age matter, and what did the memo of September 30, 2021 change?"


class IndexStatus(BaseModel):
    """What ``guidance status`` reports."""

    index_dir: str
    exists: bool
    build_id: str | None = None
    created: str | None = None
    store: str | None = None
    collection: str | None = None
    embedding_model: str | None = None
    chunker_version: str | None = None
    passages: int = 0
    documents: list[dict] = []
    chroma_server: str | None = None
    problem: str | None = None


class Assistant:
    """A loaded assistant: settings, embedder and index, created on first use."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.load()
        self._index: Index | None = None
        self._lock = threading.Lock()
        self._warm_lock = threading.Lock()
        self._warmed: Index | None = None  # the index warm_up last ran on

    # --- the index ---------------------------------------------------------------------------------

    @property
    def index(self) -> Index:
        """The loaded index (built from the bundled corpus on first use if there is none)."""
        with self._lock:
            if self._index is None:
                from assistant.index.load import load_index

                self._index = load_index(self.settings, build_if_missing=True)
            return self._index

    def warm_up(self) -> None:
        """Load the index and answer one question unlogged, so the first real one is as quick as the next; then gc.freeze.

        Loading leaves ~0.7 s to the first question (embedding session, lemma table, spelling counts, the
        composer's modules), libphonenumber to the first redacted number, the common English words to the
        first misspelling and lemminflect's tables to the first question that names what it asks for; for processes that answer many
        (the app, the benchmark's warm run). No audit record, no language model. The loaded heap is frozen:
        a full collection (Streamlit runs one per script run) took ~50 ms, now ~0. Once per index; a call
        while another thread warms up waits for it.
        """
        import gc

        from assistant.answer.pipeline import ask
        from assistant.answer.spelling import load_english
        from assistant.answer.heads import load_lexicon
        from assistant.audit.redact import load_phone_metadata

        with self._warm_lock:
            index = self.index
            if self._warmed is index:
                return
            answer = ask(index, self.settings, WARM_UP_QUESTION, backend="extractive")
            audit.redact(answer.model_dump(mode="json"))
            load_phone_metadata()
            load_english()
            load_lexicon()
            gc.collect()
            gc.freeze()
            self._warmed = index

    @property
    def loaded(self) -> bool:
        """Whether the model and the index are loaded (so a question is answered without a wait)."""
        return self._index is not None

    def passages(self) -> PassageSet:
        """The passages and canonical texts of the current build (or the bundled corpus); no model needed."""
        if self._index is not None:
            return self._index
        from assistant.index.load import load_passages

        return load_passages(self.settings)

    def status(self) -> IndexStatus:
        """The index: where it is, which build, which model, which documents (without loading the model)."""
        return index_status(self.settings)

    def ingest(self, paths: list[Path] | None = None, rebuild: bool = False, progress: bool = False,
               on_progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
        """Index the bundled corpus plus ``paths``; the next question uses the new build."""
        from assistant.index.ingest import ingest

        embedder = self._index.embedder if self._index is not None else None
        report = ingest(self.settings, list(paths or []), rebuild=rebuild, progress=progress, embedder=embedder,
                        on_progress=on_progress)
        if report.changed:
            with self._lock:
                self._index = None
        audit.record_index_change(self.settings, "ingest", report)
        return report

    def remove(self, doc_id: str, on_progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
        """Remove a document a user ingested (a bundled one is refused, exit code 2); atomic and locked like ingest."""
        from assistant.index.ingest import remove

        embedder = self._index.embedder if self._index is not None else None
        report = remove(self.settings, [doc_id], embedder=embedder, on_progress=on_progress)
        with self._lock:
            self._index = None
        audit.record_index_change(self.settings, "remove", report)
        return report

    def framework_status(self, on: dt.date) -> Status | None:
        """The 2021 guidelines' legal status on a date (from the corpus manifest)."""
        from assistant.corpus.manifest import GUIDELINES_ID, load_manifest
        from assistant.corpus.status import status_on

        manifest = load_manifest(self.settings.paths.corpus_dir)
        meta = manifest.get(GUIDELINES_ID)
        return status_on(meta, on, manifest.documents) if meta else None

    # --- questions ---------------------------------------------------------------------------------

    def ask(
        self, question: str, as_of: dt.date | None = None, k: int | None = None, filters: Filters | None = None,
        backend: str | None = None, conversation: Conversation | None = None,
    ) -> Answer:
        """Answer a question (or refuse), verified, and log the run (``backend`` overrides ``llm.backend``).

        With a ``conversation`` (``Assistant.conversation()``), a follow-up is answered in the context
        of the earlier turns and becomes the latest turn.
        """
        from assistant.answer.pipeline import ask

        index = self.index
        answer = ask(index, self.settings, question, as_of=as_of, k=k, filters=filters, backend=backend,
                     conversation=conversation)
        audit.record_answer(self.settings, answer, index.info.build_id, conversation.id if conversation else None)
        return answer

    def stream(
        self, question: str, as_of: dt.date | None = None, k: int | None = None, filters: Filters | None = None,
        backend: str | None = None, conversation: Conversation | None = None,
    ) -> Iterator[AnswerEvent]:
        """Like ``ask``, yielding each verified line as it comes, then the answer (logged)."""
        from assistant.answer.pipeline import stream

        index = self.index
        for event in stream(index, self.settings, question, as_of=as_of, k=k, filters=filters, backend=backend,
                            conversation=conversation):
            if event.answer is not None:
                audit.record_answer(self.settings, event.answer, index.info.build_id, conversation.id if conversation else None)
            yield event

    def conversation(self, conversation_id: str | None = None) -> Conversation:
        """A new conversation, or the one with ``conversation_id`` restored from the audit log (its answers, in order)."""
        from assistant.answer.conversation import Conversation

        if conversation_id is None:
            return Conversation()
        return Conversation(id=conversation_id, turns=audit.conversation_answers(self.settings, conversation_id))

    # --- cases and memos -----------------------------------------------------------------------------

    def analyze(self, case: Case, as_of: dt.date | None = None, log: bool = True) -> FactorAnalysis:
        """The factor analysis of a validated case with its check report (assessed on ``as_of`` if given)."""
        from assistant.cases.analysis import assess_case, on_date

        case = on_date(case, as_of)
        analysis = assess_case(case, self.passages(), self.settings)
        if log:
            audit.record_analysis(self.settings, analysis, case)
        return analysis

    def log_analysis(self, analysis: FactorAnalysis, case: Case | None) -> int | None:
        """Record an analysis in the audit log (the app does when a memo is downloaded)."""
        return audit.record_analysis(self.settings, analysis, case)

    def analyze_file(self, path: Path | str, as_of: dt.date | None = None) -> tuple[Case, FactorAnalysis]:
        """Read and validate a case file, then analyze it (a bad file is a ``CaseError``, exit code 2)."""
        from assistant.cases.analysis import on_date
        from assistant.cases.facts import load_case

        case = on_date(load_case(Path(path)), as_of, f"case file {path} as of {as_of}")
        return case, self.analyze(case)

    def memo_bytes(self, analysis: FactorAnalysis, case: Case | None, fmt: str, narrative: Narrative | None = None) -> bytes:
        """The memo of an analysis as bytes: ``fmt`` is md, docx or pdf."""
        from assistant.cases.memo import memo_bytes

        return memo_bytes(analysis, case, self.passages(), fmt, narrative)

    def memo_preview(self, analysis: FactorAnalysis, case: Case | None) -> str:
        """The memo as Markdown with every text escaped, for showing in a page (a case's words stay words)."""
        from assistant.cases.memo.markdown import render_markdown

        return render_markdown(analysis, case, self.passages(), literal=True)

    def narrative(self, analysis: FactorAnalysis) -> Narrative:
        """Memo sentences drafted by the configured chat model, each verified (the model sees only a copy)."""
        from assistant.cases.narrative import draft_narrative

        return draft_narrative(analysis.model_copy(deep=True), self.passages(), self.settings)

    def write_memo(self, path: Path | str, out: Path | str, as_of: dt.date | None = None,
                   narrative: bool = False) -> tuple[Case, FactorAnalysis, Path]:
        """Analyze a case file and write its memo to ``out`` (.md, .docx or .pdf); nothing is written on bad input."""
        from assistant.cases.memo import MEMO_SUFFIXES, write_memo

        out = Path(out)
        if out.suffix.lower() not in MEMO_SUFFIXES:  # before any work, so a typo costs nothing
            raise InputError(f"cannot write a memo as '{out.name}': the file name must end in {', '.join(MEMO_SUFFIXES)}")
        case, analysis = self.analyze_file(path, as_of)
        sentences = self.narrative(analysis) if narrative else None
        return case, analysis, write_memo(analysis, case, out, self.passages(), sentences)

    def memo_markdown(self, path: Path | str, as_of: dt.date | None = None, narrative: bool = False) -> tuple[FactorAnalysis, str]:
        """Analyze a case file and render its memo as Markdown (with a verified model-drafted narrative if asked)."""
        case, analysis = self.analyze_file(path, as_of)
        sentences = self.narrative(analysis) if narrative else None
        return analysis, self.memo_bytes(analysis, case, "md", sentences).decode("utf-8")

    def check_file(self, path: Path | str, case_path: Path | str | None = None) -> CheckReport:
        """Check the JSON of an answer or an analysis (against the case file ``case_path`` if given); logged."""
        from assistant.cases.analysis import analyze
        from assistant.cases.facts import load_case
        from assistant.check.files import check_file

        source = self.passages()
        case = load_case(Path(case_path)) if case_path is not None else None
        derived = analyze(case, source, self.settings) if case is not None else None
        report = check_file(Path(path), source, case=case, settings=self.settings, derived=derived)
        audit.record_check(self.settings, path, report, case)
        return report

    # --- evaluations -----------------------------------------------------------------------------------

    @property
    def runs_dir(self) -> Path:
        """Where evaluation runs are written by default, from the CLI and from the app alike."""
        return self.settings.paths.data_dir / RUNS_FOLDER

    def evaluate(self, set_path: Path | str, out: Path | str | None = None, baselines: bool = False, progress: bool = False,
                 on_progress: Callable[[int, int, str], None] | None = None) -> RunResult:
        """Run a question or case set; results go to ``out``, by default ``runs_dir/<set>-<time>``."""
        from assistant.evals.runner import run_name, run_set
        from assistant.evals.sets import load_set, resolve_set

        set_path = resolve_set(set_path)
        if out is None:
            out = self.runs_dir / run_name(load_set(set_path).name)
            n = 1
            while out.exists():  # two runs of one set within a second
                n += 1
                out = out.with_name(f"{out.name.split('~')[0]}~{n}")
        result = run_set(set_path, self.settings, out, baselines=baselines, progress=progress, on_progress=on_progress,
                         index=self.index)
        data_dir = Path(self.settings.paths.data_dir).resolve()
        if Path(out).resolve().is_relative_to(data_dir):  # results, and a set the app saved there, are private too
            from assistant import datafolder

            datafolder.seal(data_dir)
        return result

    def runs(self) -> list[Path]:
        """The run folders in ``runs_dir``, newest first."""
        if not self.runs_dir.is_dir():
            return []
        found = [p for p in self.runs_dir.iterdir() if (p / "results.json").is_file()]
        return sorted(found, key=lambda p: (p / "results.json").stat().st_mtime, reverse=True)

    def compare(self, run_a: Path | str, run_b: Path | str, ignore: tuple[str, ...] = ()) -> Comparison:
        """Compare run B with run A: metric deltas, flipped items, regression."""
        from assistant.evals.compare import compare_runs

        return compare_runs(run_a, run_b, ignore)


def upload_refusal(settings: Settings, listen_address: str | None) -> str | None:
    """Why the app may not ingest uploads, or None when it may.

    ``listen_address`` is the address the app's server listens on (Streamlit's ``server.address``;
    empty means every interface). Uploads are allowed only by ``ui.allow_upload`` and on a loopback
    address: a document ingested through the app is answered from for everyone who reaches it.
    """
    from assistant.llm.client import is_loopback

    if not settings.ui.allow_upload:
        return "Ingesting documents from the app is switched off (GUIDANCE_UI__ALLOW_UPLOAD=false)."
    if not listen_address or not is_loopback(listen_address):
        where = f"on {listen_address}" if listen_address else "on every network interface"
        return (f"Ingesting documents from the app is off because the app listens {where}, beyond this machine: "
                "an uploaded document would be answered from for every visitor. Use `guidance ingest PATH`, or "
                "start the app with `guidance ui` (127.0.0.1 only).")
    return None


def ingest_confirmation(names: list[str]) -> str:
    """What the app asks before it ingests uploaded files: the change reaches every user of the index."""
    what = f"'{names[0]}'" if len(names) == 1 else f"these {len(names)} documents ({', '.join(names)})"
    return (f"Ingest {what}? This changes the answers for every user of this index: from now on everyone who asks "
            "here may get answers cited from it, until it is removed.")


def remove_confirmation(doc_id: str, title: str) -> str:
    """What the app asks before it removes a user's document: the change reaches every user of the index."""
    return (f"Remove '{doc_id}' ({title})? This changes the answers for every user of this index: no answer will "
            "cite it any more. The bundled corpus stays.")


def current_build_id(settings: Settings) -> str | None:
    """The id of the current index build (None when there is none yet), without opening it."""
    from assistant.index import store

    return store.current_build_id(store.index_dir(settings))


def index_status(settings: Settings) -> IndexStatus:
    """Describe the current index without loading the embedding model."""
    from assistant.index import store

    root = store.index_dir(settings)
    server = f"{settings.store.chroma_host}:{settings.store.chroma_port}" if settings.store.chroma_host else None
    try:
        build_id = store.current_build_id(root)
        if build_id is None:
            raise IndexMissingError("no index yet")
        info = store.read_build_info(root / store.BUILDS / build_id)
    except IndexMissingError:
        return IndexStatus(index_dir=str(root), exists=False, chroma_server=server)
    except GuidanceError as exc:
        return IndexStatus(index_dir=str(root), exists=False, chroma_server=server, problem=str(exc))
    return IndexStatus(
        index_dir=str(root), exists=True, build_id=info.build_id, created=info.created.isoformat(timespec="seconds"),
        store=info.store, collection=info.collection, embedding_model=info.embedding_model,
        chunker_version=info.chunker_version, passages=info.passages, chroma_server=server,
        documents=[
            {"doc_id": d.doc_id, "title": d.meta.title, "passages": d.passages, "bundled": d.bundled,
             "source": Path(d.source).name, "removable": not d.bundled}  # `guidance remove` takes only a user's document
            for d in info.documents
        ],
    )


# --- the same calls for callers that hold only settings ---------------------------------------------


def analyze_case_file(settings: Settings, path: Path | str, as_of: dt.date | None = None) -> tuple[Case, FactorAnalysis]:
    """Read, validate and analyze a case file; the analysis carries the checker's report."""
    return Assistant(settings).analyze_file(path, as_of)


def write_case_memo(settings: Settings, path: Path | str, out: Path | str, as_of: dt.date | None = None,
                    narrative: bool = False) -> tuple[Case, FactorAnalysis, Path]:
    """Analyze a case file and write its memo to ``out`` (.md, .docx or .pdf); nothing is written on bad input."""
    return Assistant(settings).write_memo(path, out, as_of, narrative)


def memo_markdown(settings: Settings, path: Path | str, as_of: dt.date | None = None, narrative: bool = False) -> tuple[FactorAnalysis, str]:
    """Analyze a case file and render its memo as Markdown."""
    return Assistant(settings).memo_markdown(path, as_of, narrative)


def check_file(settings: Settings, path: Path | str, case_path: Path | str | None = None) -> CheckReport:
    """Check the JSON of an answer or an analysis (against the case file ``case_path`` if given)."""
    return Assistant(settings).check_file(path, case_path)


__all__ = ["Assistant", "IndexStatus", "analyze_case_file", "check_file", "current_build_id", "index_status",
           "ingest_confirmation", "memo_markdown", "remove_confirmation", "write_case_memo"]

