"""The engine of a process: live executions, sinks, the flusher, configuration.

One :class:`Runtime` serves the whole process (``get_runtime()``), created on
first use; tests build their own with a fake clock and install it with
:func:`use_runtime`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from . import execution as ex
from .execution import Execution
from .throttle import Flusher, KeyState
from .warn import warn

if TYPE_CHECKING:
    from .series import Series
    from .sink import Sink


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
        self.armed: set[Any] = set()
        """Metric objects whose fast path is armed (see ``Metric.record``)."""
        self.can_gate = True
        self._task_threads: dict[int, int] = {}
        self._async_tasks = 0
        self._lock = threading.RLock()
        self._ipython = ipython
        self._ipython_checked = ipython is not None
        self._in_cell = False
        self._cell_started: float | None = None
        self._failed_sinks: set[int] = set()
        self._default_sinks: list[Sink] = []
        self.main_thread = threading.main_thread().ident
        self._pid = os.getpid()

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
            if self.implicit is not None:
                return self.implicit
            shell = self._shell()
            if shell is not None:
                self._install_cell_hooks(shell)
                name = f"cell [{getattr(shell, 'execution_count', '?')}]"
                exe = self.start(name, "cell", None)
                if self._cell_started is not None:
                    exe.t0 = self._cell_started
            else:
                exe = self.start(_script_name(), "process", None)
                _install_exit_hooks(self, exe)
            self.implicit = exe
            return exe

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
        for state in list(exe.states.values()):
            state.drain()
            series = state.series
            if series.state == "running" or (series.state == "stopped" and status != ex.SUCCEEDED):
                series.state = "failed" if status == ex.FAILED else "stopped"
        exe.ended_at = self.wall()
        exe.status = status
        with self._lock:
            if exe in self.live:
                self.live.remove(exe)
            self.innermost = self.live[-1] if self.live else None
            if self.implicit is exe:
                self.implicit = None
        self._notify("execution_ended", exe)

    def state_for(self, exe: Execution, key: str, window: float, group: Any, scale: Any) -> KeyState:
        """The throttle state of ``key`` in ``exe``, created with its series on first use."""
        from .series import Series

        state = exe.states.get(key)
        if state is None:
            group, scale = exe.define(key, group, scale)
            with exe.lock:
                state = exe.states.get(key)
                if state is None:
                    state = KeyState(exe, Series(key, exe, group, scale), window)
                    exe.states[key] = state
                    created = True
                else:
                    created = False
            if created:
                self._notify("series_created", state.series)
        else:
            exe.define(key, group, scale)
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

    def flush(self) -> None:
        """Report every pending point, then let every sink deliver what it has."""
        self.disarm_all()
        for exe in list(self.live):
            for state in list(exe.states.values()):
                state.drain()
        self._notify("flush")

    def install_default_sinks(self) -> None:
        """Attach the sinks that ``configure()`` and the environment ask for."""
        import importlib

        for path in DEFAULT_SINKS:
            module_name, _, factory_name = path.partition(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name is None or not module_name.startswith(error.name):
                    raise
                continue
            sink = getattr(module, factory_name)(self)
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

    def series_finished(self, series: Series) -> None:
        """A progress loop ended: sinks that show progress may close its line now."""
        self._notify("series_finished", series, optional=True)

    def params_changed(self, execution: Execution) -> None:
        """``execution.set_params()`` was called: sinks that keep hyperparameters take them."""
        self._notify("params_changed", execution, optional=True)

    def add_sink(self, sink: Sink) -> None:
        self.sinks.append(sink)
        for exe in list(self.live):
            sink.execution_started(exe)
            for series in exe.buffers.values():
                sink.series_created(series)

    def _notify(self, event: str, *args: Any, optional: bool = False) -> None:
        """Call ``event`` on every sink; one that raises is warned about once and set aside."""
        for sink in list(self.sinks):
            if id(sink) in self._failed_sinks:
                continue
            handler = getattr(sink, event, None)
            if handler is None and optional:
                continue
            try:
                handler(*args)  # type: ignore[misc]
            except Exception as error:  # a sink must never break the training loop
                self._failed_sinks.add(id(sink))
                warn(f"cellflux: {type(sink).__name__} failed ({error!r}) and is set aside", 3)

    # -- IPython ---------------------------------------------------------------------------

    def _shell(self) -> Any:
        if not self._ipython_checked:
            self._ipython_checked = True
            ipython = sys.modules.get("IPython")
            if ipython is not None:
                self._ipython = ipython.get_ipython()
        return self._ipython

    def _install_cell_hooks(self, shell: Any) -> None:
        if getattr(self, "_hooks_installed", False):
            return
        self._hooks_installed = True
        self._in_cell = True
        shell.events.register("pre_run_cell", self._pre_run_cell)
        shell.events.register("post_run_cell", self._post_run_cell)

    def _pre_run_cell(self, info: Any = None) -> None:
        self._in_cell = True
        self._cell_started = self.clock()

    def _post_run_cell(self, result: Any = None) -> None:
        self._in_cell = False
        self._cell_started = None
        exe = self.implicit
        if exe is None:
            return
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        if error is None:
            status = ex.SUCCEEDED
        elif isinstance(error, KeyboardInterrupt):
            status = ex.INTERRUPTED
        else:
            status = ex.FAILED
        self.end(exe, status)

    def after_fork(self) -> None:
        """A forked child keeps no thread, no widget and no comm of its parent."""
        self.flusher.after_fork()
        self._lock = threading.RLock()
        self.sinks = [s for s in self.sinks if getattr(s, "fork_safe", False)]
        self.main_thread = threading.get_ident()
        self._pid = os.getpid()


def _script_name() -> str:
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    return Path(argv0).name or "python"


def _install_exit_hooks(runtime: Runtime, exe: Execution) -> None:
    import atexit

    outcome = {"status": ex.SUCCEEDED}
    previous = sys.excepthook

    def excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        outcome["status"] = ex.INTERRUPTED if issubclass(kind, KeyboardInterrupt) else ex.FAILED
        previous(kind, value, tb)

    sys.excepthook = excepthook

    def at_exit() -> None:
        if exe.status is ex.RUNNING and os.getpid() == exe.pid:
            runtime.end(exe, outcome["status"])
            runtime.flush()

    atexit.register(at_exit)


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


DEFAULT_SINKS = (
    "cellflux.store.sink:make_sink",
    "cellflux.display.board:make_sink",
    "cellflux.display.text:make_sink",
)
"""Factories of the default sinks, each ``(runtime) -> Sink | None``, imported on first use."""


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
