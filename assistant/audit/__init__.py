"""The audit log: what was asked, by whom, and what the assistant answered, kept in SQLite.

Every ask, memo, check and evaluation becomes one record (time, user, session, question or case
id, the passage ids it rests on, the settings hash, the index build, the answer or analysis and
its check report). Personal details are redacted before a record is written, never after (see
``redact``), and with ``audit.store_text`` off no free text is written at all. Records are deleted
on write once they pass the retention period, and the oldest ones while the log is over its size
cap. The log's files are 0600 in a 0700 data folder (``assistant.datafolder``).
Storage (WAL, migrations, filters) is ``runlog``; redaction is ``redact``; reading, exports and
pruning are ``records``; this module decides what a record holds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import GuidanceError

from . import runlog
from .records import (
    CSV_COLUMNS,
    EXPORT_FORMATS,
    KINDS,
    AuditRecord,
    export,
    get_record,
    list_records,
    parse_since,
    prune,
)
from .redact import NO_TEXT, REDACTED, personal_patterns, redact, redact_text, without_text

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.types import Answer, CheckReport, FactorAnalysis

__all__ = [
    "CSV_COLUMNS", "EXPORT_FORMATS", "KINDS", "NO_TEXT", "REDACTED", "AuditRecord", "conversation_answers", "current_session",
    "export", "get_record",
    "list_records", "log_drafting_failure", "parse_since", "personal_patterns", "prune", "record", "record_analysis",
    "record_answer", "record_check", "record_evaluation", "record_index_change", "redact", "redact_text", "session",
    "without_text",
]
log = logging.getLogger(__name__)
Case = Any  # a case file's typed facts (assistant.cases.facts.Case); only its ``person`` is read here


# --- sessions -------------------------------------------------------------------------------------

_PROCESS_SESSION = f"{socket.gethostname()}:{os.getpid()}"
_session: ContextVar[str | None] = ContextVar("guidance_audit_session", default=None)


@contextlib.contextmanager
def session(name: str) -> Iterator[None]:
    """Record everything done inside the block (in this thread or task) under session ``name``.

    The app wraps each person's request in its own session id; the CLI leaves the default, which
    names the host and the process.
    """
    token = _session.set(name)
    try:
        yield
    finally:
        _session.reset(token)


def current_session() -> str:
    """The session records are written under now."""
    return _session.get() or _PROCESS_SESSION


# --- writing --------------------------------------------------------------------------------------


def _current_build(settings: Settings) -> str | None:
    from assistant.index import store

    try:
        return store.current_build_id(store.index_dir(settings))
    except GuidanceError:
        return None


def _passage_ids(value: Any) -> list[str]:
    """Every ``passage_id`` in a JSON-like value, in order, once each."""
    found: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            pid = v.get("passage_id")
            if isinstance(pid, str) and pid:
                found.append(pid)
            for item in v.values():
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return list(dict.fromkeys(found))


def record(
    settings: Settings,
    kind: str,
    subject: str,
    payload: Any,
    *,
    passed: bool | None = None,
    build_id: str | None = None,
    passages: list[str] | None = None,
    check: Any = None,
    case: Case | None = None,
) -> int | None:
    """Write one audit record (redacted unless disabled); returns its id, or None if the log failed.

    A log that cannot be written is reported on stderr and does not stop the answer: the person
    asking still gets it, and the warning tells them the record is missing. ``kind`` must be one
    of ``KINDS`` (so that ``guidance log list --kind`` can list every record the code writes).
    """
    if kind not in KINDS:
        raise ValueError(f"audit record of unknown kind {kind!r}; add it to audit.records.KINDS")
    audit = settings.audit
    row: dict[str, Any] = {"subject": subject, "payload": payload, "check_report": check}
    if audit.redact_personal:
        row = redact(row, personal_patterns(case))
    if not audit.store_text:
        row = {"subject": NO_TEXT, "payload": without_text(row["payload"]), "check_report": without_text(row["check_report"])}
    older_than = time.time() - audit.retention_days * 86400 if audit.retention_days > 0 else None
    try:
        return runlog.insert(
            settings.paths.data_dir,
            {
                "kind": kind, "subject": row["subject"], "payload": row["payload"], "check_report": row["check_report"],
                "settings_hash": settings.settings_hash(), "build_id": build_id, "passed": passed,
                "passages": passages if passages is not None else _passage_ids(payload),
                "user": audit.user, "session": current_session(), "redacted": int(audit.redact_personal),
            },
            older_than=older_than, max_bytes=int(audit.max_size_mb * 1024 * 1024) or None,
        )
    except (sqlite3.Error, OSError) as exc:
        print(f"warning: the {kind} could not be written to the audit log {runlog.log_path(settings.paths.data_dir)} ({exc})",
              file=sys.stderr)
        return None


def record_answer(
    settings: Settings, answer: Answer, build_id: str | None, conversation_id: str | None = None, kind: str = "ask",
) -> int | None:
    """Record an ask: the question, the resolved question, the ranked passages, the answer and its check report.

    ``conversation_id`` ties the record to its conversation, so that a chat can be restored from the log;
    ``kind`` is ``evaluation_item`` for the items of an evaluation run (they are not questions someone asked).
    """
    data = answer.model_dump(mode="json")
    if conversation_id is not None:
        data["conversation_id"] = conversation_id
    passages = [r.passage_id or f"{r.doc_id}#{r.anchor or r.section}" for r in answer.retrieved]
    return record(settings, kind, answer.question, data, passed=answer.check.passed, build_id=build_id,
                  passages=passages, check=data["check"])


def conversation_answers(settings: Settings, conversation_id: str, limit: int = 200) -> list[Answer]:
    """The answers of one conversation, oldest first, as the audit log kept them (redacted where it redacts)."""
    rows = runlog.select(settings.paths.data_dir, kinds=["ask"], conversation=conversation_id, oldest_first=True, limit=limit)
    from assistant.types import Answer

    out = []
    for row in rows:
        try:
            data = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
            data.pop("conversation_id", None)
            out.append(Answer.model_validate(data))
        except (ValueError, TypeError):
            continue  # a record this version cannot read is left out of the restored chat
    return out


def record_analysis(settings: Settings, analysis: FactorAnalysis, case: Case | None, kind: str = "memo") -> int | None:
    """Record a case analysis (memo): the case id, the cited passages, the analysis and its check report."""
    data = analysis.model_dump(mode="json")
    return record(settings, kind, analysis.case_id, data, passed=analysis.check.passed,
                  build_id=_current_build(settings), check=data["check"], case=case)


def record_check(settings: Settings, path: Path | str, report: CheckReport, case: Case | None = None) -> int | None:
    """Record a check: the checked file and its content (when it is JSON), and the check report."""
    try:
        checked: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        checked = None
    subject = str(path)
    if isinstance(checked, dict):
        subject = str(checked.get("case_id") or checked.get("question") or path)
    data = report.model_dump(mode="json")
    return record(settings, "check", subject, {"file": str(path), "checked": checked}, passed=report.passed,
                  build_id=_current_build(settings), passages=_passage_ids(checked), check=data, case=case)


def record_evaluation(settings: Settings, result: Any, set_path: Path | str | None = None) -> int | None:
    """Record an evaluation run: the set, the metrics, the failed items and where the results are."""
    data = result.model_dump(mode="json") if hasattr(result, "model_dump") else dict(result)
    failed = data.get("failed") or []
    return record(settings, "evaluation", str(data.get("set_name") or set_path), {**data, "set_path": str(set_path or "")},
                  passed=not failed, build_id=_current_build(settings), passages=[])


def record_index_change(settings: Settings, kind: str, report: Any) -> int | None:
    """Record an ingest or a removal (``kind``): the documents added or removed, and the build it made."""
    data = report.model_dump(mode="json")
    ids = data.get("removed") if kind == "remove" else data.get("added")
    subject = ", ".join(ids or []) or "(bundled corpus)"
    return record(settings, kind, subject, data, passed=None, build_id=data.get("build_id"), passages=[])


def log_drafting_failure(
    settings: Settings, source: Any, subject: str, label: str, outcome: str, reason: str | None, rounds: list[dict[str, Any]],
) -> int | None:
    """Record what a chat model's draft did when not every claim verified (kind ``llm_failure``)."""
    build = getattr(getattr(source, "info", None), "build_id", None)
    payload = {"backend": label, "outcome": outcome, "reason": reason, "rounds": rounds}
    log.info("language model %s: %s (%s)", label, outcome, reason or "; ".join(p for r in rounds for p in r["problems"]))
    return record(settings, "llm_failure", subject, payload, passed=False, build_id=build)  # redacted; never raises
