"""``StoreSink``: persists what the engine reports, from a background writer thread.

The training thread never waits for the store: the engine's callbacks only
queue an object, and the writer wakes every ``interval`` seconds, takes the
new points of every series since its own cursor into a batch (see backlog.py)
and commits the batches in order, one transaction each. A batch leaves the
backlog only once the store confirmed it, so when the store cannot be written
(read-only, full, locked, corrupt, a server down or restarting) nothing is
lost: the batches wait, and the writer tries again, less often while it fails.
``flush()`` has the writer thread send what is left and waits for it (see
writer.py), then says how far it got.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import uuid
import weakref
from typing import TYPE_CHECKING

from ..params import Param
from ..execution import ExecutionHandle
from ..identity import process_identity
from ..sink import Delivery
from ..warn import warn
from . import forking, routes
from .backlog import SERVER_BACKLOG, Backlog, Track, take
from .locate import store_at
from .outage import SERVER_FLUSH_WAIT, Outage
from .records import Store
from .writer import WriterThread

if TYPE_CHECKING:
    from ..execution import Execution
    from ..runtime import Runtime
    from ..series import Series

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
        self._loop = self._new_loop()
        self._executions: dict[Execution, bool] = {}
        """Executions written here -> whether this process owns them (writes their status)."""
        self._started: list[Execution] = []
        self._ended: list[Execution] = []
        self._params: list[tuple[str, dict[str, Param]]] = []
        self._tracks: list[Track] = []
        self._outage = Outage(store.path, self._backlog.limit, getattr(store, "timeout", "?"))
        self._dropped_reported = 0
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
        self._loop.poke()

    def series_created(self, series: Series) -> None:
        execution = series.execution
        if execution not in self._executions:
            return
        with self._queue_lock:
            self._tracks.append(Track(series, execution))
        self._loop.poke()

    def execution_ended(self, execution: Execution) -> None:
        if execution not in self._executions:
            return
        with self._queue_lock:
            self._ended.append(execution)
        self._loop.poke()

    def params_changed(self, execution: Execution) -> None:
        if execution not in self._executions:
            return
        with self._queue_lock:
            self._params.append((execution.id, execution.params))
        self._loop.poke()

    def handle(self, execution: Execution) -> ExecutionHandle | None:
        """How a worker process records into ``execution``: through this store (a file or a server)."""
        route = routes.route_of(execution.id)
        if route is not None:  # attached here from another process: the handle goes on
            return ExecutionHandle.of(execution, store=route.store, pid=route.record.pid)
        if self.store.locator == ":memory:":
            return None
        return ExecutionHandle.of(execution, store=self.store.locator)

    def flush(self) -> Delivery:
        """Send everything reported so far; return once the store confirmed it, or gave up.

        A file store is tried once (it waits for its lock by itself); a server
        is retried for ``flush_wait`` seconds. The report counts only what the
        store confirmed; the rest stays in the backlog and is sent later. The
        writer thread sends, and the caller waits: a Ctrl-C interrupts the wait,
        never a batch between its commit and its confirmation (see writer.py).
        """
        wait = self.flush_wait
        if wait is not None and self._outage.gave_up:
            wait = 0.0  # the store is known to be down: one attempt, no stall at every checkpoint
        deadline = None if wait is None else time.monotonic() + wait
        if self._loop.is_current():
            # A flush from the writer thread (a warning's hook inside a send): it never gets a
            # KeyboardInterrupt, not being the main thread, and sends only if no send is under way.
            if self._send_lock.acquire(blocking=False):
                try:
                    self._flush_pass(deadline)
                finally:
                    self._send_lock.release()
        elif not self._loop.flush(deadline):
            self._flush_here(deadline)  # no writer thread (stopped, dead, or cannot start)
        report = self.delivery()
        self._outage.gave_up = self._outage.failing
        self._dropped_reported += report.dropped
        return report

    def delivery(self) -> Delivery:
        """What this sink has stored so far, what it has not (yet), and what it dropped since the last flush."""
        with self._queue_lock:
            pending = self._backlog.unconfirmed() + sum(len(t.series) - t.cursor for t in self._tracks)
            stored, dropped = self._backlog.stored, self._backlog.dropped - self._dropped_reported
        problem = self._outage.problem if pending or dropped else None
        return Delivery(f"store {self.store.path}", stored, pending, dropped, problem)

    def close(self) -> None:
        """Write what is left, stop the writer thread and close the store."""
        self.flush()  # by the writer, while it runs
        self._loop.stop()
        if self._started or self._ended or self._params or any(len(t.series) > t.cursor for t in self._tracks):
            self.flush()  # reported meanwhile: sent from here, the writer has stopped
        self.store.close()

    # -- the writer ----------------------------------------------------------------------

    def _new_loop(self) -> WriterThread:
        return WriterThread(self._has_work, lambda: self._outage.pause(self.interval), self._write_due,
                            self._flush_here, lambda error: self._outage.fault(error, self._backlog.dropped))

    def _has_work(self) -> bool:
        return bool(self._tracks or self._started or self._ended or self._params or self._backlog.queue)

    def _write_due(self) -> None:
        with self._queue_lock:
            self._collect()
        with self._send_lock:
            self._send()

    def _flush_here(self, deadline: float | None) -> None:
        with self._send_lock:  # ``with``: no KeyboardInterrupt between taking the lock and the try
            self._flush_pass(deadline)

    def _flush_pass(self, deadline: float | None) -> None:
        """Take everything new and send it, retried until ``deadline`` (None: once); caller holds ``_send_lock``."""
        with self._queue_lock:
            self._collect()
            target = self._backlog.last_seq
        pause = 0.05
        while True:
            self._send()
            left = 0.0 if deadline is None else deadline - time.monotonic()
            if self._backlog.confirmed_seq >= target or left <= 0:
                return
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.5)

    def _collect(self) -> None:
        """Take everything new into the backlog; caller holds ``_queue_lock`` (no I/O here)."""
        started, ended = self._started, self._ended
        self._started, self._ended = [], []
        owned = self._executions
        pending = take(self._backlog.last_seq + 1, started, ended, owned, self._tracks)
        pending.params, self._params = self._params, []
        if ended:
            done = set(ended)
            self._tracks = [t for t in self._tracks if t.execution not in done]
            for exe in done:
                self._executions.pop(exe, None)
        if pending:
            dropped = self._backlog.add(pending)
            if dropped:
                self._outage.dropped(self._backlog.dropped)

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
                self._outage.fault(error, self._backlog.dropped)
                return
            with self._queue_lock:
                pending.in_flight = False
                self._backlog.confirm(pending)
            self.transactions += 1
        if self._outage.failing:
            self._outage.recovered(self._backlog.dropped)

    def _after_fork_child(self) -> None:
        # The parent writes what it reported before the fork; the child writes only
        # its own points, from a thread and a connection of its own, as a new writer.
        self._queue_lock, self._send_lock = threading.Lock(), threading.Lock()
        self._loop = self._new_loop()
        self._writer = uuid.uuid4().hex
        self._host = process_identity().host
        self._backlog = Backlog(self._backlog.limit)
        self._outage = Outage(self.store.path, self._backlog.limit, getattr(self.store, "timeout", "?"))
        self._dropped_reported = 0
        # Inherited executions are the parent's: it writes their rows and status.
        self._executions = dict.fromkeys(self._executions, False)
        self._started, self._ended, self._params = [], [], []
        for track in self._tracks:
            track.cursor = len(track.series)


def _flush_at_exit(ref: weakref.ref[StoreSink]) -> None:
    sink = ref()
    if sink is not None and not sink._loop.stopping:
        report = sink.flush()
        if report.pending:
            warn(f"cellflux: the process exits with {report.pending:,} points not written to the store "
                 f"{sink.store.path} ({report.problem})", 2)
