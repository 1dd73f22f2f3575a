"""The library's front door: the few calls the CLI and the app make, each one line for them.

``Assistant`` loads the index once (building it from the bundled corpus the first time) and keeps
it for the life of the process; it is read-only after loading, so one instance can serve many
threads and sessions.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from . import audit, store
from .config import Settings
from .errors import GuidanceError, IndexMissingError, InputError
from .types import Answer, CheckReport, FactorAnalysis

if TYPE_CHECKING:
    from .case import Case
    from .index import PassageSet


class Assistant:
    """A loaded assistant: settings, embedder and index, created on first use."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.load()
        self._index = None
        self._lock = threading.Lock()

    @property
    def index(self):
        """The loaded index (built from the bundled corpus on first use if there is none)."""
        with self._lock:
            if self._index is None:
                from .index import load_index

                self._index = load_index(self.settings, build_if_missing=True)
            return self._index

    def ask(
        self, question: str, as_of: dt.date | None = None, k: int | None = None, filters=None, backend: str | None = None
    ) -> Answer:
        """Answer a question (or refuse), verified, and log the run (``backend`` overrides ``llm.backend``)."""
        from .answer import ask

        index = self.index
        answer = ask(index, self.settings, question, as_of=as_of, k=k, filters=filters, backend=backend)
        audit.record_answer(self.settings, answer, index.info.build_id)
        return answer

    def stream(
        self, question: str, as_of: dt.date | None = None, k: int | None = None, filters=None, backend: str | None = None
    ):
        """Like ``ask``, yielding ``generate.StreamEvent``s: each verified line as it comes, then the answer (logged)."""
        from .generate import stream_answer

        index = self.index
        for event in stream_answer(index, self.settings, question, as_of=as_of, k=k, filters=filters, backend=backend):
            if event.answer is not None:
                audit.record_answer(self.settings, event.answer, index.info.build_id)
            yield event

    def _log(self, kind: str, subject: str, passed: bool | None, payload: dict) -> None:
        audit.record(self.settings, kind, subject, payload, passed=passed,
                     build_id=self._index.info.build_id if self._index else None)


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


def index_status(settings: Settings) -> IndexStatus:
    """Describe the current index without loading the embedding model."""
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
            {"doc_id": d.doc_id, "title": d.meta.title, "passages": d.passages, "bundled": d.bundled, "source": Path(d.source).name}
            for d in info.documents
        ],
    )


# --- case analyses, memos and the checker ---------------------------------------------------------


def analyze_case_file(settings: Settings, path: Path | str, as_of: dt.date | None = None) -> tuple[Case, FactorAnalysis]:
    """Read and validate a case file, analyze it and attach the checker's report (with the case).

    ``as_of`` assesses the case on another date than its ``assessed_on``. A bad case file raises
    ``CaseError`` (exit code 2) before anything is analyzed or written.
    """
    case, analysis, _ = _analyze(settings, Path(path), as_of)
    return case, analysis


def write_case_memo(
    settings: Settings, path: Path | str, out: Path | str, as_of: dt.date | None = None, narrative: bool = False
) -> tuple[Case, FactorAnalysis, Path]:
    """Analyze a case file and write its memo to ``out`` (.md, .docx or .pdf); nothing is written on bad input.

    ``narrative``: add a section drafted by the configured language model, every sentence verified.
    """
    from .memo import MEMO_SUFFIXES, write_memo

    out = Path(out)
    if out.suffix.lower() not in MEMO_SUFFIXES:  # before any work, so a typo costs nothing
        raise InputError(f"cannot write a memo as '{out.name}': the file name must end in {', '.join(MEMO_SUFFIXES)}")
    case, analysis, source = _analyze(settings, Path(path), as_of)
    return case, analysis, write_memo(analysis, case, out, source, _narrative(settings, analysis, source, narrative))


def memo_markdown(
    settings: Settings, path: Path | str, as_of: dt.date | None = None, narrative: bool = False
) -> tuple[FactorAnalysis, str]:
    """Analyze a case file and render its memo as Markdown (with a verified model-drafted narrative if asked)."""
    from .memo import render_markdown

    case, analysis, source = _analyze(settings, Path(path), as_of)
    return analysis, render_markdown(analysis, case, source, _narrative(settings, analysis, source, narrative))


def _narrative(settings: Settings, analysis: FactorAnalysis, source: PassageSet, wanted: bool):
    """The verified narrative sentences when ``wanted`` (the model never sees or changes anything but a copy)."""
    if not wanted:
        return None
    from .generate import draft_narrative

    return draft_narrative(analysis.model_copy(deep=True), source, settings)


def check_file(settings: Settings, path: Path | str, case_path: Path | str | None = None) -> CheckReport:
    """Check the JSON of an answer or an analysis in ``path`` (against the case file ``case_path`` if given)."""
    from .case import load_case
    from .check import check_file as run_check
    from .index import load_passages

    case = load_case(Path(case_path)) if case_path is not None else None
    report = run_check(Path(path), load_passages(settings), case=case, settings=settings)
    audit.record_check(settings, path, report, case)
    return report


def _analyze(settings: Settings, path: Path, as_of: dt.date | None) -> tuple[Case, FactorAnalysis, PassageSet]:
    from .analysis import analyze
    from .case import load_case, parse_case
    from .check import check_analysis
    from .index import load_passages

    case = load_case(path)
    if as_of is not None and as_of != case.assessed_on:
        case = parse_case({**case.model_dump(mode="python"), "assessed_on": as_of}, f"case file {path} as of {as_of}")
    source = load_passages(settings)
    analysis = analyze(case, source, settings)
    analysis.check = check_analysis(analysis, source, case=case, settings=settings, derived=None)
    audit.record_analysis(settings, analysis, case)
    return case, analysis, source


def _log_run(settings: Settings, kind: str, subject: str, passed: bool | None, payload: dict) -> None:
    audit.record(settings, kind, subject, payload, passed=passed)
