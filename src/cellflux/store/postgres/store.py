"""``PostgresStore``: the store on a PostgreSQL server, for runs past one machine.

Each process writes through its own connection, opened on first use and
never shared across a fork (the child drops the inherited one unused: closing
it would end the parent's session). Reads go through a second connection, so a
reader never waits behind a batch in flight. Every statement is parameterised;
the only identifiers are this package's constants.

Tailing is correct by construction: a transaction that writes points of an
execution first takes that execution's advisory lock, and only then takes
point ids from the sequence, so the batches of one execution commit in id
order, and a reader that follows ``id > cursor`` never passes over a batch that
commits later (see ``serialise_writers``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import psycopg

from ...identity import process_identity
from .. import forking
from .. import rows as codec
from ..records import Batch, ExecutionRecord, Floats, MetricRecord, PointBatch
from . import schema
from .connect import Server
from .listen import NotifiedChanges, listener_for
from .text import decode, decode_row, encode, encode_row

RUN_MAX = 1 << 16
"""Points per stored chunk at most, as in the SQLite store."""
CHANNEL = "cellflux"
"""The NOTIFY channel: the payload is the id of an execution that has new data."""

_EXEC = codec.EXECUTION_COLUMNS
_UPSERT_EXECUTION = (
    f"INSERT INTO cellflux.executions ({_EXEC}) VALUES ({', '.join(['%s'] * 13)}) ON CONFLICT (id) DO UPDATE SET "
    "name = excluded.name, kind = excluded.kind, parent_id = excluded.parent_id, status = excluded.status, "
    "started_at = excluded.started_at, ended_at = excluded.ended_at, pid = excluded.pid, host = excluded.host, "
    "rank = excluded.rank, world_size = excluded.world_size, job = excluded.job, occurrence = excluded.occurrence"
)
_UPSERT_METRIC = (
    f"INSERT INTO cellflux.metrics (execution_id, {codec.METRIC_COLUMNS}) VALUES ({', '.join(['%s'] * 14)}) "
    "ON CONFLICT (execution_id, key) DO UPDATE SET group_name = excluded.group_name, "
    "group_units = excluded.group_units, group_lower = excluded.group_lower, group_upper = excluded.group_upper, "
    "has_scale = excluded.has_scale, scale_name = excluded.scale_name, scale_units = excluded.scale_units, "
    "scale_progress = excluded.scale_progress, scale_lower = excluded.scale_lower, "
    "scale_upper = excluded.scale_upper, x_auto = coalesce(excluded.x_auto, metrics.x_auto), "
    "state = coalesce(excluded.state, metrics.state)"
)


def lock_key(execution_id: str) -> int:
    """The advisory lock of an execution: a stable signed 32-bit hash of its id."""
    return int.from_bytes(hashlib.blake2b(execution_id.encode(), digest_size=4).digest(), "big", signed=True)


class PostgresStore:
    """A cellflux store in a PostgreSQL database, named by a ``postgresql://`` URL.

    ``timeout`` bounds the statements of a write (a server that hangs must not
    hold a batch for ever). ``serialise_writers=False`` leaves out the
    per-execution lock: only to show what goes wrong without it.
    """

    retries = True
    """A failed batch waits in the writer's backlog, and is sent again with the same id."""
    poll_interval = 2.0
    """How often a watcher reads even without a notification (a LISTEN connection may be down)."""

    def __init__(self, url: str, *, timeout: float = 10.0, serialise_writers: bool = True) -> None:
        self.locator = url
        self.server = Server(url)
        self.path = self.server.shown
        self.timeout = timeout
        self.serialise_writers = serialise_writers
        self._write_conn: psycopg.Connection[Any] | None = None
        self._read_conn: psycopg.Connection[Any] | None = None
        self._write_lock = threading.RLock()
        self._read_lock = threading.RLock()
        self._metric_ids: dict[tuple[str, str], int] = {}
        self._version = 0
        forking.register(self)

    def __repr__(self) -> str:
        return f"PostgresStore({self.path!r})"

    # -- connections -------------------------------------------------------------------------

    def _writer(self) -> psycopg.Connection[Any]:
        if self._write_conn is None or self._write_conn.closed:
            conn = self.server.connect(autocommit=False)
            try:
                conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(int(self.timeout * 1000)),))
                conn.commit()
                self._version = schema.prepare(conn, self.path, create=True)
            except BaseException:
                conn.close()
                raise
            self._write_conn = conn
            self._metric_ids.clear()
        return self._write_conn

    def _reader(self) -> psycopg.Connection[Any] | None:
        """The read connection, or None when the database holds no store (reading never creates one)."""
        if self._read_conn is None or self._read_conn.closed:
            conn = self.server.connect(autocommit=True)
            try:
                found = schema.version(conn)
                if 0 < found < schema.SCHEMA_VERSION:  # an older store: upgraded by whoever may
                    conn.autocommit = False
                    found = schema.prepare(conn, self.path, create=True)
                    conn.autocommit = True
                elif found > schema.SCHEMA_VERSION:
                    schema.prepare(conn, self.path, create=False)  # raises, naming the versions
            except psycopg.Error as error:
                conn.close()
                raise self.server.error(error, "cannot read") from None
            except BaseException:
                conn.close()
                raise
            if found == 0:
                conn.close()
                return None
            self._read_conn = conn
        return self._read_conn

    def close(self) -> None:
        with self._write_lock:
            conn, self._write_conn = self._write_conn, None
            self._metric_ids.clear()
            if conn is not None:
                conn.close()
        with self._read_lock:
            conn, self._read_conn = self._read_conn, None
            if conn is not None:
                conn.close()

    def _before_fork(self) -> None:
        self._write_lock.acquire()
        self._read_lock.acquire()

    def _after_fork_parent(self) -> None:
        self._read_lock.release()
        self._write_lock.release()

    def _after_fork_child(self) -> None:
        # The inherited connections are the parent's sessions: dropped, never closed
        # (psycopg does not close a connection that another process opened).
        self._write_conn = self._read_conn = None
        self._metric_ids.clear()
        self._write_lock = threading.RLock()
        self._read_lock = threading.RLock()

    # -- writing -----------------------------------------------------------------------------

    def write(self, batch: Batch) -> None:
        """Commit ``batch`` in one transaction; a batch already committed (same writer and seq) is skipped."""
        with self._write_lock:
            try:
                conn = self._writer()
                new_ids: dict[tuple[str, str], int] = {}
                with conn.transaction():
                    if self._write(conn, batch, new_ids):
                        self._metric_ids.update(new_ids)
            except psycopg.Error as error:
                if self._write_conn is not None and (self._write_conn.closed or self._write_conn.broken):
                    self._write_conn = None
                    self._metric_ids.clear()
                raise self.server.error(error, "cannot write") from None

    def _write(self, conn: psycopg.Connection[Any], batch: Batch, new_ids: dict[tuple[str, str], int]) -> bool:
        if batch.writer:
            done = conn.execute(
                "INSERT INTO cellflux.batches (writer, seq) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (batch.writer, batch.seq),
            )
            if done.rowcount == 0:
                return False  # committed before, its answer lost: nothing more to do
        touched = {r.id for r in (*batch.executions, *batch.visitors, *batch.ended)}
        touched |= {eid for eid, _ in batch.metrics} | {run.execution_id for run in batch.points}
        if self.serialise_writers and batch.points:
            for key in sorted({lock_key(run.execution_id) for run in batch.points}):
                conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (schema.LOCK_CLASS, key))
        with conn.cursor() as cur:
            if batch.executions:
                cur.executemany(_UPSERT_EXECUTION, [encode_row(codec.execution_row(r)) for r in batch.executions])
            if batch.visitors:
                cur.executemany(
                    f"INSERT INTO cellflux.executions ({_EXEC}) VALUES ({', '.join(['%s'] * 13)}) "
                    "ON CONFLICT (id) DO NOTHING",
                    [encode_row(codec.execution_row(r)) for r in batch.visitors],
                )
            if batch.metrics:
                cur.executemany(_UPSERT_METRIC, [encode_row((eid, *codec.metric_row(m))) for eid, m in batch.metrics])
            rows: list[tuple[Any, ...]] = []
            pid = os.getpid()
            for run in batch.points:
                metric_id = self._metric_id(conn, run.execution_id, run.key, new_ids)
                xs, ys = np.asarray(run.xs, "<f8"), np.asarray(run.ys, "<f8")
                for start in range(0, len(xs), RUN_MAX):
                    stop = start + RUN_MAX
                    rows.append((run.execution_id, metric_id, pid, encode(batch.host) or None,
                                 xs[start:stop].tobytes(), ys[start:stop].tobytes()))
            if rows:
                cur.executemany(
                    "INSERT INTO cellflux.points (execution_id, metric_id, pid, host, x, y) "
                    "VALUES (%s, %s, %s, %s, %b, %b)",
                    rows,
                )
            if batch.ended:
                cur.executemany(
                    "UPDATE cellflux.executions SET status = %s, ended_at = %s WHERE id = %s",
                    [(r.status, r.ended_at, r.id) for r in batch.ended],
                )
            # Delivered at commit, and only if it commits: a watcher wakes when the data is there.
            for execution_id in sorted(touched):
                cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, execution_id))
        return True

    def _metric_id(
        self, conn: psycopg.Connection[Any], execution_id: str, key: str, new_ids: dict[tuple[str, str], int]
    ) -> int:
        slot = (execution_id, key)
        found = self._metric_ids.get(slot) or new_ids.get(slot)
        if found is not None:
            return found
        row = conn.execute(
            "INSERT INTO cellflux.metrics (execution_id, key) VALUES (%s, %s) ON CONFLICT (execution_id, key) "
            "DO UPDATE SET key = excluded.key RETURNING id",
            (execution_id, encode(key)),
        ).fetchone()
        assert row is not None
        new_ids[slot] = int(row[0])
        return new_ids[slot]

    # -- reading -----------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = (), *, binary: bool = False) -> list[Any]:
        with self._read_lock:
            try:
                conn = self._reader()
                if conn is None:
                    return []
                with conn.cursor(binary=binary) as cur:
                    cur.execute(sql, params)
                    return cur.fetchall()
            except psycopg.Error as error:
                if self._read_conn is not None and (self._read_conn.closed or self._read_conn.broken):
                    self._read_conn = None
                raise self.server.error(error, "cannot read") from None

    def list_executions(self, *, name: str | None = None, limit: int | None = None) -> list[ExecutionRecord]:
        sql = f"SELECT {_EXEC} FROM cellflux.executions WHERE ({codec.NOT_A_PART})"
        params: list[Any] = []
        if name is not None:
            sql += " AND name = %s"
            params.append(encode(name))
        sql += " ORDER BY started_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(int(limit))
        return [codec.execution(decode_row(row)) for row in self._query(sql, params)]

    def find_executions(self, prefix: str) -> list[ExecutionRecord]:
        sql = (f"SELECT {_EXEC} FROM cellflux.executions WHERE left(id, length(%s)) = %s "
               "ORDER BY started_at DESC")
        return [codec.execution(decode_row(row)) for row in self._query(sql, (prefix, prefix))]

    def read_execution(self, execution_id: str) -> ExecutionRecord | None:
        rows = self._query(f"SELECT {_EXEC} FROM cellflux.executions WHERE id = %s", (execution_id,))
        return codec.execution(decode_row(rows[0])) if rows else None

    def read_group(self, job: str, name: str, occurrence: int) -> list[ExecutionRecord]:
        sql = (f"SELECT {_EXEC} FROM cellflux.executions WHERE {codec.SAME_GROUP.replace('?', '%s')} "
               "ORDER BY rank, started_at")
        return [codec.execution(decode_row(row)) for row in self._query(sql, (encode(job), encode(name), occurrence))]

    def read_metrics(self, execution_id: str) -> dict[str, MetricRecord]:
        sql = f"SELECT {codec.METRIC_COLUMNS} FROM cellflux.metrics WHERE execution_id = %s ORDER BY id"
        found = [decode_row(row) for row in self._query(sql, (execution_id,))]
        return {row[0]: codec.metric(row) for row in found}

    def read_series(self, execution_id: str, key: str) -> tuple[Floats, Floats]:
        rows = self._query(
            "SELECT p.x, p.y FROM cellflux.points p JOIN cellflux.metrics m ON m.id = p.metric_id "
            "WHERE m.execution_id = %s AND m.key = %s ORDER BY p.id",
            (execution_id, encode(key)), binary=True,
        )
        return codec.concat([r[0] for r in rows]), codec.concat([r[1] for r in rows])

    def read_points(
        self, execution_id: str, after: int = 0, *, exclude_pid: int | None = None, limit: int | None = None
    ) -> PointBatch:
        """Points of ``execution_id`` in chunks committed after cursor ``after``.

        ``exclude_pid`` skips this process's own chunks (its pid on its host)
        without reading their values; the cursor moves past them.
        """
        sql = (
            "SELECT p.id, m.key, p.pid = %s AND p.host IS NOT DISTINCT FROM %s AS mine, "
            "CASE WHEN p.pid = %s AND p.host IS NOT DISTINCT FROM %s THEN NULL ELSE p.x END, "
            "CASE WHEN p.pid = %s AND p.host IS NOT DISTINCT FROM %s THEN NULL ELSE p.y END "
            "FROM cellflux.points p JOIN cellflux.metrics m ON m.id = p.metric_id "
            "WHERE p.execution_id = %s AND p.id > %s ORDER BY p.id"
        )
        pid = -1 if exclude_pid is None else exclude_pid
        host = encode(process_identity().host)
        params: list[Any] = [pid, host] * 3 + [execution_id, int(after)]
        if limit is not None:
            sql += " LIMIT %s"
            params.append(int(limit))
        rows = self._query(sql, params, binary=True)
        cursor = int(rows[-1][0]) if rows else int(after)
        xs: dict[str, list[bytes]] = {}
        ys: dict[str, list[bytes]] = {}
        for _, stored_key, mine, x, y in rows:
            key = decode(stored_key)
            if not mine:
                xs.setdefault(key, []).append(x)
                ys.setdefault(key, []).append(y)
        return PointBatch(cursor, {key: (codec.concat(xs[key]), codec.concat(ys[key])) for key in xs})

    def changes(self, execution_ids: Collection[str]) -> NotifiedChanges:
        """Woken by the server's NOTIFY when a batch of one of these executions commits."""
        return listener_for(self.server, self.locator, CHANNEL).subscribe(execution_ids, self.poll_interval)
