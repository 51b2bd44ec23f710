"""The implicit execution: where records made outside any task go.

One per cell run in IPython, one per process elsewhere. The runtime asks for it
at the first such record; :class:`ImplicitRuns` starts it, and ends it with the
cell (IPython's ``post_run_cell`` event, with the cell's error) or with the
process (at interpreter exit, with the exception that reached ``sys.excepthook``).
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .execution import FAILED, INTERRUPTED, RUNNING, SUCCEEDED, Execution, status_after


class ImplicitRuns:
    """Starts the implicit execution of a runtime, and ends it with its cell or process."""

    def __init__(
        self,
        clock: Callable[[], float],
        start: Callable[[str, str], Execution],
        end: Callable[[Execution, str], None],
        flush: Callable[[], object],
        shell: Any = None,
    ) -> None:
        self._clock = clock
        self._start = start
        """``start(name, kind)``: the runtime starts a top-level execution."""
        self._end = end
        self._flush = flush
        self._shell = shell
        self._looked_up = shell is not None
        self._hooked = False
        self._cell: Execution | None = None
        self._cell_started: float | None = None
        """Clock reading at the start of the running cell; None between cells."""

    def start(self) -> Execution:
        """A new implicit execution: the running cell's, or the whole process's."""
        shell = self._ipython()
        if shell is None:
            exe = self._start(_script_name(), "process")
            _end_at_exit(exe, self._end_process)
            return exe
        self._follow(shell)
        exe = self._start(f"cell [{getattr(shell, 'execution_count', '?')}]", "cell")
        if self._cell_started is not None:
            exe.t0 = self._cell_started  # auto x counts from the start of the cell
        self._cell = exe
        return exe

    def _ipython(self) -> Any:
        if not self._looked_up:
            self._looked_up = True
            ipython = sys.modules.get("IPython")
            if ipython is not None:
                self._shell = ipython.get_ipython()
        return self._shell

    def _follow(self, shell: Any) -> None:
        if not self._hooked:
            self._hooked = True
            shell.events.register("pre_run_cell", self._pre_run_cell)
            shell.events.register("post_run_cell", self._post_run_cell)

    def _pre_run_cell(self, info: Any = None) -> None:
        self._cell_started = self._clock()

    def _post_run_cell(self, result: Any = None) -> None:
        self._cell_started = None
        exe, self._cell = self._cell, None
        if exe is not None:
            error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
            self._end(exe, status_after(error))

    def _end_process(self, exe: Execution, status: str) -> None:
        self._end(exe, status)
        self._flush()


def _script_name() -> str:
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    return Path(argv0).name or "python"


def _end_at_exit(exe: Execution, end: Callable[[Execution, str], None]) -> None:
    """Call ``end(exe, status)`` at interpreter exit if ``exe`` still runs in this process."""
    outcome = {"status": SUCCEEDED}
    previous = sys.excepthook

    def excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        outcome["status"] = INTERRUPTED if issubclass(kind, KeyboardInterrupt) else FAILED
        previous(kind, value, tb)

    sys.excepthook = excepthook

    def at_exit() -> None:
        if exe.status is RUNNING and os.getpid() == exe.pid:
            end(exe, outcome["status"])

    atexit.register(at_exit)
