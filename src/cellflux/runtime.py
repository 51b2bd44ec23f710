"""The engine of a process: live executions, their sinks, the throttle's flusher.

One :class:`Runtime` serves the whole process (``get_runtime()``), created on
first use; tests build their own with a fake clock and install it with
:func:`use_runtime`.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Callable

from . import execution as ex
from .execution import Execution, ExecutionHandle
from .implicit import ImplicitRuns
from .sink import Flushed
from .throttle import Flusher, KeyState
from .warn import warn

if TYPE_CHECKING:
    from .gate import Gate
    from .series import Series
    from .sink import Sink

SinkFactory = Callable[["Runtime"], "Sink | None"]
"""Makes one of the default sinks for a runtime, or None when it does not apply."""


class Runtime:
    """Executions, sinks and the throttle's flusher of one process."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        flusher_thread: bool = True,
        ipython: Any = None,
    ) -> None:
        self.clock = clock
        self.wall = wall
        self.flusher = Flusher(clock, thread=flusher_thread)
        self.sinks: list[Sink] = []
        self.live: list[Execution] = []
        self.innermost: Execution | None = None
        """The most recently started execution still running."""
        self.implicit: Execution | None = None
        """The execution of the current notebook cell, or of the script."""
        self.armed: set[Gate] = set()
        """Metric objects whose fast path is armed (see gate.py)."""
        self.can_gate = True
        self._task_threads: dict[int, int] = {}
        self._async_tasks = 0
        self._lock = threading.RLock()
        self._implicit_runs = ImplicitRuns(
            clock, lambda name, kind: self.start(name, kind, None), self.end, self.flush, ipython
        )
        self._failed_sinks: set[int] = set()
        self._default_sinks: list[Sink] = []
        self.main_thread = threading.main_thread().ident

    # -- which execution a record goes to -------------------------------------------------

    def resolve(self) -> Execution:
        """The execution a ``record()`` in this thread and context goes to now."""
        exe = ex.current.get()
        if exe is not None and exe.status is ex.RUNNING:
            return exe
        if threading.get_ident() != self.main_thread:
            inner = self.innermost
            if inner is not None:
                return inner
        return self.implicit or self._start_implicit()

    def _start_implicit(self) -> Execution:
        with self._lock:
            if self.implicit is None:
                self.implicit = self._implicit_runs.start()
            return self.implicit

    # -- executions -----------------------------------------------------------------------

    def start(self, name: str, kind: str, parent: Execution | None, *, id: str | None = None) -> Execution:
        exe = Execution(self, name, kind, parent, id)
        with self._lock:
            self.live.append(exe)
            self.innermost = exe
            self.disarm_all()
        self._notify("execution_started", exe)
        return exe

    def end(self, exe: Execution, status: str) -> None:
        """End an execution: report every pending point, then tell the sinks."""
        if exe.status is not ex.RUNNING:
            return
        for end_inner in list(reversed(exe.on_end)):  # runs started inside it end first, with its status
            end_inner(status)
        self.disarm_all()
        exe.finish(status)
        with self._lock:
            if exe in self.live:
                self.live.remove(exe)
            self.innermost = self.live[-1] if self.live else None
            if self.implicit is exe:
                self.implicit = None
        self._notify("execution_ended", exe)

    def state_for(self, exe: Execution, key: str, window: float, group: Any, scale: Any) -> KeyState:
        """The throttle state of ``key`` in ``exe``; sinks hear of its series when it is new."""
        state, created = exe.state_for(key, window, group, scale)
        if created:
            self._notify("series_created", state.series)
        return state

    # -- the fast path's gate --------------------------------------------------------------

    def disarm_all(self) -> None:
        """Send every metric through its slow path once: where records go may have changed."""
        armed, self.armed = self.armed, set()
        for metric in armed:
            metric._disarm()

    def task_entered(self, is_async: bool) -> None:
        with self._lock:
            if is_async:
                self._async_tasks += 1
            else:
                tid = threading.get_ident()
                self._task_threads[tid] = self._task_threads.get(tid, 0) + 1
            self._update_gating()

    def task_exited(self, is_async: bool, thread: int | None = None) -> None:
        """A task (or run) left ``thread`` (by default this one)."""
        with self._lock:
            if is_async:
                self._async_tasks -= 1
            else:
                tid = threading.get_ident() if thread is None else thread
                depth = self._task_threads.get(tid, 0) - 1
                if depth > 0:
                    self._task_threads[tid] = depth
                else:
                    self._task_threads.pop(tid, None)
            self._update_gating()

    def _update_gating(self) -> None:
        # The fast path skips the context lookup, which is only safe while at most
        # one thread runs inside tasks and no asyncio task does.
        self.can_gate = len(self._task_threads) <= 1 and self._async_tasks == 0
        self.disarm_all()

    # -- flush and sinks -------------------------------------------------------------------

    def flush(self) -> Flushed:
        """Report every pending point, then let every sink deliver what it has; say how far each got."""
        self.disarm_all()
        for exe in list(self.live):
            exe.drain()
        return Flushed(tuple(self._notify("flush")))

    def install_default_sinks(self) -> None:
        """Attach the default sinks (see :func:`set_default_sinks`) that apply now."""
        for make in _default_sinks:
            sink = make(self)
            if sink is not None:
                self._default_sinks.append(sink)
                self.add_sink(sink)

    def reconfigure(self) -> None:
        """``configure()`` was called: flush and replace the default sinks."""
        self.flush()
        for sink in self._default_sinks:
            if sink in self.sinks:
                self.sinks.remove(sink)
            close = getattr(sink, "close", None)
            if close is not None:
                close()
        self._default_sinks = []
        self.install_default_sinks()

    def close(self) -> None:
        """Flush, stop the flusher and close every sink (tests, interpreter exit)."""
        self.flush()
        self.flusher.stop()
        for sink in self.sinks:
            close = getattr(sink, "close", None)
            if close is not None:
                close()

    def series_started(self, series: Series) -> None:
        """A series got its first point: sinks that draw it may send it now, not at their next pull."""
        self._notify("series_started", series, optional=True)

    def series_finished(self, series: Series) -> None:
        """A progress loop ended: sinks that show progress may close its line now."""
        self._notify("series_finished", series, optional=True)

    def params_changed(self, execution: Execution) -> None:
        """``execution.set_params()`` was called: sinks that keep hyperparameters take them."""
        self._notify("params_changed", execution, optional=True)

    def handle(self, execution: Execution) -> ExecutionHandle:
        """How another process reaches ``execution``: from the first sink that can tell."""
        for sink in list(self.sinks):
            locate = getattr(sink, "handle", None)
            found: ExecutionHandle | None = locate(execution) if locate is not None else None
            if found is not None:
                return found
        return ExecutionHandle.of(execution)

    def add_sink(self, sink: Sink) -> None:
        self.sinks.append(sink)
        for exe in list(self.live):
            sink.execution_started(exe)
            for series in exe.buffers.values():
                sink.series_created(series)

    def _notify(self, event: str, *args: Any, optional: bool = False) -> list[Any]:
        """Call ``event`` on every sink, and return what they answer (but None); one that raises is set aside."""
        answers: list[Any] = []
        for sink in list(self.sinks):
            if id(sink) in self._failed_sinks:
                continue
            handler = getattr(sink, event, None)
            if handler is None and optional:
                continue
            try:
                answers.append(handler(*args))  # type: ignore[misc]
            except Exception as error:  # a sink must never break the training loop
                self._failed_sinks.add(id(sink))
                warn(f"cellflux: {type(sink).__name__} failed ({error!r}) and is set aside", 3)
        return [answer for answer in answers if answer is not None]

    def after_fork(self) -> None:
        """A forked child keeps no thread, no widget and no comm of its parent."""
        self.flusher.after_fork()
        self._lock = threading.RLock()
        self.sinks = [s for s in self.sinks if getattr(s, "fork_safe", False)]
        self.main_thread = threading.get_ident()


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()

