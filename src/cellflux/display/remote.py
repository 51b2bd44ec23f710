"""Points that worker processes write into the store for an execution of this one.

A worker that records with ``cf.attach(handle)`` cannot reach this process's
widgets: it writes to the store under the parent's execution id. The parent's
board reads those rows (by row id, skipping its own) and shows them as series
of their own: as soon as the store says a batch committed (a PostgreSQL
server notifies), else on the store's polling period (twice a second for a
SQLite file, which cannot notify).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..series import Run, Series

if TYPE_CHECKING:
    from ..store.records import Changes, Store

INTERVAL = 0.5


class RemoteFeed:
    """Reads new rows of one execution written by other processes into series."""

    def __init__(
        self, store: Store, execution: Run, *, interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.execution = execution
        self.interval = interval if interval is not None else getattr(store, "poll_interval", INTERVAL)
        self.clock = clock
        self._changes: Changes | None = None
        self.cursor = 0
        self.series: dict[str, Series] = {}
        self._next = 0.0

    def poll(self, add: Callable[[Series], None], taken: Callable[[str], bool], *, force: bool = False) -> None:
        """Read what is new; ``add`` a series for a new key (renamed if ``taken``)."""
        now = self.clock()
        if self._changes is None:
            self._changes = self.store.changes([self.execution.id], others_only=True)
        if not force and now < self._next and not self._changes.wait(0):
            return
        self._next = now + self.interval
        batch = self.store.read_points(self.execution.id, after=self.cursor, exclude_pid=os.getpid())
        self.cursor = batch.cursor
        if not batch.series:
            return
        definitions = self.store.read_metrics(self.execution.id)
        for key, (xs, ys) in batch.series.items():
            series = self.series.get(key)
            definition: Any = definitions.get(key)
            if series is None:
                name = key if not taken(key) else f"{key} (workers)"
                series = Series(name, self.execution,
                                definition.group if definition else None, definition.scale if definition else None)
                self.series[key] = series
                add(series)
            if definition is not None:
                series.x_auto, series.state = definition.x_auto, definition.state
            series.extend(xs, ys)

    def close(self) -> None:
        if self._changes is not None:
            self._changes.close()


def feed_for(runtime: Any, execution: Run) -> RemoteFeed | None:
    """A feed when this runtime writes a store file that other processes can share."""
    for sink in getattr(runtime, "sinks", ()):
        store = getattr(sink, "store", None)
        if store is not None and hasattr(store, "read_points") and getattr(store, "path", ":memory:") != ":memory:":
            return RemoteFeed(store, execution)
    return None
