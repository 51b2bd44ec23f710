"""Conversions between store records and SQLite rows (one place for the column order)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..definitions import MetricGroup, MetricScale
from .records import ExecutionRecord, Floats, MetricRecord

EXECUTION_COLUMNS = "id, name, kind, parent_id, status, started_at, ended_at, pid"
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
    return (r.id, r.name, r.kind, r.parent, r.status, r.started_at, r.ended_at, r.pid)


def execution(row: Sequence[Any]) -> ExecutionRecord:
    return ExecutionRecord(
        id=row[0], name=row[1], kind=row[2], parent=row[3], status=row[4],
        started_at=row[5], ended_at=row[6], pid=row[7],
    )


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
