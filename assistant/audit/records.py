"""Reading the audit log: records by kind and time, one record in full, exports, and pruning."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.errors import InputError

from . import runlog

if TYPE_CHECKING:
    from assistant.config import Settings

KINDS = ("ask", "memo", "check", "evaluation", "evaluation_item", "feedback", "llm_failure", "ingest", "remove")
"""Every kind of record the code writes (``guidance log list --kind`` accepts each)."""
EXPORT_FORMATS = ("jsonl", "csv")


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
