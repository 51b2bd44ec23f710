"""The interface between the engine and whatever consumes its points.

Points live in each execution's :class:`~cellflux.series.Series`, which keeps
them at full resolution; a sink is told when executions and series appear and
end, and reads new points from the series with its own cursor, at its own pace
(the store every 200 ms, a board at most 10 times a second). So reporting a
point costs one append, whatever the number of sinks.

A sink may also define, and the runtime then uses:

- ``series_finished(series)``: a progress loop ended (its line may close now);
- ``handle(execution) -> ExecutionHandle | None``: how another process can
  record into ``execution`` through this sink (the store's file), for ``cf.attach``;
- ``close()``: flush and release threads and files (``configure()``, exit);
- ``fork_safe = True``: kept by a forked child, which drops every other sink.

The runtime's default sinks are handed to it in wiring.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .execution import Execution
    from .series import Series


class Sink(Protocol):
    def execution_started(self, execution: Execution) -> None:
        """An execution began; its series will follow."""

    def series_created(self, series: Series) -> None:
        """A metric key was first recorded in an execution."""

    def execution_ended(self, execution: Execution) -> None:
        """An execution ended; every point it reported is in its series."""

    def flush(self) -> None:
        """Deliver everything reported so far (``cf.flush()``), then return."""
