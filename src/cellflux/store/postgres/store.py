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

import json
import os
import threading
from collections.abc import Collection, Sequence
from typing import Any

import psycopg

from ...identity import process_identity
from ...params import Param
from .. import forking
from .. import rows as codec
from ..records import Batch, ExecutionRecord, Floats, MetricRecord, PointBatch
from . import schema
from .connect import Server
from .listen import NotifiedChanges, listener_for
from .text import decode, decode_row, encode
from .writing import CHANNEL, write_batch

_EXEC = codec.EXECUTION_COLUMNS


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
                    if write_batch(conn, batch, self._metric_ids, new_ids, serialise=self.serialise_writers):
                        self._metric_ids.update(new_ids)
            except psycopg.Error as error:
                if self._write_conn is not None and (self._write_conn.closed or self._write_conn.broken):
                    self._write_conn = None
                    self._metric_ids.clear()
                raise self.server.error(error, "cannot write") from None

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

    def read_params(self, execution_id: str) -> dict[str, Param]:
        rows = self._query("SELECT key, value FROM cellflux.params WHERE execution_id = %s ORDER BY id",
                           (execution_id,))
        return {decode(key): json.loads(decode(value)) for key, value in rows}

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

    def changes(self, execution_ids: Collection[str], *, others_only: bool = False) -> NotifiedChanges:
        """Woken by the server's NOTIFY when a batch of one of these executions commits.

        ``others_only``: not by this process's own batches.
        """
        me = process_identity()
        ignore = f"{os.getpid()}@{me.host}" if others_only else None
        return listener_for(self.server, self.locator, CHANNEL).subscribe(execution_ids, self.poll_interval, ignore)
