"""The run log's storage: one SQLite table of runs, written in WAL mode, read with filters.

This module only stores and reads rows; what a row holds (redaction, user, session, retention) is
decided by ``audit``. Each write is one short transaction on its thread's connection, so threads and
processes can write at once (SQLite serializes them) and a crash mid-write loses at most that row:
WAL never leaves a half-written row, and a row is committed before the call returns, so it survives the
process being killed at any point after. Commits are not fsynced (``synchronous=NORMAL``, SQLite's
advice for WAL): that fsync was the largest cost of answering a question, and what it adds is only
this: a power cut or an operating-system crash may lose the rows committed since the last checkpoint
(which fsyncs), never the file's integrity. Logs written by older versions (fewer columns) are migrated in place on first write. The
process keeps one idle connection to each log it wrote, so that closing a write's connection is not
closing the last one, which would checkpoint the WAL into the database and delete it on every write.
Each thread keeps its writing connection open between writes (``_writer``), so a write pays for one
``stat`` and one transaction, not for opening, configuring and checking the log again; the ``stat``
tells a log deleted or replaced since the last write, which gets a new connection.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant import datafolder

TABLE = "runs"
WAL_LIMIT_BYTES = 4 * 1024 * 1024
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


def _open(path: Path, write: bool) -> sqlite3.Connection:
    """A new connection to the log (for writing: the file created private, WAL set up, older logs migrated)."""
    if write:
        datafolder.private_dir(path.parent)
        if not path.exists():  # created 0600 before SQLite opens it; SQLite gives -wal and -shm the same mode
            datafolder.open_private(path, "ab").close()
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)  # explicit transactions below
    try:
        conn.row_factory = sqlite3.Row
        if write:
            _set_up(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


SETUP_TRIES = 100
"""Setting up a new log can meet another writer setting it up (SQLite answers 'locked' at once, without waiting,
when two connections switch a new database to WAL): tried again every 50 ms, 5 s at most."""


def _set_up(conn: sqlite3.Connection, path: Path) -> None:
    """WAL, no fsync per commit, a bounded WAL, private files, and the table of this version."""
    for attempt in range(SETUP_TRIES):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # durable across a process crash; see the module docstring
            conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")  # the WAL shrinks back after a checkpoint
            for suffix in ("", "-wal", "-shm"):  # a log written by an older version was 0644
                datafolder.private_file(f"{path}{suffix}")
            have = {row["name"] for row in conn.execute(f"PRAGMA table_info({TABLE})")}
            if not set(EXTRA_COLUMNS) <= have:
                _migrate(conn)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == SETUP_TRIES - 1:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def connect(path: Path, write: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the log (created and migrated for writing), closed on exit."""
    conn = _open(path, write)
    try:
        yield conn
    finally:
        conn.close()


_WRITERS = threading.local()
_SETUP_LOCK = threading.Lock()


def _writer(path: Path) -> sqlite3.Connection:
    """This thread's writing connection to the log at ``path``, opened on first use and whenever the file at
    ``path`` is not the one it was opened on (deleted, moved or replaced since): one ``stat`` per write."""
    cache: dict[str, tuple[sqlite3.Connection, tuple[int, int]]] = _WRITERS.__dict__.setdefault("by_path", {})
    key = str(path)
    try:
        st = path.stat()
        identity: tuple[int, int] | None = (st.st_dev, st.st_ino)
    except FileNotFoundError:
        identity = None
    held = cache.get(key)
    if held is not None and held[1] == identity:
        return held[0]
    if held is not None:
        cache.pop(key)
        held[0].close()
    with _SETUP_LOCK:  # threads of one process set a new log up one at a time
        conn = _open(path, write=True)
    st = path.stat()
    cache[key] = (conn, (st.st_dev, st.st_ino))
    return conn


def _forget_writer(path: Path) -> None:
    """Close this thread's writing connection to ``path`` (after an error, the next write opens a new one)."""
    held = _WRITERS.__dict__.get("by_path", {}).pop(str(path), None)
    if held is not None:
        with contextlib.suppress(sqlite3.Error):
            held[0].close()


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


