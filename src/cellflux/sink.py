"""The interface between the engine and whatever consumes its points.

Points live in each execution's :class:`~cellflux.series.Series`, which keeps
them at full resolution; a sink is told when executions and series appear and
end, and reads new points from the series with its own cursor, at its own pace
(the store every 200 ms, a board at most 10 times a second). So reporting a
point costs one append, whatever the number of sinks.

A sink may also define, and the runtime then uses:

- ``series_started(series)``: a series got its first point (a board may draw it now);
- ``series_finished(series)``: a progress loop ended (its line may close now);
- ``handle(execution) -> ExecutionHandle | None``: how another process can
  record into ``execution`` through this sink (the store's file), for ``cf.attach``;
- ``close()``: flush and release threads and files (``configure()``, exit);
- ``fork_safe = True``: kept by a forked child, which drops every other sink.

The runtime's default sinks are handed to it in wiring.py.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    def flush(self) -> Delivery | None:
        """Deliver everything reported so far (``cf.flush()``), then return.

        A sink that can fail to deliver (a store whose server is down) says how
        far it got in a :class:`Delivery`; ``cf.flush()`` returns them all.
        """


@dataclass(frozen=True)
class Delivery:
    """What one sink has delivered when its ``flush()`` returns."""

    sink: str
    """The sink, as it may be shown (no password)."""
    delivered: int
    """Points delivered (committed) by this sink so far, this flush and earlier ones."""
    pending: int = 0
    """Points reported but not delivered yet: they are kept and delivered later."""
    dropped: int = 0
    """Points given up since the previous ``flush()`` (a bounded backlog overflowed while the
    sink could not deliver): a flush with nothing pending and nothing dropped means every
    point reported since the previous one is delivered."""
    problem: str | None = None
    """Why the pending points are not delivered, when some are not."""

    @property
    def complete(self) -> bool:
        return self.pending == 0 and self.dropped == 0


@dataclass(frozen=True)
class Flushed:
    """What ``cf.flush()`` got done: true when every sink delivered every point.

    >>> Flushed(())
    Flushed(complete)
    """

    deliveries: tuple[Delivery, ...]

    @property
    def complete(self) -> bool:
        return all(d.complete for d in self.deliveries)

    @property
    def pending(self) -> int:
        """Points reported but not delivered yet, over all sinks."""
        return sum(d.pending for d in self.deliveries)

    @property
    def dropped(self) -> int:
        return sum(d.dropped for d in self.deliveries)

    def __bool__(self) -> bool:
        return self.complete

    def __repr__(self) -> str:
        if self.complete:
            return "Flushed(complete)"
        parts = [f"{d.sink}: {d.pending} points pending, {d.dropped} dropped ({d.problem or 'no error'})"
                 for d in self.deliveries if not d.complete]
        return f"Flushed({'; '.join(parts)})"
