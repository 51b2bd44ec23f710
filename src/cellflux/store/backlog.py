"""The writer's backlog: batches taken from the series, kept until the store confirms them.

A pending batch holds no copy of the points: it names ranges of series (which
keep every point anyway) and reads them when it is sent, so a batch that is
sent again is the same batch, point for point. That is what makes a retry
idempotent on a server: a batch whose commit went through unseen (the
connection died at COMMIT) is recognised by its writer id and sequence number
and skipped. A batch that was never sent, or whose failure is certain (a
SQLite commit either happens or raises), may still grow; one sent to a server
whose answer was lost is frozen.

The backlog can be bounded: past ``limit`` unconfirmed points, the oldest
batches give up their points (never their execution and definition rows), and
the count is kept for the warning and for ``flush()``'s report.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..params import Param
from . import routes
from .records import Batch, ExecutionRecord, MetricRecord, PointRun

if TYPE_CHECKING:
    from ..execution import Execution
    from ..series import Series

SERVER_BACKLOG = 20_000_000
"""Unconfirmed points a server store keeps at most by default: past it, the oldest are given up
(``CELLFLUX_STORE_BACKLOG``). The points themselves stay in the series, which keep every point."""
MAX_BATCH_POINTS = 1 << 22
"""A batch that has grown this big during an outage takes no more: the next one starts."""


@dataclass(eq=False)
class Track:
    """The writer's view of one series: how far it is taken into batches, and its definition."""

    series: Series
    execution: Execution
    cursor: int = 0
    stored: tuple[Any, ...] | None = None
    """(group, scale, x_auto, state) as last taken into a batch."""


@dataclass(eq=False)
class Pending:
    """One batch, waiting for the store's confirmation."""

    seq: int
    executions: list[ExecutionRecord] = field(default_factory=list)
    visitors: list[ExecutionRecord] = field(default_factory=list)
    metrics: list[tuple[str, MetricRecord]] = field(default_factory=list)
    runs: list[tuple[Track, int, int]] = field(default_factory=list)
    """(track, start, stop): points ``start:stop`` of the track's series."""
    ended: list[ExecutionRecord] = field(default_factory=list)
    params: list[tuple[str, dict[str, Param]]] = field(default_factory=list)
    points: int = 0
    frozen: bool = False
    """Sent to a server without an answer: it must be sent again exactly as it is."""
    in_flight: bool = False

    def absorb(self, later: Pending) -> None:
        """Take ``later``'s content: one batch instead of two, in the same order."""
        self.executions += later.executions
        self.visitors += later.visitors
        self.metrics += later.metrics
        for track, start, stop in later.runs:
            last = next((i for i in range(len(self.runs) - 1, -1, -1) if self.runs[i][0] is track), None)
            if last is not None and self.runs[last][2] == start:
                self.runs[last] = (track, self.runs[last][1], stop)
            else:
                self.runs.append((track, start, stop))
        self.ended += later.ended
        self.params += later.params
        self.points += later.points

    def batch(self, writer: str, host: str) -> Batch:
        """The batch to write: the points read from the series now."""
        points = []
        for track, start, stop in self.runs:
            xs, ys = track.series.read(start, stop)
            points.append(PointRun(track.execution.id, track.series.key, xs, ys))
        return Batch(list(self.executions), list(self.visitors), list(self.metrics), points, list(self.ended),
                     list(self.params), writer=writer, seq=self.seq, host=host)

    def drop_points(self) -> int:
        dropped, self.runs, self.points = self.points, [], 0
        return dropped

    def __bool__(self) -> bool:
        return bool(self.executions or self.visitors or self.metrics or self.runs or self.ended or self.params)


class Backlog:
    """Pending batches in order, and the counts a ``flush()`` report gives."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.queue: deque[Pending] = deque()
        self.last_seq = 0
        """The sequence number of the newest batch taken."""
        self.confirmed_seq = 0
        """Every batch up to this one is committed (or was given up)."""
        self.stored = 0
        self.dropped = 0

    def add(self, pending: Pending) -> int:
        """Queue a new batch (or grow the last one); returns the points dropped to stay within ``limit``."""
        last = self.queue[-1] if self.queue else None
        if last is not None and not last.frozen and not last.in_flight and last.points < MAX_BATCH_POINTS:
            last.absorb(pending)
            self.last_seq = last.seq
        else:
            self.queue.append(pending)
            self.last_seq = pending.seq
        return self._trim()

    def unconfirmed(self) -> int:
        return sum(p.points for p in self.queue)

    def _trim(self) -> int:
        if self.limit is None:
            return 0
        excess = self.unconfirmed() - self.limit
        dropped = 0
        for pending in self.queue:
            if excess <= 0:
                break
            if pending.in_flight or not pending.points:
                continue
            n = pending.drop_points()
            dropped += n
            excess -= n
        self.dropped += dropped
        return dropped

    def confirm(self, pending: Pending) -> None:
        """The store committed ``pending`` (the oldest)."""
        self.queue.popleft()
        self.stored += pending.points
        self.confirmed_seq = pending.seq

    def clear(self) -> None:
        self.queue.clear()


def take(
    seq: int, started: list[Execution], ended: list[Execution], owned: dict[Execution, bool], tracks: list[Track]
) -> Pending:
    """A new batch of everything reported since the last (tracks' cursors move on; no I/O)."""
    pending = Pending(seq)
    for exe in started:
        record = record_of(exe, status="running", ended_at=None)
        if owned[exe]:
            pending.executions.append(record)
        else:
            route = routes.route_of(exe.id)
            pending.visitors.append(route.record if route is not None else record)
    # Ends are taken before the points: an execution's final points are in its
    # series before it ends, so the same batch carries them.
    pending.ended = [record_of(exe, exe.status, exe.ended_at) for exe in ended if owned[exe]]
    for track in tracks:
        series = track.series
        definition = (series.group, series.scale, series.x_auto, series.state)
        if definition != track.stored:
            pending.metrics.append((track.execution.id, MetricRecord(series.key, *definition)))
            track.stored = definition
        n = len(series)
        if n > track.cursor:
            pending.runs.append((track, track.cursor, n))
            pending.points += n - track.cursor
            track.cursor = n
    return pending


def record_of(exe: Execution, status: str, ended_at: float | None) -> ExecutionRecord:
    """The row of ``exe``, with its process (host, rank) and, in a distributed job, its group."""
    parent = exe.parent.id if exe.parent is not None else None
    who = exe.process
    group = who.distributed and exe.occurrence > 0
    return ExecutionRecord(
        exe.id, exe.name, exe.kind, parent, status, exe.started_at, ended_at, exe.pid, who.host, who.rank,
        who.world_size, who.job if group else None, exe.occurrence if group else None,
    )
