"""The audit log: what was asked, by whom, and what the assistant answered, kept in SQLite.

Every ask, memo, check and evaluation becomes one record (time, user, session, question or case
id, the passage ids it rests on, the settings hash, the index build, the answer or analysis and
its check report). Personal details are redacted before a record is written, never after: a
case's name, A-number and birth date wherever they occur, and A-number-like patterns and dates of
birth in any free text. Old records are deleted on write once they pass the retention period.
Storage (WAL, migrations, filters) is ``runlog``; this module decides what a record holds.
"""

from __future__ import annotations

import calendar
import contextlib
import csv
import datetime as dt
import json
import os
import re
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from . import runlog
from .errors import GuidanceError, InputError

if TYPE_CHECKING:
    from .case import Case
    from .config import Settings
    from .types import Answer, CheckReport, FactorAnalysis

KINDS = ("ask", "memo", "check", "evaluation", "feedback")
EXPORT_FORMATS = ("jsonl", "csv")
REDACTED = {"name": "[name redacted]", "a_number": "[A-number redacted]", "birth_date": "[birth date redacted]"}

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


# --- redaction ------------------------------------------------------------------------------------

# A-numbers are 7 to 9 digits written after an "A" (A123456789, A-123-456-789, A# 012 345 678) or
# after a label ("A-number: 123456789", "alien registration no. 12345678").
_DIGITS = r"(?:\d{3}[ -]?\d{3}[ -]?\d{3}|\d{2}[ -]?\d{3}[ -]?\d{3}|\d{7,9})"
A_NUMBER = re.compile(
    r"(?:(?<![A-Za-z0-9])A\s?[#:-]?\s?"
    r"|(?i:\b(?:a-?\s?(?:number|num|no)\.?|alien\s+(?:registration\s+)?(?:number|no\.?))\s*[#:]?\s*-?\s*))"
    + _DIGITS + r"(?!\d)"
)
_MONTHS = "|".join(calendar.month_name[1:]) + "|" + "|".join(m + r"\.?" for m in calendar.month_abbr[1:])
_DATE = rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|(?:{_MONTHS})\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}})"
BIRTH_DATE = re.compile(rf"(?i:\b(?:date\s+of\s+birth|d\.?o\.?b\.?|born(?:\s+on)?|birth\s*date)\s*[:\-]?\s*){_DATE}")


def _date_forms(day: dt.date) -> list[str]:
    month = calendar.month_name[day.month]
    return [
        day.isoformat(),
        f"{day.month}/{day.day}/{day.year}", f"{day.month:02d}/{day.day:02d}/{day.year}",
        f"{month} {day.day}, {day.year}", f"{day.day} {month} {day.year}",
    ]


def personal_patterns(case: Case | None) -> list[tuple[re.Pattern[str], str]]:
    """Patterns of the personal details of ``case`` (name, A-number, birth date) and their replacements."""
    out: list[tuple[re.Pattern[str], str]] = []
    person = getattr(case, "person", None)
    if person is None:
        return out
    name = (person.name or "").strip()
    if name:
        out.append((re.compile(re.escape(name), re.I), REDACTED["name"]))
        for part in re.findall(r"[^\W\d_][\w'-]{2,}", name):  # "Ms. Lopez" in the notes is the same person
            out.append((re.compile(rf"(?<!\w){re.escape(part)}(?!\w)"), REDACTED["name"]))
    digits = re.sub(r"\D", "", person.a_number or "")
    if len(digits) >= 5:
        out.append((re.compile(r"(?<!\d)" + r"[\s#:-]*".join(digits) + r"(?!\d)"), REDACTED["a_number"]))
    if (person.a_number or "").strip():
        out.append((re.compile(re.escape(person.a_number.strip()), re.I), REDACTED["a_number"]))
    if person.birth_date is not None:
        forms = "|".join(re.escape(f) for f in _date_forms(person.birth_date))
        out.append((re.compile(rf"(?<![\d/-])(?:{forms})(?![\d/-])", re.I), REDACTED["birth_date"]))
    return out


def redact_text(text: str, patterns: list[tuple[re.Pattern[str], str]] = ()) -> str:
    """``text`` with the given personal details, A-number-like patterns and dates of birth replaced."""
    for pattern, replacement in patterns:
        text = pattern.sub(replacement, text)
    text = A_NUMBER.sub(REDACTED["a_number"], text)
    return BIRTH_DATE.sub(REDACTED["birth_date"], text)


def redact(value: Any, patterns: list[tuple[re.Pattern[str], str]] = (), _key: object = None) -> Any:
    """A copy of a JSON-like value with every string redacted, and a ``person``'s personal fields replaced."""
    if isinstance(value, str):
        return redact_text(value, patterns)
    if isinstance(value, dict):
        return {
            key: REDACTED[key] if _key == "person" and key in REDACTED and item not in (None, "") else redact(item, patterns, key)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, patterns) for v in value]
    return value


# --- writing --------------------------------------------------------------------------------------


