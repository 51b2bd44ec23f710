"""The SQLite file format: tables, version check, and retry on a busy database.

Points are stored as *runs*: one row per metric per written batch, holding the
x and y values as little-endian float64 blobs. A row per point would cost
about 40 bytes per point with its index, and reading a million points back
through the ``sqlite3`` module would build a million Python tuples; runs cost
16 bytes per point plus one row header per batch, keep NaN and infinities
bit-exact (SQLite turns a NaN REAL into NULL), and read back with
``numpy.frombuffer``. Each run has an ``AUTOINCREMENT`` id, so ids only grow in
commit order and a reader can follow an execution by id, reading only the new
rows.

The format is versioned (``PRAGMA user_version``): a new file is created at
version 1 and upgraded in place, step by step, to the current version, which
is what an older file goes through too when this version first opens it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from .records import StoreError

APPLICATION_ID = 0x63664C78
"""``PRAGMA application_id`` of a cellflux store ("cfLx")."""

SCHEMA_VERSION = 3
"""``PRAGMA user_version`` of the format written here (2 added ``params``, 3 the process columns)."""

PARAMS_TABLE = """CREATE TABLE IF NOT EXISTS params (
        id INTEGER PRIMARY KEY,
        execution_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        UNIQUE (execution_id, key)
    )"""
"""Hyperparameters, one row each; ``value`` is a JSON scalar, so numbers stay numbers."""


TABLES = (  # version 1, and params (IF NOT EXISTS: migration 1 finds it made)
    """CREATE TABLE executions (
        id TEXT PRIMARY KEY,
        parent_id TEXT,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at REAL NOT NULL,
        ended_at REAL,
        pid INTEGER
    )""",
    "CREATE INDEX executions_by_start ON executions (started_at)",
    "CREATE INDEX executions_by_name ON executions (name, started_at)",
    """CREATE TABLE metrics (
        id INTEGER PRIMARY KEY,
        execution_id TEXT NOT NULL,
        key TEXT NOT NULL,
        group_name TEXT,
        group_units TEXT,
        group_lower REAL,
        group_upper REAL,
        has_scale INTEGER NOT NULL DEFAULT 0,
        scale_name TEXT,
        scale_units TEXT,
        scale_progress INTEGER NOT NULL DEFAULT 0,
        scale_lower REAL,
        scale_upper REAL,
        x_auto INTEGER,
        state TEXT,
        UNIQUE (execution_id, key)
    )""",
    """CREATE TABLE points (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        metric_id INTEGER NOT NULL,
        pid INTEGER NOT NULL,
        x BLOB NOT NULL,
        y BLOB NOT NULL
    )""",
    "CREATE INDEX points_by_metric ON points (metric_id)",
    PARAMS_TABLE,
)

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (PARAMS_TABLE,),
    # 2 to 3: the process of each execution (host, rank in a distributed job),
    # so that the ranks of a job are grouped into one run.
    2: (
        "ALTER TABLE executions ADD COLUMN host TEXT",
        "ALTER TABLE executions ADD COLUMN rank INTEGER",
        "ALTER TABLE executions ADD COLUMN world_size INTEGER",
        "ALTER TABLE executions ADD COLUMN job TEXT",
        "ALTER TABLE executions ADD COLUMN occurrence INTEGER",
        "CREATE INDEX executions_by_job ON executions (job, name, occurrence)",
    ),
}
"""Statements that bring a store of version N (the key) to N + 1."""

BUSY_WAIT = 0.1
"""SQLite's own busy handler waits this long; the retry loop below waits longer."""

T = TypeVar("T")

_BUSY, _LOCKED, _FULL = 5, 6, 13
"""SQLite result codes (``sqlite3.SQLITE_*`` exists from Python 3.11 only)."""


def is_busy(error: BaseException) -> bool:
    """True for SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_BUSY, _LOCKED)
    text = str(error)
    return "locked" in text or "busy" in text


def is_full(error: BaseException) -> bool:
    """True for SQLITE_FULL: the disk (or ``max_page_count``) is full."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == _FULL


def retry_busy(attempt: Callable[[], T], timeout: float) -> T:
    """Run ``attempt`` until it does not fail with a busy database, for up to ``timeout`` s.

    SQLite's busy handler does not cover every case (a WAL snapshot that went
    stale, recovery in progress), so busy errors are retried here with a
    growing pause. The last busy error is raised once the time is up.
    """
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as error:
            left = deadline - time.monotonic()
            if not is_busy(error) or left <= 0:
                raise
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.25)


def connect(path: str, *, create: bool) -> sqlite3.Connection | None:
    """An open, checked connection to the store at ``path`` (a busy file raises: retry).

    Returns None when the file does not exist and ``create`` is false (reading
    never creates a store). Raises :class:`StoreError` naming the path when the
    file is not a cellflux store.
    """
    memory = path == ":memory:"
    if not memory and not os.path.exists(path):
        if not create:
            return None
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_WAIT, isolation_level=None, check_same_thread=False)
    try:
        _prepare(conn, path, memory)
    except BaseException:
        conn.close()
        raise
    return conn


def _prepare(conn: sqlite3.Connection, path: str, memory: bool) -> None:
    try:
        app, version, tables = _header(conn)
    except sqlite3.DatabaseError as error:
        if is_busy(error):
            raise
        raise StoreError(f"{path} is not a cellflux store ({error})") from error
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer cellflux (store format {version}, this one reads {SCHEMA_VERSION})"
        )
    if app != APPLICATION_ID and (app != 0 or version != 0 or tables):
        raise _not_a_store(path, app, version)
    if not memory:
        conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk when flush() returns, even across a power cut.
    conn.execute("PRAGMA synchronous=FULL")
    if version < SCHEMA_VERSION:
        _create(conn, path)


def _not_a_store(path: str, app: int, version: int) -> StoreError:
    return StoreError(
        f"{path} is an SQLite database but not a cellflux store (application_id {app}, user_version {version})"
    )


def _header(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """application_id, user_version and the number of schema objects, from one snapshot.

    One statement, so one read transaction: read separately, another process
    creating the store could commit in between, and a half-seen new store would
    look like a foreign database.
    """
    row = conn.execute(
        "SELECT (SELECT application_id FROM pragma_application_id), "
        "(SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master)"
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def _create(conn: sqlite3.Connection, path: str) -> None:
    # Several processes may create (or upgrade) the same file at once: the first
    # to take the write lock does it, the others find it done.
    conn.execute("BEGIN IMMEDIATE")
    try:
        app, version, tables = _header(conn)
        if version == 0:
            if app != 0 or tables:
                raise _not_a_store(path, app, version)
            for statement in TABLES:
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        for old in range(max(version, 1), SCHEMA_VERSION):
            for statement in MIGRATIONS[old]:
                conn.execute(statement)
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
