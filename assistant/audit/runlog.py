"""The run log's storage: one SQLite table of runs, written in WAL mode, read with filters.

This module only stores and reads rows; what a row holds (redaction, user, session, retention) is
decided by ``audit``. Each write is one short transaction on its own connection, so threads and
processes can write at once (SQLite serializes them) and a crash mid-write loses at most that row:
WAL never leaves a half-written row, and ``synchronous=FULL`` makes a committed row survive even a
power cut. Logs written by older versions (fewer columns) are migrated in place on first write. The
process keeps one idle connection to each log it wrote, so that closing a write's connection is not
closing the last one, which would checkpoint the WAL into the database and delete it on every write.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TABLE = "runs"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
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
# Columns added after the first release, with their SQL types; older logs get them on first write.
EXTRA_COLUMNS = {
    "ts": "REAL",  # seconds since the epoch (UTC): what filters and retention compare
    "user": "TEXT",
    "session": "TEXT",
    "passages": "TEXT",  # JSON list of passage ids
    "check_report": "TEXT",  # JSON of the check report
    "redacted": "INTEGER",
}
INDEXES = (
    f"CREATE INDEX IF NOT EXISTS {TABLE}_ts ON {TABLE} (ts)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_kind ON {TABLE} (kind, id)",
)
COLUMNS = ("id", "at", "kind", "subject", "settings_hash", "build_id", "passed", "payload", *EXTRA_COLUMNS)


def log_path(data_dir: Path) -> Path:
    """Where the run log lives."""
    return Path(data_dir) / "runs.sqlite"


@contextlib.contextmanager
def connect(path: Path, write: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the log (created and migrated for writing), closed on exit."""
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)  # explicit transactions below
    try:
        conn.row_factory = sqlite3.Row
        if write:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            have = {row["name"] for row in conn.execute(f"PRAGMA table_info({TABLE})")}
            if not set(EXTRA_COLUMNS) <= have:
                _migrate(conn)
        yield conn
    finally:
        conn.close()


def _migrate(conn: sqlite3.Connection) -> None:
    """Create the table, or add the columns an older log lacks (in one transaction, so two processes can race)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(SCHEMA)
        have = {row["name"] for row in conn.execute(f"PRAGMA table_info({TABLE})")}
        for name, sql_type in EXTRA_COLUMNS.items():
            if name not in have:
                conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN {name} {sql_type}")
        if "ts" not in have:  # rows of an older log: derive the timestamp from their ISO time
            conn.execute(f"UPDATE {TABLE} SET ts = CAST(strftime('%s', at) AS REAL) WHERE ts IS NULL")
        for sql in INDEXES:
            conn.execute(sql)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


_KEEPERS: dict[str, sqlite3.Connection] = {}
_KEEPERS_LOCK = threading.Lock()


def _keep_open(path: Path) -> None:
    """Hold an idle connection to the log for the life of the process (see the module docstring).

    It never reads or writes, so it holds no lock and pins no snapshot; every write still opens its own
    connection to whatever file is at ``path`` now, so a log moved or deleted meanwhile is never written
    through it. Costly part it saves: a checkpoint (a database write and fsync) and a WAL deletion per write.
    """
    key = str(path)
    if key in _KEEPERS:
        return
    with _KEEPERS_LOCK:
        if key not in _KEEPERS:
            with contextlib.suppress(sqlite3.Error):
                keeper = sqlite3.connect(path, check_same_thread=False)
                # Open the file and the WAL index (connecting alone does not); closing the cursor ends the read.
                keeper.execute("PRAGMA user_version").close()
                _KEEPERS[key] = keeper


def insert(data_dir: Path, row: dict[str, Any], older_than: float | None = None) -> int:
    """Append one row (and, in the same transaction, delete rows with ``ts`` before ``older_than``)."""
    now = time.time()
    values = {
        "at": dt.datetime.fromtimestamp(now, dt.timezone.utc).isoformat(timespec="seconds"),
        "ts": now,
        **row,
    }
    for name in ("payload", "passages", "check_report"):
        if name in values and not isinstance(values[name], str | None):
            values[name] = json.dumps(values[name], ensure_ascii=False, default=str)
    if isinstance(values.get("passed"), bool):
        values["passed"] = int(values["passed"])
    names = [n for n in values if n in COLUMNS and n != "id"]
    with connect(log_path(data_dir), write=True) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                f"INSERT INTO {TABLE} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                [values[n] for n in names],
            )
            if older_than is not None:
                conn.execute(f"DELETE FROM {TABLE} WHERE ts < ?", (older_than,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        _keep_open(log_path(data_dir))
    return int(cur.lastrowid or 0)


def record(
    data_dir: Path, kind: str, subject: str, settings_hash: str, build_id: str | None, passed: bool | None, payload: dict
) -> int:
    """Append one run as the first version did (no user, session or redaction); returns its id.

    Kept for callers written against that version; new code records through ``audit``.
    """
    return insert(data_dir, {"kind": kind, "subject": subject, "settings_hash": settings_hash, "build_id": build_id,
                             "passed": passed, "payload": payload, "redacted": 0})


def select(
    data_dir: Path,
    kinds: list[str] | None = None,
    since: float | None = None,
    limit: int | None = None,
    oldest_first: bool = False,
    ids: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Rows matching the filters (newest first unless ``oldest_first``), columns as stored."""
    path = log_path(data_dir)
    if not path.exists():
        return []
    where, args = [], []
    if kinds:
        where.append(f"kind IN ({', '.join('?' for _ in kinds)})")
        args.extend(kinds)
    if since is not None:
        where.append("ts >= ?")
        args.append(since)
    if ids is not None:
        where.append(f"id IN ({', '.join('?' for _ in ids)})")
        args.extend(ids)
    sql = f"SELECT * FROM {TABLE}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id " + ("ASC" if oldest_first else "DESC")
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    with connect(path, write=True) as conn:  # write: a log of an older version is migrated first
        rows = conn.execute(sql, args).fetchall()
    return [{c: r[c] for c in COLUMNS} for r in rows]


def delete_before(data_dir: Path, cutoff: float) -> int:
    """Delete rows with ``ts`` before ``cutoff``; returns how many."""
    if not log_path(data_dir).exists():
        return 0
    with connect(log_path(data_dir), write=True) as conn:
        cur = conn.execute(f"DELETE FROM {TABLE} WHERE ts < ?", (cutoff,))
        return cur.rowcount


def recent(data_dir: Path, limit: int = 20) -> list[dict]:
    """The most recent runs, newest first."""
    return select(data_dir, limit=limit)
