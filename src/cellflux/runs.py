"""``run()``: an execution that code starts and ends, for training frameworks' callbacks.

A task is one execution per function call. A framework's callbacks see a
training run as a start hook and an end hook instead, so ``run()`` starts an
execution where it is called and :meth:`Run.end` ends it; ``with run(...)``
does both, like a task call. Records made in between (in this thread and
context, and in threads started here) go to it, as they would inside a task.

A framework that raises skips its end hook: a run its code did not end ends
with the execution it was started in (the task, the notebook cell or the
script), and takes that execution's status, so the board and the store never
keep a run "running" after its cell failed or was interrupted.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from . import execution as ex
from .execution import Execution
from .runtime import get_runtime
from .values import check_encodable

STATUSES = (ex.SUCCEEDED, ex.FAILED, ex.INTERRUPTED)


class Run:
    """A started execution and the means to end it (made by :func:`run`).

    ``execution`` is the live :class:`~cellflux.Execution`; ``ended`` tells
    whether it ended (by :meth:`end`, or with its enclosing execution).
    """

    def __init__(self, name: str, params: Mapping[str, Any] | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"run(): name must be a non-empty str, got {name!r}")
        check_encodable("run()", "name", name)
        rt = get_runtime()
        self._runtime = rt
        # Never parentless: the task, cell or script it runs in ends it at the latest.
        self._outer = rt.resolve()
        self.execution: Execution = rt.start(name, "run", self._outer)
        self._thread = threading.get_ident()
        self._token = ex.current.set(self.execution)
        rt.task_entered(False)
        self._outer.on_end.append(self._end_with_outer)
        if params:
            self.execution.set_params(params)

    def __repr__(self) -> str:
        return f"Run({self.execution!r})"

    @property
    def ended(self) -> bool:
        return self.execution.status is not ex.RUNNING

    def set_params(self, params: Mapping[str, Any]) -> None:
        """Add hyperparameters to the run (see :meth:`cellflux.Execution.set_params`)."""
        self.execution.set_params(params)

    def end(self, error: BaseException | None = None, *, status: str | None = None) -> None:
        """End the run: succeeded, or as ``error`` says (interrupted for KeyboardInterrupt,
        else failed), or with ``status`` given. A second call does nothing."""
        if status is None:
            status = ex.status_after(error)
        elif status not in STATUSES:
            raise ValueError(f"Run.end(): status must be one of {STATUSES}, got {status!r}")
        self._finish(status)

    def _end_with_outer(self, status: str) -> None:
        self._finish(status)

    def _finish(self, status: str) -> None:
        if self.ended:
            return
        try:
            self._outer.on_end.remove(self._end_with_outer)
        except ValueError:
            pass  # the outer execution is ending and already let go of its list
        rt = self._runtime
        try:
            rt.end(self.execution, status)
        finally:
            rt.task_exited(False, self._thread)
            if threading.get_ident() == self._thread:
                try:
                    ex.current.reset(self._token)
                except ValueError:  # ended from another context (an async callback, a generator)
                    ex.current.set(self._outer if self._outer.status is ex.RUNNING else None)

    def __enter__(self) -> Execution:
        return self.execution

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.end(error)


def run(name: str, *, params: Mapping[str, Any] | None = None) -> Run:
    """Start an execution named ``name`` now; end it with ``.end()`` or use it in ``with``.

    >>> import cellflux as cf
    >>> with cf.run("fit", params={"lr": 0.01}) as execution:
    ...     cf.Metric("loss").record(0.5, at=1)
    >>> execution.status, execution.params
    ('succeeded', {'lr': 0.01})
    """
    return Run(name, params)

