"""The store's format on both backends: upgraded in place from an older version, refused when
newer; and what only the server has: chunk storage, idempotent batches, psycopg kept out of
``import cellflux``."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import cellflux as cf
from cellflux.store import StoreError
from cellflux.store.records import Batch, ExecutionRecord, PointRun

from .backends import Backend


def _old_store_with_a_run(backend: Backend) -> None:
    """A version-1 store, as the first release wrote it, holding one run of 3 points."""
    x = np.array([0.0, 1.0, 2.0]).tobytes()
    y = np.array([5.0, 4.0, 3.0]).tobytes()
    if backend.name == "sqlite":
        from cellflux.store import schema

        os.makedirs(os.path.dirname(backend.where), exist_ok=True)
        with contextlib.closing(sqlite3.connect(backend.where)) as conn, conn:
            for statement in schema.TABLES:
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
            conn.execute("PRAGMA user_version = 1")
            conn.execute("INSERT INTO executions VALUES ('old1', NULL, 'old run', 'task', 'succeeded', 1.0, 2.0, 7)")
            conn.execute("INSERT INTO metrics (execution_id, key, x_auto) VALUES ('old1', 'loss', 0)")
            conn.execute("INSERT INTO points (metric_id, pid, x, y) VALUES (1, 7, ?, ?)", (x, y))
        return
    import psycopg

    from cellflux.store.postgres import schema as pg_schema

    with psycopg.connect(backend.where) as conn:
        assert pg_schema.prepare(conn, "old", create=True, upto=1) == 1
        conn.execute("INSERT INTO cellflux.executions VALUES ('old1', NULL, 'old run', 'task', 'succeeded', 1, 2, 7)")
        conn.execute("INSERT INTO cellflux.metrics (execution_id, key, x_auto) VALUES ('old1', 'loss', 0)")
        conn.execute("INSERT INTO cellflux.points (execution_id, metric_id, pid, x, y) "
                      "SELECT 'old1', id, 7, %s, %s FROM cellflux.metrics", (x, y))
        conn.commit()


def _version(backend: Backend) -> int:
    if backend.name == "sqlite":
        with contextlib.closing(sqlite3.connect(backend.where)) as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
    return int(backend._sql("SELECT value FROM cellflux.meta WHERE key = 'schema_version'")[0][0])  # type: ignore[attr-defined]


def test_an_older_store_is_upgraded_in_place(backend: Backend) -> None:
    _old_store_with_a_run(backend)
    assert _version(backend) == 1
    (old,) = cf.executions(backend.where)  # opening it upgrades it
    assert _version(backend) == 3
    assert (old.id, old.name, old.status, old.host, old.rank, old.parts) == ("old1", "old run", "succeeded", None,
                                                                          None, [])
    assert old.series("loss")[1].tolist() == [5.0, 4.0, 3.0]
    # New runs go in beside it, with the columns the upgrade added.
    store = backend.store()
    record = ExecutionRecord("new1", "new run", "task", None, "running", 3.0, None, 8, "h", 0, 2, "job", 1)
    store.write(Batch(executions=[record], points=[PointRun("new1", "loss", np.array([0.0]), np.array([1.0]))],
                      writer="w", seq=1, host="h"))
    store.close()
    assert [(r.id, r.host, r.rank) for r in cf.executions(backend.where)] == [("new1", "h", 0), ("old1", None, None)]
    assert cf.stored_execution("old1", backend.where).series("loss")[0].tolist() == [0.0, 1.0, 2.0]


def test_a_store_of_a_newer_version_is_refused_with_both_versions_named(pg_url: str) -> None:
    import psycopg

    from cellflux.store.locate import store_at

    store = store_at(pg_url)
    store.write(Batch(executions=[ExecutionRecord("e", "n", "task", None, "running", 0.0, None, 1)]))
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE cellflux.meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"newer cellflux \(store format 99, this one reads 3\)"):
        cf.executions(pg_url)


def test_chunks_are_stored_uncompressed_out_of_line(pg_url: str) -> None:
    from cellflux.store.locate import store_at

    store = store_at(pg_url)
    store.write(Batch(executions=[ExecutionRecord("e", "n", "task", None, "running", 0.0, None, 1)]))
    store.close()
    import psycopg

    with psycopg.connect(pg_url) as conn:
        storage = dict(conn.execute(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'cellflux.points'::regclass "
            "AND attname IN ('x', 'y')").fetchall())
    assert storage == {"x": "e", "y": "e"}  # EXTERNAL


def _batch(writer: str, seq: int, values: list[float]) -> Batch:
    record = ExecutionRecord("e1", "retry", "task", None, "running", 0.0, None, 1)
    run = PointRun("e1", "k", np.arange(len(values), dtype=float), np.array(values))
    return Batch(executions=[record], points=[run], writer=writer, seq=seq, host="h")


def test_a_batch_sent_again_is_written_once(pg_url: str) -> None:
    from cellflux.store.locate import store_at

    store, other = store_at(pg_url), store_at(pg_url)
    store.write(_batch("writer-a", 1, [1.0, 2.0]))
    store.write(_batch("writer-a", 1, [1.0, 2.0]))  # its answer was lost: sent again
    other.write(_batch("writer-a", 1, [1.0, 2.0]))  # even through another connection
    store.write(_batch("writer-a", 2, [3.0]))
    store.write(_batch("writer-b", 1, [4.0]))  # another writer's first batch is another batch
    for s in (store, other):
        s.close()
    assert cf.stored_execution("e1", pg_url).series("k")[1].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_importing_cellflux_or_using_sqlite_never_imports_psycopg(tmp_path: Any) -> None:
    code = (
        "import sys, cellflux as cf\n"
        "assert 'psycopg' not in sys.modules\n"
        f"cf.configure(store={str(tmp_path / 'm.sqlite')!r}, display=False)\n"
        "cf.Metric('m', throttle=None).record(1.0, at=0)\n"
        "cf.flush(); cf.executions(); cf.stored_execution(cf.executions()[0].id)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_binary')))\n"
    )
    env = {**os.environ, "CELLFLUX_DISPLAY": "0"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
