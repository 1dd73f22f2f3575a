"""The run log: every ask is recorded in SQLite (question, retrieved ids and scores, settings hash,
index build, the answer and its check report), so evaluations and audits read the same records.

Writes are single transactions in WAL mode, so a crash mid-write loses at most that record.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    build_id TEXT,
    passed INTEGER,
    payload TEXT NOT NULL
)
"""


def log_path(data_dir: Path) -> Path:
    """Where the run log lives."""
    return data_dir / "runs.sqlite"


def record(data_dir: Path, kind: str, subject: str, settings_hash: str, build_id: str | None, passed: bool | None, payload: dict) -> int:
    """Append one run; returns its id."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(log_path(data_dir), timeout=10) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash loses at most the last record, no fsync per ask
        conn.execute(SCHEMA)
        cur = conn.execute(
            "INSERT INTO runs (at, kind, subject, settings_hash, build_id, passed, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                kind,
                subject,
                settings_hash,
                build_id,
                None if passed is None else int(passed),
                json.dumps(payload, ensure_ascii=False, default=str),
            ),
        )
        return int(cur.lastrowid or 0)


def recent(data_dir: Path, limit: int = 20) -> list[dict]:
    """The most recent runs, newest first."""
    path = log_path(data_dir)
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=10) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [dict(r) for r in rows]