_default_sinks: tuple[SinkFactory, ...] = ()


def set_default_sinks(*factories: SinkFactory) -> None:
    """The factories of the sinks that every runtime :func:`get_runtime` makes starts with.

    Called once, by the package's ``wiring`` module: the store and the boards
    plug in here, and the core never imports them.
    """
    global _default_sinks
    _default_sinks = factories


def get_runtime() -> Runtime:
    """The process's runtime, created on first use with the configured sinks."""
    global _runtime
    rt = _runtime
    if rt is None:
        with _runtime_lock:
            if _runtime is None:
                rt = Runtime()
                rt.install_default_sinks()
                _runtime = rt
                if hasattr(os, "register_at_fork"):
                    os.register_at_fork(after_in_child=_after_fork)
            rt = _runtime
    return rt


def current_runtime() -> Runtime | None:
    """The process's runtime if it exists already."""
    return _runtime


def _after_fork() -> None:
    if _runtime is not None:
        _runtime.after_fork()


@contextlib.contextmanager
def use_runtime(runtime: Runtime) -> Iterator[Runtime]:
    """Install ``runtime`` as the process's runtime for the duration (tests)."""
    global _runtime
    previous, _runtime = _runtime, runtime
    if previous is not None:
        previous.disarm_all()
    try:
        yield runtime
    finally:
        runtime.disarm_all()
        runtime.flusher.stop()
        _runtime = previous
