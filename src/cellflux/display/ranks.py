"""The ranks of a distributed run on one board: every rank's series, tagged by host and rank.

A distributed run (the rank-0 execution of a job, see ``cellflux.identity``)
is drawn with its parts: each metric of each rank becomes a line
``loss · host-a rank 1``, the ranks of one metric share its y-axis, and each
rank keeps one colour across the charts.
"""

from __future__ import annotations

from typing import Any

from ..definitions import MetricScale
from ..store.group import label, parts_of
from ..store.read import StoredExecution
from .layout import PALETTE


def is_distributed(execution: StoredExecution) -> bool:
    return execution.record.job is not None and execution.record.rank == 0


def members(execution: StoredExecution) -> list[tuple[StoredExecution, str | None]]:
    """The executions a board of ``execution`` draws, each with its tag (None: not distributed)."""
    if not is_distributed(execution):
        return [(execution, None)]
    parts = [StoredExecution(r, execution.store) for r in parts_of(execution.store, execution.record)]
    return [(exe, label(exe.record)) for exe in [execution, *parts]]


def tagged(key: str, tag: str | None) -> str:
    return key if tag is None else f"{key} · {tag}"


def shared_scale(key: str, scale: MetricScale | None) -> MetricScale:
    """The y-axis that the same metric of several runs or ranks shares (its unnamed scale, named by the key)."""
    if scale is not None and scale.name is not None:
        return scale
    return MetricScale(key, units=scale.units if scale else None, progress=bool(scale and scale.progress),
                       lower=scale.lower if scale else None, upper=scale.upper if scale else None)


def colour_of(record: Any, colours: dict[str, str], name: str) -> None:
    """One colour per rank, the same on every chart."""
    rank = getattr(record, "rank", None) or 0
    colours[name] = PALETTE[rank % len(PALETTE)]
