"""``StoreSink``: persists what the engine reports, from a background writer thread.

The training thread never waits for the store: the engine's callbacks only
queue an object, and the writer wakes every ``interval`` seconds, takes the
new points of every series since its own cursor into a batch (see backlog.py)
and commits the batches in order, one transaction each. A batch leaves the
backlog only once the store confirmed it, so when the store cannot be written
(read-only, full, locked, corrupt, a server down or restarting) nothing is
lost: the batches wait, and the writer tries again, less often while it fails.
``flush()`` sends what is left from the caller's thread and says how far it got.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import uuid
import weakref
from typing import TYPE_CHECKING

from ..identity import process_identity
from ..sink import Delivery
from ..warn import warn
from . import forking, routes, schema
from .backlog import Backlog, Pending, Track
from .locate import store_at
from .records import ExecutionRecord, MetricRecord, Store

if TYPE_CHECKING:
    from ..execution import Execution
    from ..runtime import Runtime
    from ..series import Series

SERVER_BACKLOG = 20_000_000
"""Unconfirmed points a server store keeps at most (320 MB of series ranges; the series hold them)."""
SERVER_FLUSH_WAIT = 5.0
"""How long ``flush()`` keeps trying a server store that does not answer (a restart takes ~1 s)."""
MAX_PAUSE = 2.0


def make_sink(runtime: Runtime) -> StoreSink | None:
    """The default store sink: on ``config.store_path()``, or None when storing is off.

    ``CELLFLUX_STORE_BACKLOG`` sets how many unconfirmed points a server store keeps.
    """
    from .. import config

    path = config.store_path()
    if path is None:
        return None
    bound = os.environ.get("CELLFLUX_STORE_BACKLOG", "").strip()
    return StoreSink(store_at(path), backlog_limit=int(bound) if bound.isdigit() else -1)


class StoreSink:
    """A sink that writes every execution, definition and point into ``store``.

    ``backlog_limit`` bounds the points kept unconfirmed (None: no bound, the
    default for a file); ``flush_wait`` is how long ``flush()`` retries a store
    that fails (None: one attempt, the default for a file, which waits for
    its lock by itself).
    """

    fork_safe = True
    """Kept in a forked child, which writes its own points (see ``_after_fork_child``)."""

    def __init__(
        self, store: Store, *, interval: float = 0.2, attached_only: bool = False,
        backlog_limit: int | None = -1, flush_wait: float | None = -1.0,
    ) -> None:
        self.store = store
        self.interval = interval
        self.attached_only = attached_only
        """Write only executions attached to this store (the sink ``attach()`` adds)."""
        server = bool(getattr(store, "retries", False))
        self.flush_wait = (SERVER_FLUSH_WAIT if server else None) if flush_wait == -1.0 else flush_wait
        self.transactions = 0
        """Batches committed so far."""
        self._backlog = Backlog((SERVER_BACKLOG if server else None) if backlog_limit == -1 else backlog_limit)
        self._queue_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._executions: dict[Execution, bool] = {}
        """Executions written here -> whether this process owns them (writes their status)."""
        self._started: list[Execution] = []
        self._ended: list[Execution] = []
        self._tracks: list[Track] = []
        self._failing = False
        self._failures = 0
        self._problem: str | None = None
        self._dropped_warned = 0
        self._dropped_reported = 0
        self._gave_up = False
        """A flush waited ``flush_wait`` in vain during this outage: later ones try once, not wait again."""
        self._writer = uuid.uuid4().hex
        self._host = process_identity().host
        forking.register(self)
        atexit.register(_flush_at_exit, weakref.ref(self))

    def __repr__(self) -> str:
        return f"StoreSink({self.store!r})"

    # -- the engine's callbacks: cheap, any thread --------------------------------------

    def execution_started(self, execution: Execution) -> None:
        route = routes.route_of(execution.id)
        if route is None and self.attached_only:
            return
        if route is not None and route.store != self.store.locator:
            return  # attached to another store: that store's sink writes it
        owned = route is None and execution.pid == os.getpid()
        with self._queue_lock:
            self._executions[execution] = owned
            self._started.append(execution)
        self._poke()

    def series_created(self, series: Series) -> None:
        execution = series.execution
        if execution not in self._executions:
            return
        with self._queue_lock:
            self._tracks.append(Track(series, execution))
        self._poke()

    def execution_ended(self, execution: Execution) -> None:
        if execution not in self._executions:
            return
        with self._queue_lock:
            self._ended.append(execution)
        self._poke()

    def flush(self) -> Delivery:
        """Send everything reported so far; return once the store confirmed it, or gave up.

        A file store is tried once (it waits for its lock by itself); a server
        is retried for ``flush_wait`` seconds. The report counts only what the
        store confirmed; the rest stays in the backlog and is sent later.
        """
        wait = self.flush_wait
        if wait is not None and self._gave_up:
            wait = 0.0  # the store is known to be down: one attempt, no stall at every checkpoint
        deadline = time.monotonic() + (wait or 0.0)
        with self._queue_lock:
            self._collect()
            target = self._backlog.last_seq
        pause = 0.05
        while True:
            if wait is None:
                got = self._send_lock.acquire()
            else:
                got = self._send_lock.acquire(timeout=max(0.001, deadline - time.monotonic()))
            if got:
                try:
                    self._send()
                finally:
                    self._send_lock.release()
            left = deadline - time.monotonic()
            if self._backlog.confirmed_seq >= target or wait is None or left <= 0:
                break
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.5)
        report = self.delivery()
        self._gave_up = self._failing
        self._dropped_reported += report.dropped
        return report

    def delivery(self) -> Delivery:
        """What this sink has stored so far, what it has not (yet), and what it dropped since the last flush."""
        with self._queue_lock:
            pending = self._backlog.unconfirmed() + sum(len(t.series) - t.cursor for t in self._tracks)
            stored, dropped = self._backlog.stored, self._backlog.dropped - self._dropped_reported
        problem = self._problem if pending or dropped else None
        return Delivery(f"store {self.store.path}", stored, pending, dropped, problem)

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
        return bool(self._tracks or self._started or self._ended or self._backlog.queue)

    def _run(self) -> None:
        while not self._stopping:
            # Idle is announced before looking for work, so a callback that adds
            # work after the look sees it and wakes us; otherwise callbacks leave
            # the timer alone, and points are batched.
            self._idle = True
            idle = not self._has_work()
            self._idle = idle
            pause = min(self.interval * (2 ** min(self._failures, 10)), max(MAX_PAUSE, self.interval))
            self._wake.wait(None if idle else pause)
            self._idle = False
            self._wake.clear()
            if self._stopping:
                return
            if not idle:
                try:
                    with self._queue_lock:
                        self._collect()
                    with self._send_lock:
                        self._send()
                except Exception as error:  # keep the thread alive: the next batch may do
                    self._fault(error)

    def _collect(self) -> None:
        """Take everything new into the backlog; caller holds ``_queue_lock`` (no I/O here)."""
        started, ended = self._started, self._ended
        self._started, self._ended = [], []
        owned = self._executions
        pending = Pending(self._backlog.last_seq + 1)
        for exe in started:
            record = _record(exe, status="running", ended_at=None)
            if owned[exe]:
                pending.executions.append(record)
            else:
                route = routes.route_of(exe.id)
                pending.visitors.append(route.record if route is not None else record)
        # Ends are taken before the points: an execution's final points are in its
        # series before it ends, so the same batch carries them.
        pending.ended = [_record(exe, exe.status, exe.ended_at) for exe in ended if owned[exe]]
        for track in self._tracks:
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
        if ended:
            done = set(ended)
            self._tracks = [t for t in self._tracks if t.execution not in done]
            for exe in done:
                self._executions.pop(exe, None)
        if pending:
            dropped = self._backlog.add(pending)
            if dropped:
                self._warn_dropped()

    def _send(self) -> None:
        """Write the backlog's batches in order until one fails; caller holds ``_send_lock``."""
        while True:
            with self._queue_lock:
                if not self._backlog.queue:
                    break
                pending = self._backlog.queue[0]
                pending.in_flight = True
            try:
                self.store.write(pending.batch(self._writer, self._host))
            except Exception as error:  # a store fault must never reach the training loop
                with self._queue_lock:
                    pending.in_flight = False
                    pending.frozen = self.store.retries
                self._fault(error)
                return
            with self._queue_lock:
                pending.in_flight = False
                self._backlog.confirm(pending)
            self.transactions += 1
        if self._failing:
            self._recovered()

    def _fault(self, error: Exception) -> None:
        self._failures += 1
        if schema.is_busy(error):
            cause = f"it is locked by another process for more than {getattr(self.store, 'timeout', '?')} s"
        else:
            cause = getattr(error, "reason", None) or f"{type(error).__name__}: {error}"
        self._problem = cause
        if self._failing:
            return
        self._failing = True
        bound = self._backlog.limit
        kept = "kept in memory" if bound is None else f"kept (up to {bound:,} points)"
        warn(f"cellflux: cannot write the store {self.store.path} ({cause}); points are {kept} and written "
             "when the store can be written again", 2)

    def _warn_dropped(self) -> None:
        if self._dropped_warned:
            return
        self._dropped_warned = self._backlog.dropped
        warn(f"cellflux: the store {self.store.path} is still unreachable and {self._backlog.limit:,} points "
             f"wait for it: the oldest {self._backlog.dropped:,} points not yet stored were dropped "
             "(more may follow; flush() reports the count)", 2)

    def _recovered(self) -> None:
        self._failing, self._failures, self._problem, self._gave_up = False, 0, None, False
        if self._dropped_warned:
            self._dropped_warned = 0
            warn(f"cellflux: the store {self.store.path} is written again; {self._backlog.dropped:,} points "
                 "were dropped while it could not be", 2)

    def _after_fork_child(self) -> None:
        # The parent writes what it reported before the fork; the child writes only
        # its own points, from a thread and a connection of its own, as a new writer.
        self._queue_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None
        self._idle = False
        self._writer = uuid.uuid4().hex
        self._host = process_identity().host
        self._backlog = Backlog(self._backlog.limit)
        self._failing, self._failures, self._problem, self._dropped_warned = False, 0, None, 0
        self._dropped_reported, self._gave_up = 0, False
        # Inherited executions are the parent's: it writes their rows and status.
        self._executions = dict.fromkeys(self._executions, False)
        self._started = []
        self._ended = []
        for track in self._tracks:
            track.cursor = len(track.series)


def _record(exe: Execution, status: str, ended_at: float | None) -> ExecutionRecord:
    parent = exe.parent.id if exe.parent is not None else None
    who = exe.process
    group = who.distributed and exe.occurrence > 0
    return ExecutionRecord(
        exe.id, exe.name, exe.kind, parent, status, exe.started_at, ended_at, exe.pid, who.host, who.rank,
        who.world_size, who.job if group else None, exe.occurrence if group else None,
    )


def _flush_at_exit(ref: weakref.ref[StoreSink]) -> None:
    sink = ref()
    if sink is not None and not sink._stopping:
        report = sink.flush()
        if report.pending:
            warn(f"cellflux: the process exits with {report.pending:,} points not written to the store "
                 f"{sink.store.path} ({report.problem})", 2)
