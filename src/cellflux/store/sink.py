"""``StoreSink``: persists what the engine reports, from a background writer thread.

The training thread never waits for the disk: the engine's callbacks only
queue an object, and the writer wakes every ``interval`` seconds, reads the new
points of every series since its own cursor and commits them in one
transaction. A cursor moves only after its commit, so when the store cannot be
written (read-only, full, locked, corrupt) nothing is lost: the points stay in
the series and the next batch tries again. ``flush()`` writes synchronously.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..params import Param
from ..execution import ExecutionHandle
from ..warn import warn
from . import forking, routes, schema
from .records import Batch, ExecutionRecord, MetricRecord, PointRun, Store
from .sqlite import SQLiteStore

if TYPE_CHECKING:
    from ..execution import Execution
    from ..runtime import Runtime
    from ..series import Series


def make_sink(runtime: Runtime) -> StoreSink | None:
    """The default store sink: on ``config.store_path()``, or None when storing is off."""
    from .. import config

    path = config.store_path()
    if path is None:
        return None
    return StoreSink(SQLiteStore(path))


@dataclass(eq=False)
class _Track:
    """The writer's view of one series: how far it is stored, and its stored definition."""

    series: Series
    execution: Execution
    cursor: int = 0
    stored: tuple[Any, ...] | None = None
    """(group, scale, x_auto, state) as last committed."""


