"""The two stores the store tests run against, behind one small test-side interface.

A test that takes the ``backend`` fixture runs once on a SQLite file and once on
a PostgreSQL database of the test server; it reaches the store through the
public API with ``backend.where`` (a path or a URL), and checks what is stored
with a connection of its own through the helpers below, never through the
store object under test.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from cellflux.store.locate import store_at
from cellflux.store.records import Store


class Backend:
    name: str
    where: str
    """What ``cf.configure(store=...)`` and ``cf.executions(...)`` take."""

    def store(self, **options: Any) -> Store:
        """A new store object on the same store (its own connection)."""
        return store_at(self.where, **options)

    def count_points(self) -> int:
        raise NotImplementedError

    def status(self, execution_id: str) -> str | None:
        raise NotImplementedError

    def insert_execution(self, execution_id: str) -> None:
        """A bare execution row, as another program could write it."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.name


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def _sql(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with contextlib.closing(sqlite3.connect(self.path)) as conn, conn:
            return conn.execute(sql, params).fetchall()

    def count_points(self) -> int:
        return int(self._sql("SELECT coalesce(sum(length(x)), 0) / 8 FROM points")[0][0])

    def status(self, execution_id: str) -> str | None:
        rows = self._sql("SELECT status FROM executions WHERE id = ?", (execution_id,))
        return rows[0][0] if rows else None

    def insert_execution(self, execution_id: str) -> None:
        self._sql("INSERT INTO executions (id, name, kind, status, started_at) VALUES (?, 'x', 'task', 'running', 0)",
                  (execution_id,))


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, url: str) -> None:
        self.where = url

    def _sql(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        import psycopg

        with psycopg.connect(self.where, autocommit=True) as conn:
            cur = conn.execute(sql, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def has_tables(self) -> bool:
        return bool(self._sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'cellflux'")[0][0])

    def count_points(self) -> int:
        if not self.has_tables():
            return 0
        return int(self._sql("SELECT coalesce(sum(length(x)), 0) / 8 FROM cellflux.points")[0][0])

    def status(self, execution_id: str) -> str | None:
        rows = self._sql("SELECT status FROM cellflux.executions WHERE id = %s", (execution_id,))
        return rows[0][0] if rows else None

    def insert_execution(self, execution_id: str) -> None:
        self._sql("INSERT INTO cellflux.executions (id, name, kind, status, started_at) "
                  "VALUES (%s, 'x', 'task', 'running', 0)", (execution_id,))