def _current_build(settings: Settings) -> str | None:
    from . import store

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
    asking still gets it, and the warning tells them the record is missing.
    """
    audit = settings.audit
    row: dict[str, Any] = {"subject": subject, "payload": payload, "check_report": check}
    if audit.redact_personal:
        row = redact(row, personal_patterns(case))
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
            older_than=older_than,
        )
    except (sqlite3.Error, OSError) as exc:
        print(f"warning: the {kind} could not be written to the audit log {runlog.log_path(settings.paths.data_dir)} ({exc})",
              file=sys.stderr)
        return None


def record_answer(settings: Settings, answer: Answer, build_id: str | None) -> int | None:
    """Record an ask: the question, the ranked passages, the answer and its check report."""
    data = answer.model_dump(mode="json")
    passages = [r.passage_id or f"{r.doc_id}#{r.anchor or r.section}" for r in answer.retrieved]
    return record(settings, "ask", answer.question, data, passed=answer.check.passed, build_id=build_id,
                  passages=passages, check=data["check"])


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


# --- reading --------------------------------------------------------------------------------------


class AuditRecord(BaseModel):
    """One record of the audit log, as `guidance log show` prints it."""

    id: int
    at: str = Field(description="When (UTC, ISO 8601).")
    kind: str = Field(description="ask, memo, check, evaluation or feedback.")
    user: str | None = Field(None, description="Who (the operating-system user unless set).")
    session: str | None = Field(None, description="The app session, or host:pid of a command-line run.")
    subject: str = Field(description="The question, the case id, the checked file or the set.")
    passages: list[str] = Field(default_factory=list, description="Ids of the passages retrieved or cited.")
    settings_hash: str
    build_id: str | None = None
    passed: bool | None = Field(None, description="Whether the checker passed it.")
    redacted: bool | None = Field(None, description="Whether personal details were redacted before writing.")
    payload: Any = Field(None, description="The answer, analysis, checked file or evaluation summary.")
    check: Any = Field(None, description="The check report.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> AuditRecord:
        """A record from a stored row."""
        def load(text: str | None) -> Any:
            if text is None:
                return None
            try:
                return json.loads(text)
            except ValueError:
                return text

        return cls(
            id=row["id"], at=row["at"], kind=row["kind"], user=row["user"], session=row["session"], subject=row["subject"],
            passages=load(row["passages"]) or [], settings_hash=row["settings_hash"], build_id=row["build_id"],
            passed=None if row["passed"] is None else bool(row["passed"]),
            redacted=None if row["redacted"] is None else bool(row["redacted"]),
            payload=load(row["payload"]), check=load(row["check_report"]),
        )


_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.I)


def parse_since(value: str, now: float | None = None) -> float:
    """A time to filter from: an ISO date or date-time (UTC unless it says), or an age such as 30m, 12h, 7d, 2w."""
    now = time.time() if now is None else now
    match = _RELATIVE.match(value)
    if match:
        return now - int(match.group(1)) * {"m": 60, "h": 3600, "d": 86400, "w": 604800}[match.group(2).lower()]
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"'{value}' is neither a date (2026-11-01), a date-time (2026-11-01T09:30) nor an age (30m, 12h, 7d, 2w)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()


def _kinds(kinds: list[str] | None) -> list[str] | None:
    unknown = sorted(set(kinds or []) - set(KINDS))
    if unknown:
        raise InputError(f"unknown record kind(s) {', '.join(unknown)}; known kinds: {', '.join(KINDS)}")
    return list(kinds) if kinds else None


def list_records(settings: Settings, kinds: list[str] | None = None, since: float | None = None, limit: int | None = 20) -> list[AuditRecord]:
    """Records newest first, filtered by kind and time."""
    rows = runlog.select(settings.paths.data_dir, kinds=_kinds(kinds), since=since, limit=limit)
    return [AuditRecord.of(r) for r in rows]


def get_record(settings: Settings, record_id: int) -> AuditRecord:
    """One record by id; a missing id is an InputError."""
    rows = runlog.select(settings.paths.data_dir, ids=[record_id])
    if not rows:
        raise InputError(f"there is no record {record_id} in the audit log {runlog.log_path(settings.paths.data_dir)}; "
                         "`guidance log list` shows the ids")
    return AuditRecord.of(rows[0])


CSV_COLUMNS = ("id", "at", "kind", "user", "session", "subject", "passages", "settings_hash", "build_id", "passed",
               "redacted", "payload", "check")


def export(settings: Settings, out: Path | str, fmt: str = "jsonl", kinds: list[str] | None = None, since: float | None = None) -> int:
    """Write the records (oldest first) to ``out`` as JSON lines or CSV; returns how many. '-' is stdout."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format '{fmt}'; use one of {', '.join(EXPORT_FORMATS)}")
    rows = runlog.select(settings.paths.data_dir, kinds=_kinds(kinds), since=since, oldest_first=True)
    records = [AuditRecord.of(r).model_dump(mode="json") for r in rows]
    if str(out) == "-":
        _write(sys.stdout, records, fmt)
        return len(records)
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            _write(handle, records, fmt)
        os.replace(tmp, out)  # a reader never sees half an export
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
    return len(records)


def _write(handle: Any, records: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "jsonl":
        for r in records:
            handle.write(json.dumps(r, ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for r in records:
        writer.writerow({
            **{k: r[k] for k in CSV_COLUMNS if k not in ("passages", "payload", "check")},
            "passages": " ".join(r["passages"]),
            "payload": json.dumps(r["payload"], ensure_ascii=False),
            "check": json.dumps(r["check"], ensure_ascii=False),
        })


def prune(settings: Settings, older_than_days: int | None = None) -> int:
    """Delete records older than ``older_than_days`` (default: the retention setting; 0 keeps all); returns how many."""
    days = settings.audit.retention_days if older_than_days is None else older_than_days
    if days <= 0:
        return 0
    return runlog.delete_before(settings.paths.data_dir, time.time() - days * 86400)