class StoreSink:
    """A sink that writes every execution, definition and point into ``store``."""

    fork_safe = True
    """Kept in a forked child, which writes its own points (see ``_after_fork_child``)."""

    def __init__(self, store: Store, *, interval: float = 0.2, attached_only: bool = False) -> None:
        self.store = store
        self.interval = interval
        self.attached_only = attached_only
        """Write only executions attached to this store (the sink ``attach()`` adds)."""
        self.transactions = 0
        """Batches committed so far."""
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._executions: dict[Execution, bool] = {}
        """Executions written here -> whether this process owns them (writes their status)."""
        self._started: list[Execution] = []
        self._ended: list[Execution] = []
        self._params: list[tuple[str, dict[str, Param]]] = []
        self._tracks: list[_Track] = []
        self._failing = False
        forking.register(self)
        atexit.register(_flush_at_exit, weakref.ref(self))

    def __repr__(self) -> str:
        return f"StoreSink({self.store!r})"

    # -- the engine's callbacks: cheap, any thread --------------------------------------

    def execution_started(self, execution: Execution) -> None:
        route = routes.route_of(execution.id)
        if route is None and self.attached_only:
            return
        if route is not None and route.store != self.store.path:
            return  # attached to another store: that store's sink writes it
        owned = route is None and execution.pid == os.getpid()
        with self._queue_lock:
            self._executions[execution] = owned
            self._started.append(execution)
        self._poke()

    def series_created(self, series: Series) -> None:
        execution: Any = series.execution
        if execution not in self._executions:
            return
        with self._queue_lock:
            self._tracks.append(_Track(series, execution))
        self._poke()

    def execution_ended(self, execution: Execution) -> None:
        if execution not in self._executions:
            return
        with self._queue_lock:
            self._ended.append(execution)
        self._poke()

    def params_changed(self, execution: Execution) -> None:
        if execution not in self._executions:
            return
        with self._queue_lock:
            self._params.append((execution.id, execution.params))
        self._poke()

    def handle(self, execution: Execution) -> ExecutionHandle | None:
        """How a worker process records into ``execution``: through this store's file."""
        route = routes.route_of(execution.id)
        if route is not None:  # attached here from another process: the handle goes on
            return ExecutionHandle.of(execution, store=route.store, pid=route.record.pid)
        if self.store.path == ":memory:":
            return None
        return ExecutionHandle.of(execution, store=self.store.path)

    def flush(self) -> None:
        """Return once everything reported so far is committed, or the store failed (warned)."""
        with self._write_lock:
            self._write()

    def close(self) -> None:
        """Write what is left, stop the writer thread and close the store."""
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self.flush()
        self.store.close()

    # -- the writer ----------------------------------------------------------------------

    def _poke(self) -> None:
        """Make sure a writer will look within ``interval``, without waking it each time."""
        if self._thread is None:
            with self._queue_lock:
                if self._thread is None and not self._stopping:
                    self._thread = threading.Thread(target=self._run, name="cellflux-store", daemon=True)
                    self._thread.start()
        elif self._idle:
            self._wake.set()

    def _has_work(self) -> bool:
        return bool(self._tracks or self._started or self._ended or self._params)

    def _run(self) -> None:
        while not self._stopping:
            # Idle is announced before looking for work, so a callback that adds
            # work after the look sees it and wakes us; otherwise callbacks leave
            # the timer alone, and points are batched.
            self._idle = True
            idle = not self._has_work()
            self._idle = idle
            self._wake.wait(None if idle else self.interval)
            self._idle = False
            self._wake.clear()
            if self._stopping:
                return
            if not idle:
                try:
                    with self._write_lock:
                        self._write()
                except Exception as error:  # keep the thread alive: the next batch may do
                    self._fault(error)

    def _write(self) -> bool:
        """Commit one batch of everything new; caller holds ``_write_lock``."""
        with self._queue_lock:
            started, ended, tracks = list(self._started), list(self._ended), list(self._tracks)
            params = list(self._params)
            owned = dict(self._executions)
        batch = Batch(params=params)
        for exe in started:
            record = _record(exe, status="running", ended_at=None)
            if owned[exe]:
                batch.executions.append(record)
            else:
                route = routes.route_of(exe.id)
                batch.visitors.append(route.record if route is not None else record)
        # Ends are taken before the points: an execution's final points are in its
        # series before it ends, so the same batch carries them.
        batch.ended = [_record(exe, exe.status, exe.ended_at) for exe in ended if owned[exe]]
        moved: list[tuple[_Track, int, tuple[Any, ...]]] = []
        for track in tracks:
            series = track.series
            definition = (series.group, series.scale, series.x_auto, series.state)
            if definition != track.stored:
                batch.metrics.append((track.execution.id, MetricRecord(series.key, *definition)))
            n = len(series)
            if n > track.cursor:
                xs, ys = series.read(track.cursor, n)
                batch.points.append(PointRun(track.execution.id, series.key, xs, ys))
            moved.append((track, n, definition))
        if batch:
            try:
                self.store.write(batch)
            except Exception as error:  # a store fault must never reach the training loop
                self._fault(error)
                return False
            self.transactions += 1
        self._failing = False
        for track, n, definition in moved:
            track.cursor, track.stored = n, definition
        done = set(ended)
        with self._queue_lock:
            del self._started[: len(started)]
            del self._ended[: len(ended)]
            del self._params[: len(params)]
            if done:
                self._tracks = [t for t in self._tracks if t.execution not in done]
                for exe in done:
                    self._executions.pop(exe, None)
        return True

    def _fault(self, error: Exception) -> None:
        if self._failing:
            return
        self._failing = True
        if schema.is_busy(error):
            cause = f"it is locked by another process for more than {getattr(self.store, 'timeout', '?')} s"
        else:
            cause = f"{type(error).__name__}: {error}"
        warn(
            f"cellflux: cannot write the store {self.store.path} ({cause}); points are kept in "
            "memory and written when the store can be written again",
            2,
        )

    def _after_fork_child(self) -> None:
        # The parent writes what it reported before the fork; the child writes only
        # its own points, from a thread and a connection of its own.
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None
        self._idle = False
        # Inherited executions are the parent's: it writes their rows and status.
        self._executions = dict.fromkeys(self._executions, False)
        self._started = []
        self._ended = []
        self._params = []
        for track in self._tracks:
            track.cursor = len(track.series)


def _record(exe: Execution, status: str, ended_at: float | None) -> ExecutionRecord:
    parent = exe.parent.id if exe.parent is not None else None
    return ExecutionRecord(exe.id, exe.name, exe.kind, parent, status, exe.started_at, ended_at, exe.pid)


def _flush_at_exit(ref: weakref.ref[StoreSink]) -> None:
    sink = ref()
    if sink is not None and not sink._stopping:
        sink.flush()
