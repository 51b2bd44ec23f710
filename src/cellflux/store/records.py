"""What a store keeps, as plain values: the ``Store`` interface and its records.

A store speaks in these records only (never in live ``Execution`` or ``Series``
objects), so another store (a server, a columnar file) can plug in later by
implementing :class:`Store`, and the writer thread can hand over a whole batch
that the store commits atomically or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ..definitions import MetricGroup, MetricScale
from ..params import Param

Floats = npt.NDArray[np.float64]


class StoreError(Exception):
    """The store file cannot be used: not a cellflux store, or from a newer version."""


@dataclass(frozen=True)
class ExecutionRecord:
    """One execution as stored: ``parent`` is the parent's id, times are epoch seconds."""

    id: str
    name: str
    kind: str
    parent: str | None
    status: str
    started_at: float
    ended_at: float | None
    pid: int | None


@dataclass
class MetricRecord:
    """A metric's definition as stored.

    It has the attributes the chart layout reads from a live ``Series``
    (``key``, ``group``, ``scale``, ``x_auto``, ``state``), so a stored execution
    is laid out exactly like a live one. Not frozen: the layout's ``SeriesInfo``
    protocol declares plain (settable) attributes.
    """

    key: str
    group: MetricGroup | None
    scale: MetricScale | None
    x_auto: bool | None
    state: str | None
    """Progress metrics only: running, done, stopped or failed."""


@dataclass
class PointRun:
    """Consecutive points of one metric of one execution, as written by one process."""

    execution_id: str
    key: str
    xs: Floats
    ys: Floats


@dataclass
class Batch:
    """Everything the writer thread commits in one transaction.

    ``executions`` are owned by the writing process and replace any row of the
    same id; ``visitors`` are executions of another process that this process
    writes points into (attached workers, forked children) and never overwrite
    the owner's row. ``ended`` holds the final status of owned executions and is
    applied after the points.
    """

    executions: list[ExecutionRecord] = field(default_factory=list)
    visitors: list[ExecutionRecord] = field(default_factory=list)
    metrics: list[tuple[str, MetricRecord]] = field(default_factory=list)
    """(execution id, definition): new or changed definitions."""
    points: list[PointRun] = field(default_factory=list)
    ended: list[ExecutionRecord] = field(default_factory=list)
    params: list[tuple[str, dict[str, Param]]] = field(default_factory=list)
    """(execution id, hyperparameters): added or replaced by name."""

    def __bool__(self) -> bool:
        return bool(self.executions or self.visitors or self.metrics or self.points or self.ended or self.params)


@dataclass
class PointBatch:
    """New points of an execution since a cursor (see ``Store.read_points``)."""

    cursor: int
    """Pass this back as ``after`` to get only what was written since."""
    series: dict[str, tuple[Floats, Floats]]
    """key -> (x, y), in the order the points were written."""

    @property
    def count(self) -> int:
        return sum(len(xs) for xs, _ in self.series.values())


class Store(Protocol):
    """Where executions, metric definitions and points are persisted."""

    path: str

    def write(self, batch: Batch) -> None:
        """Commit ``batch`` atomically and durably, or raise and keep nothing of it."""

    def list_executions(self, *, name: str | None = None, limit: int | None = None) -> list[ExecutionRecord]:
        """Executions newest first, optionally only those called ``name``."""

    def find_executions(self, prefix: str) -> list[ExecutionRecord]:
        """Executions whose id starts with ``prefix``."""

    def read_execution(self, execution_id: str) -> ExecutionRecord | None:
        """The current row of one execution (status and end time change while it runs)."""

    def read_metrics(self, execution_id: str) -> dict[str, MetricRecord]:
        """Definitions of an execution's metrics, in the order they were first recorded."""

    def read_series(self, execution_id: str, key: str) -> tuple[Floats, Floats]:
        """Every stored point of one metric, as float64 arrays."""

    def read_params(self, execution_id: str) -> dict[str, Param]:
        """The hyperparameters of an execution, in the order they were first set."""

    def read_points(
        self, execution_id: str, after: int = 0, *, exclude_pid: int | None = None, limit: int | None = None
    ) -> PointBatch:
        """Points written after cursor ``after``, never re-reading older ones."""

    def close(self) -> None:
        """Release the connection; later calls reopen it."""
