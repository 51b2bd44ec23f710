"""Writing one batch: the statements of a writer's transaction on the server.

The order matters. The batch's (writer, seq) row comes first: if it is there
already, the batch was committed before (its answer was lost) and nothing else
is written. Then the advisory lock of every execution whose points the batch
carries, taken in one global order (no deadlock) and *before* any point id is
drawn from the sequence: the batches of one execution then commit in id
order, which is what lets a reader tail by id. Last, one NOTIFY per execution
touched, delivered at commit.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import numpy as np
import psycopg

from .. import rows as codec
from ..records import Batch
from . import schema
from .text import encode, encode_row

RUN_MAX = 1 << 16
"""Points per stored chunk at most, as in the SQLite store."""
CHANNEL = "cellflux"
"""The NOTIFY channel: the payload is the id of an execution that has new data, a space, and
the writer's origin (``pid@host``), so that a process can tell its own commits."""

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


def write_batch(
    conn: psycopg.Connection[Any], batch: Batch, known: dict[tuple[str, str], int],
    new_ids: dict[tuple[str, str], int], *, serialise: bool = True,
) -> bool:
    """Write ``batch`` in the open transaction; False when it was committed before (nothing done)."""
    if batch.writer:
        done = conn.execute(
            "INSERT INTO cellflux.batches (writer, seq) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (batch.writer, batch.seq),
        )
        if done.rowcount == 0:
            return False  # committed before, its answer lost: nothing more to do
    touched = {r.id for r in (*batch.executions, *batch.visitors, *batch.ended)}
    touched |= {eid for eid, _ in (*batch.metrics, *batch.params)} | {run.execution_id for run in batch.points}
    if serialise and batch.points:
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
            metric_id = _metric_id(conn, run.execution_id, run.key, known, new_ids)
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
        if batch.params:
            cur.executemany(
                "INSERT INTO cellflux.params (execution_id, key, value) VALUES (%s, %s, %s) "
                "ON CONFLICT (execution_id, key) DO UPDATE SET value = excluded.value",
                [(eid, encode(key), encode(json.dumps(value))) for eid, table in batch.params
                 for key, value in table.items()],
            )
        if batch.ended:
            cur.executemany(
                "UPDATE cellflux.executions SET status = %s, ended_at = %s WHERE id = %s",
                [(r.status, r.ended_at, r.id) for r in batch.ended],
            )
        # Delivered at commit, and only if it commits: a watcher wakes when the data is there.
        origin = f"{pid}@{batch.host}"
        for execution_id in sorted(touched):
            cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"{execution_id} {origin}"))
    return True

def _metric_id(
conn: psycopg.Connection[Any], execution_id: str, key: str, known: dict[tuple[str, str], int],
new_ids: dict[tuple[str, str], int],
) -> int:
    slot = (execution_id, key)
    found = known.get(slot) or new_ids.get(slot)
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
