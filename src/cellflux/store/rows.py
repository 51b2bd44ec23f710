"""Conversions between store records and table rows (one place for the column order).

Both stores use them: the tables have the same columns in SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..definitions import MetricGroup, MetricScale
from .records import ExecutionRecord, Floats, MetricRecord

EXECUTION_COLUMNS = (
    "id, name, kind, parent_id, status, started_at, ended_at, pid, host, rank, world_size, job, occurrence"
)
NOT_A_PART = "job IS NULL OR rank IS NULL OR rank = 0"
"""Executions that are not a part of a distributed run (ranks other than 0 are)."""
SAME_GROUP = "job = ? AND name = ? AND occurrence = ? AND rank IS NOT NULL"
"""Every rank's execution of one run of a distributed job."""
METRIC_COLUMNS = (
    "key, group_name, group_units, group_lower, group_upper, has_scale, scale_name, "
    "scale_units, scale_progress, scale_lower, scale_upper, x_auto, state"
)


def concat(blobs: Iterable[bytes]) -> Floats:
    """One float64 array from stored blobs, with a single copy."""
    parts = [np.frombuffer(b, dtype="<f8") for b in blobs]
    out = np.empty(sum(len(p) for p in parts), dtype=np.float64)
    at = 0
    for part in parts:
        out[at : at + len(part)] = part
        at += len(part)
    return out


def execution_row(r: ExecutionRecord) -> tuple[Any, ...]:
    return (
        r.id, r.name, r.kind, r.parent, r.status, r.started_at, r.ended_at, r.pid,
        r.host, r.rank, r.world_size, r.job, r.occurrence,
    )


def execution(row: Sequence[Any]) -> ExecutionRecord:
    return ExecutionRecord(*row)


def metric_row(m: MetricRecord) -> tuple[Any, ...]:
    g, s = m.group, m.scale
    return (
        m.key,
        g.name if g else None, g.units if g else None, g.lower if g else None, g.upper if g else None,
        int(s is not None),
        s.name if s else None, s.units if s else None, int(bool(s and s.progress)),
        s.lower if s else None, s.upper if s else None,
        None if m.x_auto is None else int(m.x_auto),
        m.state,
    )


def metric(row: Sequence[Any]) -> MetricRecord:
    key, gname, gunits, glower, gupper, has_scale, sname, sunits, sprogress, slower, supper, x_auto, state = row
    group = MetricGroup(gname, units=gunits, lower=glower, upper=gupper) if gname is not None else None
    scale = (
        MetricScale(sname, units=sunits, progress=bool(sprogress), lower=slower, upper=supper)
        if has_scale
        else None
    )
    return MetricRecord(key, group, scale, None if x_auto is None else bool(x_auto), state)
