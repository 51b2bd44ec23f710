"""What a store keeps, as plain values: the ``Store`` interface and its records.

A store speaks in these records only (never in live ``Execution`` or ``Series``
objects). Two stores implement :class:`Store`: ``SQLiteStore`` (a file, the
default) and ``PostgresStore`` (a server, chosen by a ``postgresql://`` URL),
and one test suite runs against both. The writer thread hands over whole
batches that the store commits atomically or not at all; a batch carries its
writer's id and sequence number, so that a server store can make a retried
batch (whose first commit may have gone through unseen) a no-op.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ..definitions import MetricGroup, MetricScale
from ..params import Param

Floats = npt.NDArray[np.float64]


class StoreError(Exception):
    """The store cannot be used: not a cellflux store, from a newer version, or refused."""


@dataclass(frozen=True)
class ExecutionRecord:
    """One execution as stored: ``parent`` is the parent's id, times are epoch seconds.

    ``host`` and ``rank`` say which process ran it; in a distributed job
    (``job`` set) the rank-0 execution is the run and the executions of the
    other ranks with the same ``job``, ``name`` and ``occurrence`` are its parts.
    """

    id: str
    name: str
    kind: str
    parent: str | None
    status: str
    started_at: float
    ended_at: float | None
    pid: int | None
    host: str | None = None
    rank: int | None = None
    world_size: int | None = None
    job: str | None = None
    occurrence: int | None = None

    @property
    def is_part(self) -> bool:
        """A rank other than 0 of a distributed job: a part of the rank-0 run."""
        return self.job is not None and self.rank is not None and self.rank != 0


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
    writer: str = ""
    """The writing sink's id (unique per process and sink); with ``seq``, the batch's identity."""
    seq: int = 0
    """Numbers the writer's batches; a batch is retried with the same number and content."""
    host: str = ""
    """The writing process's host, kept with its points (see ``read_points``' ``exclude_pid``)."""

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


class Changes(Protocol):
    """A subscription to new data of some executions (``Store.changes``)."""

    def follow(self, execution_id: str) -> None:
        """Wake for this execution too."""

    def wait(self, timeout: float) -> bool:
        """Block until new data of a followed execution may be there (True) or ``timeout`` passed."""

    def wake(self) -> None:
        """Make a waiting ``wait()`` return now (a watcher that stops)."""

    def close(self) -> None:
        """Stop following."""


class Store(Protocol):
    """Where executions, metric definitions and points are persisted."""

    path: str
    """Where, for people: a file path, or a URL with its password masked."""
    locator: str
    """Where, for another process: what ``open_store()`` takes to reach this same
    store (a URL may hold a password: never shown, only passed on)."""
    retries: bool
    """True for a server: a failed write may be retried from a backlog later, and
    a batch whose commit was not confirmed is sent again (a no-op if it was in)."""

    def write(self, batch: Batch) -> None:
        """Commit ``batch`` atomically and durably, or raise and keep nothing of it.

        A batch with the same ``writer`` and ``seq`` as one committed before is
        not written twice.
        """

    def list_executions(self, *, name: str | None = None, limit: int | None = None) -> list[ExecutionRecord]:
        """Executions newest first, optionally only those called ``name``.

        The parts of a distributed run (its ranks other than 0) are not listed:
        they come with their run (``group.parts_of``).
        """

    def find_executions(self, prefix: str) -> list[ExecutionRecord]:
        """Executions whose id starts with ``prefix``."""

    def read_group(self, job: str, name: str, occurrence: int) -> list[ExecutionRecord]:
        """Every rank's execution of one run of a distributed job (see group.py)."""

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
        """Points written after cursor ``after``, never re-reading older ones.

        A cursor never skips a batch that commits later (with several writers,
        an id taken earlier may commit after a later one: stores order the
        commits of one execution so that this cannot happen).
        ``exclude_pid``: this process's own rows are skipped (the cursor still
        moves past them).
        """

    def changes(self, execution_ids: Collection[str], *, others_only: bool = False) -> Changes:
        """Wait for new data of these executions (a server notifies; a file is polled).

        ``others_only``: this process's own commits do not count.
        """

    def close(self) -> None:
        """Release the connection; later calls reopen it."""
