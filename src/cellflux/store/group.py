"""The ranks of a distributed job as one run: rank 0 is the run, the other ranks its parts.

Each rank's execution is stored with the job it belongs to (see
``cellflux.identity``), its name and its occurrence (the k-th execution of that
name in its process): the same three on every rank, with no exchange between
the ranks. A job key can come back (``torchrun`` without ``--rdzv-id`` names
every static job alike), so a part goes with the newest rank-0 run of its group
that started before it, give or take ``SKEW`` seconds of clock difference
between hosts.
"""

from __future__ import annotations

from .records import ExecutionRecord, Store

SKEW = 60.0


def parts_of(store: Store, run: ExecutionRecord) -> list[ExecutionRecord]:
    """The executions of the other ranks of ``run`` (a rank-0 execution), by rank; [] otherwise."""
    if run.job is None or run.rank != 0 or run.occurrence is None:
        return []
    group = store.read_group(run.job, run.name, run.occurrence)
    runs = sorted((r for r in group if r.rank == 0), key=lambda r: r.started_at)
    parts = []
    for record in group:
        if record.rank == 0 or record.rank is None:
            continue
        owner = runs[0] if runs else None
        for candidate in runs:
            if candidate.started_at <= record.started_at + SKEW:
                owner = candidate
        if owner is not None and owner.id == run.id:
            parts.append(record)
    return sorted(parts, key=lambda r: (r.rank or 0, r.started_at))


def label(record: ExecutionRecord) -> str:
    """How a board tags the points of ``record``'s process: ``host rank 3``."""
    host = record.host or "?"
    return host if record.rank is None else f"{host} rank {record.rank}"