# What a row weighs on disk, near enough: its texts plus the other columns and the indexes' entries.
ROW_BYTES = (
    "length(CAST(payload AS BLOB)) + coalesce(length(CAST(check_report AS BLOB)), 0) + length(CAST(subject AS BLOB)) "
    "+ coalesce(length(CAST(passages AS BLOB)), 0) + 200"
)
TRIM_TO = 0.9  # past the cap, the oldest rows go until the log is at 90% of it: not a trim on every write


def used_bytes(conn: sqlite3.Connection) -> int:
    """Bytes of the database's pages in use (free pages, which SQLite reuses, are not counted)."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0] - conn.execute("PRAGMA freelist_count").fetchone()[0]
    return pages * conn.execute("PRAGMA page_size").fetchone()[0]


def _on_disk(path: Path) -> int:
    """Bytes of the log's database and WAL files: every page in use is in one of them, so this bounds ``used_bytes``."""
    total = 0
    for suffix in ("", "-wal"):
        with contextlib.suppress(OSError):
            total += os.stat(f"{path}{suffix}").st_size
    return total


def _trim(conn: sqlite3.Connection, max_bytes: int, below_id: int, path: Path | None = None) -> int:
    """Inside a write transaction: delete the oldest rows (ids below ``below_id``) until the log fits ``max_bytes``."""
    if path is not None and _on_disk(path) <= max_bytes:
        return 0  # far below the cap, as nearly always: no need to count pages
    used = used_bytes(conn)
    if used <= max_bytes:
        return 0
    excess = used - int(max_bytes * TRIM_TO)
    last = conn.execute(
        f"SELECT id FROM (SELECT id, SUM({ROW_BYTES}) OVER (ORDER BY id) AS total FROM {TABLE} WHERE id < ?) "
        "WHERE total >= ? ORDER BY id LIMIT 1",
        (below_id, excess),
    ).fetchone()
    cur = conn.execute(f"DELETE FROM {TABLE} WHERE id <= ? AND id < ?", (last[0] if last else below_id - 1, below_id))
    return cur.rowcount


_KEEPERS: dict[str, sqlite3.Connection] = {}
_KEEPERS_LOCK = threading.Lock()


def _keep_open(path: Path) -> None:
    """Hold an idle connection to the log for the life of the process (see the module docstring).

    It never reads or writes, so it holds no lock and pins no snapshot; every write checks that its thread's
    connection is to whatever file is at ``path`` now (``_writer``), so a log moved or deleted meanwhile is
    never written through it. Costly part it saves: a checkpoint (a database write and fsync) and a WAL deletion per write.
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


def _begin(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, tried again when SQLite answers 'locked' at once instead of waiting (a writer setting a new log
    up, or a snapshot another writer made stale): the busy timeout covers every other wait."""
    for attempt in range(SETUP_TRIES):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == SETUP_TRIES - 1:
                raise
            time.sleep(0.05)


def insert(data_dir: Path, row: dict[str, Any], older_than: float | None = None, max_bytes: int | None = None) -> int:
    """Append one row; in the same transaction, delete rows with ``ts`` before ``older_than``, then the oldest
    rows while the log holds more than ``max_bytes`` (never the row just written)."""
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
    path = log_path(data_dir)
    try:
        conn = _writer(path)
        _begin(conn)
        try:
            cur = conn.execute(
                f"INSERT INTO {TABLE} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                [values[n] for n in names],
            )
            if older_than is not None:
                conn.execute(f"DELETE FROM {TABLE} WHERE ts < ?", (older_than,))
            trimmed = _trim(conn, max_bytes, int(cur.lastrowid or 0), path) if max_bytes else 0
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except BaseException:
        _forget_writer(path)
        raise
    if trimmed:  # at the cap: fold the WAL back into the database so the files on disk stay at the cap too
        with contextlib.suppress(sqlite3.Error):
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _keep_open(path)
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
    conversation: str | None = None,
) -> list[dict[str, Any]]:
    """Rows matching the filters (newest first unless ``oldest_first``), columns as stored.

    ``conversation``: only the asks of that conversation (the payload's ``conversation_id``).
    """
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
    if conversation is not None:
        where.append("json_valid(payload) AND json_extract(payload, '$.conversation_id') = ?")
        args.append(conversation)
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
