"""``SQLiteStore``: the built-in store, one SQLite file in WAL mode.

One connection per store object and process, opened on first use (so a store
whose directory is not writable yet costs nothing until a write is due) and
closed just before a fork (see ``forking``). Every statement is parameterised: keys, names and
units are data, never SQL.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

import numpy as np

from ..params import Param
from . import forking, schema
from . import rows as codec
from .records import Batch, ExecutionRecord, Floats, MetricRecord, PointBatch
from .waiting import PolledChanges

RUN_MAX = 1 << 16
"""Points per stored row at most, so that an incremental reader gets modest pieces."""

_orphans: list[sqlite3.Connection] = []
"""In-memory connections inherited across a fork: never used nor closed in the child."""

T = TypeVar("T")


class SQLiteStore:
    """A cellflux store in the SQLite file ``path`` (``":memory:"``: in this process only).

    >>> store = SQLiteStore(":memory:")
    >>> store.list_executions()
    []

    ``timeout`` is how long a write waits for another process's lock before
    it fails (the writer thread then keeps the points and tries again later).
    """

    retries = False
    """A commit either happens or fails here, visibly: the writer never needs a backlog."""
    poll_interval = 0.5
    """How often ``changes()`` wakes a watcher: SQLite cannot notify another process."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 10.0) -> None:
        path = os.fspath(path)
        self.path = path if path == ":memory:" else os.path.abspath(path)
        self.locator = self.path
        self.timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._metric_ids: dict[tuple[str, str], int] = {}
        forking.register(self)

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    # -- connection ------------------------------------------------------------------------

    def _connection(self, *, create: bool) -> sqlite3.Connection | None:
        if self._conn is None:
            self._conn = schema.connect(self.path, create=create)
        return self._conn

    def _locked(self, use: Callable[[sqlite3.Connection], T], *, create: bool) -> T | None:
        """``use(connection)`` under the lock, retried while the file is busy.

        The pause between attempts is taken outside the lock, so that a fork
        (which takes the lock) never waits for another process's transaction.
        Returns None when the file does not exist and ``create`` is false.
        """

        def attempt() -> T | None:
            with self._lock:
                conn = self._connection(create=create)
                return None if conn is None else use(conn)

        return schema.retry_busy(attempt, self.timeout)

    def _discard(self) -> None:
        """Drop a connection that failed: the next use reopens the file, which may be fixed."""
        self._metric_ids.clear()
        self._close_connection()

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass  # it is being dropped because it is broken already

    def close(self) -> None:
        with self._lock:
            self._discard()

    def _before_fork(self) -> None:
        self._lock.acquire()
        if self.path != ":memory:":
            self._close_connection()  # no file connection may cross a fork

    def _after_fork_parent(self) -> None:
        self._lock.release()

    def _after_fork_child(self) -> None:
        self._lock = threading.RLock()
        if self._conn is not None:  # an in-memory database: the child starts its own
            _orphans.append(self._conn)
            self._conn = None
            self._metric_ids.clear()

    # -- writing ---------------------------------------------------------------------------

    def write(self, batch: Batch) -> None:
        """Commit ``batch`` in one transaction, waiting up to ``timeout`` for the lock."""

        def attempt(conn: sqlite3.Connection) -> None:
            new_ids: dict[tuple[str, str], int] = {}
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._write(conn, batch, new_ids)
                conn.execute("COMMIT")
            except BaseException:
                self._rollback(conn)
                raise
            self._metric_ids.update(new_ids)

        try:
            self._locked(attempt, create=True)
        except sqlite3.Error as error:
            if not (schema.is_busy(error) or schema.is_full(error)):
                with self._lock:
                    self._discard()
            raise

    def _rollback(self, conn: sqlite3.Connection) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            self._discard()  # a connection that cannot roll back is not reused

    def _write(self, conn: sqlite3.Connection, batch: Batch, new_ids: dict[tuple[str, str], int]) -> None:
        columns = codec.EXECUTION_COLUMNS
        marks = ", ".join("?" * 13)
        if batch.executions:
            conn.executemany(
                f"INSERT INTO executions ({columns}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET "
                "name = excluded.name, kind = excluded.kind, parent_id = excluded.parent_id, "
                "status = excluded.status, started_at = excluded.started_at, "
                "ended_at = excluded.ended_at, pid = excluded.pid, host = excluded.host, "
                "rank = excluded.rank, world_size = excluded.world_size, job = excluded.job, "
                "occurrence = excluded.occurrence",
                [codec.execution_row(r) for r in batch.executions],
            )
        if batch.visitors:
            conn.executemany(
                f"INSERT OR IGNORE INTO executions ({columns}) VALUES ({marks})",
                [codec.execution_row(r) for r in batch.visitors],
            )
        if batch.metrics:
            conn.executemany(
                f"INSERT INTO metrics (execution_id, {codec.METRIC_COLUMNS}) VALUES ({', '.join('?' * 14)}) "
                "ON CONFLICT (execution_id, key) DO UPDATE SET group_name = excluded.group_name, "
                "group_units = excluded.group_units, group_lower = excluded.group_lower, "
                "group_upper = excluded.group_upper, has_scale = excluded.has_scale, "
                "scale_name = excluded.scale_name, scale_units = excluded.scale_units, "
                "scale_progress = excluded.scale_progress, scale_lower = excluded.scale_lower, "
                "scale_upper = excluded.scale_upper, x_auto = coalesce(excluded.x_auto, x_auto), "
                "state = coalesce(excluded.state, state)",
                [(eid, *codec.metric_row(m)) for eid, m in batch.metrics],
            )
        rows: list[tuple[int, int, bytes, bytes]] = []
        pid = os.getpid()
        for run in batch.points:
            metric_id = self._metric_id(conn, run.execution_id, run.key, new_ids)
            xs, ys = np.asarray(run.xs, "<f8"), np.asarray(run.ys, "<f8")
            for start in range(0, len(xs), RUN_MAX):
                stop = start + RUN_MAX
                rows.append((metric_id, pid, xs[start:stop].tobytes(), ys[start:stop].tobytes()))
        if rows:
            conn.executemany("INSERT INTO points (metric_id, pid, x, y) VALUES (?, ?, ?, ?)", rows)
        if batch.ended:
            conn.executemany(
                "UPDATE executions SET status = ?, ended_at = ? WHERE id = ?",
                [(r.status, r.ended_at, r.id) for r in batch.ended],
            )
        if batch.params:
            conn.executemany(
                "INSERT INTO params (execution_id, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (execution_id, key) DO UPDATE SET value = excluded.value",
                [(eid, key, json.dumps(value)) for eid, table in batch.params for key, value in table.items()],
            )

    def _metric_id(
        self, conn: sqlite3.Connection, execution_id: str, key: str, new_ids: dict[tuple[str, str], int]
    ) -> int:
        slot = (execution_id, key)
        found = self._metric_ids.get(slot)
        if found is None:
            found = new_ids.get(slot)
        if found is not None:
            return found
        select = "SELECT id FROM metrics WHERE execution_id = ? AND key = ?"
        row = conn.execute(select, slot).fetchone()
        if row is None:  # points without a definition (the definer's rows are not in yet)
            conn.execute("INSERT INTO metrics (execution_id, key) VALUES (?, ?)", slot)
            row = conn.execute(select, slot).fetchone()
        new_ids[slot] = int(row[0])
        return new_ids[slot]

    # -- reading ---------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        rows = self._locked(lambda conn: conn.execute(sql, params).fetchall(), create=False)
        return rows if rows is not None else []

    def list_executions(self, *, name: str | None = None, limit: int | None = None) -> list[ExecutionRecord]:
        # The parts of a distributed run (ranks other than 0) are listed with their run.
        sql = f"SELECT {codec.EXECUTION_COLUMNS} FROM executions WHERE ({codec.NOT_A_PART})"
        params: list[Any] = []
        if name is not None:
            sql += " AND name = ?"
            params.append(name)
        sql += " ORDER BY started_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [codec.execution(row) for row in self._query(sql, params)]

    def find_executions(self, prefix: str) -> list[ExecutionRecord]:
        sql = (
            f"SELECT {codec.EXECUTION_COLUMNS} FROM executions "
            "WHERE substr(id, 1, length(?)) = ? ORDER BY started_at DESC"
        )
        return [codec.execution(row) for row in self._query(sql, (prefix, prefix))]

    def read_execution(self, execution_id: str) -> ExecutionRecord | None:
        rows = self._query(f"SELECT {codec.EXECUTION_COLUMNS} FROM executions WHERE id = ?", (execution_id,))
        return codec.execution(rows[0]) if rows else None

    def read_group(self, job: str, name: str, occurrence: int) -> list[ExecutionRecord]:
        sql = f"SELECT {codec.EXECUTION_COLUMNS} FROM executions WHERE {codec.SAME_GROUP} ORDER BY rank, started_at"
        return [codec.execution(row) for row in self._query(sql, (job, name, occurrence))]

    def read_metrics(self, execution_id: str) -> dict[str, MetricRecord]:
        sql = f"SELECT {codec.METRIC_COLUMNS} FROM metrics WHERE execution_id = ? ORDER BY id"
        return {row[0]: codec.metric(row) for row in self._query(sql, (execution_id,))}

    def read_series(self, execution_id: str, key: str) -> tuple[Floats, Floats]:
        rows = self._query(
            "SELECT p.x, p.y FROM points p JOIN metrics m ON m.id = p.metric_id "
            "WHERE m.execution_id = ? AND m.key = ? ORDER BY p.id",
            (execution_id, key),
        )
        return codec.concat([r[0] for r in rows]), codec.concat([r[1] for r in rows])

    def read_params(self, execution_id: str) -> dict[str, Param]:
        rows = self._query("SELECT key, value FROM params WHERE execution_id = ? ORDER BY id", (execution_id,))
        return {key: json.loads(value) for key, value in rows}

    def read_points(
        self, execution_id: str, after: int = 0, *, exclude_pid: int | None = None, limit: int | None = None
    ) -> PointBatch:
        """Points of ``execution_id`` in rows written after cursor ``after``.

        ``exclude_pid`` skips the rows written by that process (a live board
        has its own points already) without reading their values, and the
        cursor still moves past them, so they are never scanned again.
        """
        sql = (
            "SELECT p.id, m.key, p.pid = ?, CASE WHEN p.pid = ? THEN NULL ELSE p.x END, "
            "CASE WHEN p.pid = ? THEN NULL ELSE p.y END FROM points p JOIN metrics m ON m.id = p.metric_id "
            "WHERE m.execution_id = ? AND p.id > ? ORDER BY p.id"
        )
        skip = -1 if exclude_pid is None else exclude_pid
        params: list[Any] = [skip, skip, skip, execution_id, int(after)]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        rows = self._query(sql, params)
        cursor = int(rows[-1][0]) if rows else int(after)
        xs: dict[str, list[bytes]] = {}
        ys: dict[str, list[bytes]] = {}
        for _, key, skipped, x, y in rows:
            if not skipped:
                xs.setdefault(key, []).append(x)
                ys.setdefault(key, []).append(y)
        return PointBatch(cursor, {key: (codec.concat(xs[key]), codec.concat(ys[key])) for key in xs})

    def changes(self, execution_ids: Collection[str], *, others_only: bool = False) -> PolledChanges:
        """A file has no notifications: ``wait()`` returns every ``poll_interval``, and the caller reads."""
        return PolledChanges(self.poll_interval)

