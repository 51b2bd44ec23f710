"""The PostgreSQL layout: tables in the schema ``cellflux``, versioned, created and upgraded in place.

The tables mirror the SQLite store's (rows.py reads both), with two additions
for a server that many processes write at once:

- ``points.execution_id`` and an index on ``(execution_id, id)``: a watcher
  tails one execution by id without a join;
- ``batches (writer, seq)``: the batches committed, so that a batch sent again
  after a connection died at COMMIT is recognised and skipped.

Points are columnar chunks (``bytea``, little-endian float64), never a row per
point; their storage is ``EXTERNAL``: out of line but not compressed, since
PostgreSQL's compressor gains nothing on float data and costs write time.

Creating and upgrading take a transaction-level advisory lock, so that the
ranks of a job starting at once on a new database do it once. Identifiers are
constants of this module, never built from user text.
"""

from __future__ import annotations

from typing import Any

import psycopg

from ..records import StoreError

SCHEMA_VERSION = 3
LOCK_CLASS = 0x63664C78
"""First key of cellflux's advisory locks ("cfLx"); the second is 0 for the schema, else an execution's."""

CREATE: tuple[str, ...] = (  # version 1
    "CREATE SCHEMA IF NOT EXISTS cellflux",
    "CREATE TABLE cellflux.meta (key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE cellflux.executions (
        id text PRIMARY KEY,
        parent_id text,
        name text NOT NULL,
        kind text NOT NULL,
        status text NOT NULL,
        started_at double precision NOT NULL,
        ended_at double precision,
        pid integer
    )""",
    "CREATE INDEX executions_by_start ON cellflux.executions (started_at)",
    "CREATE INDEX executions_by_name ON cellflux.executions (name, started_at)",
    """CREATE TABLE cellflux.metrics (
        id bigserial PRIMARY KEY,
        execution_id text NOT NULL,
        key text NOT NULL,
        group_name text,
        group_units text,
        group_lower double precision,
        group_upper double precision,
        has_scale integer NOT NULL DEFAULT 0,
        scale_name text,
        scale_units text,
        scale_progress integer NOT NULL DEFAULT 0,
        scale_lower double precision,
        scale_upper double precision,
        x_auto integer,
        state text,
        UNIQUE (execution_id, key)
    )""",
    """CREATE TABLE cellflux.points (
        id bigserial PRIMARY KEY,
        execution_id text NOT NULL,
        metric_id bigint NOT NULL,
        pid integer NOT NULL,
        x bytea NOT NULL,
        y bytea NOT NULL
    )""",
    "ALTER TABLE cellflux.points ALTER COLUMN x SET STORAGE EXTERNAL, ALTER COLUMN y SET STORAGE EXTERNAL",
    "CREATE INDEX points_by_execution ON cellflux.points (execution_id, id)",
    "CREATE INDEX points_by_metric ON cellflux.points (metric_id, id)",
)

UPGRADES: dict[int, tuple[str, ...]] = {
    # 2: hyperparameters (as the SQLite store's version 2).
    2: (
        """CREATE TABLE cellflux.params (
            id bigserial PRIMARY KEY,
            execution_id text NOT NULL,
            key text NOT NULL,
            value text NOT NULL,
            UNIQUE (execution_id, key)
        )""",
    ),
    # 3: the process of each execution and point (host, rank), for distributed
    # jobs, and the ledger of committed batches, for retries that never duplicate.
    3: (
        "ALTER TABLE cellflux.executions ADD COLUMN host text, ADD COLUMN rank integer, "
        "ADD COLUMN world_size integer, ADD COLUMN job text, ADD COLUMN occurrence integer",
        "CREATE INDEX executions_by_job ON cellflux.executions (job, name, occurrence)",
        "ALTER TABLE cellflux.points ADD COLUMN host text",
        """CREATE TABLE cellflux.batches (
            writer text NOT NULL,
            seq bigint NOT NULL,
            committed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (writer, seq)
        )""",
    ),
}


def version(conn: psycopg.Connection[Any]) -> int:
    """The store's version in this database: 0 when there is none."""
    row = conn.execute("SELECT to_regclass('cellflux.meta') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    found = conn.execute("SELECT value FROM cellflux.meta WHERE key = 'schema_version'").fetchone()
    return int(found[0]) if found else 0


def prepare(conn: psycopg.Connection[Any], where: str, *, create: bool, upto: int = SCHEMA_VERSION) -> int:
    """Check the store's version, creating or upgrading it when ``create``; returns the version.

    Raises :class:`StoreError` for a store of a newer cellflux. ``upto`` stops
    at an older version (the upgrade test builds one that way). ``conn`` is not
    in autocommit mode and is left outside any transaction.
    """
    with conn.transaction():
        found = version(conn)
    if found > SCHEMA_VERSION:
        raise StoreError(f"{where} was written by a newer cellflux (store format {found}, this one reads "
                         f"{SCHEMA_VERSION})")
    if found >= upto or not create:
        return found
    # A session lock, taken before the transaction that looks again: a transaction
    # that started before another one created the tables may not see them.
    conn.execute("SELECT pg_advisory_lock(%s, 0)", (LOCK_CLASS,))
    conn.commit()
    try:
        with conn.transaction():
            found = version(conn)  # another process may have done it while we waited
            if found == 0:
                for statement in CREATE:
                    conn.execute(statement)
                conn.execute("INSERT INTO cellflux.meta (key, value) VALUES ('schema_version', '1')")
                found = 1
            for step in range(found + 1, upto + 1):
                for statement in UPGRADES[step]:
                    conn.execute(statement)
                conn.execute("UPDATE cellflux.meta SET value = %s WHERE key = 'schema_version'", (str(step),))
                found = step
    finally:
        if not conn.closed and not conn.broken:
            conn.execute("SELECT pg_advisory_unlock(%s, 0)", (LOCK_CLASS,))
            conn.commit()
    return found
