"""``Progress``: a progress bar driven by calls, for loops that a framework runs.

:func:`cellflux.progress` wraps an iterable; a training framework iterates
itself and calls back after each batch, so ``Progress`` is told instead:
``update(n)`` adds to the count, ``close()`` ends the bar. It records like
``progress()`` does: the count on an unnamed progress scale with ``upper`` set
to the total, auto x (seconds) so the board shows rate and ETA, the final
count always, and a bar that is closed before its total (or by an exception)
is marked stopped (failed if its execution fails).
"""

from __future__ import annotations

from types import TracebackType

from .definitions import MetricGroup
from .metric import Metric
from .progress import checked_total, progress_scale
from .runtime import get_runtime
from .series import Series

STATES = ("done", "stopped", "failed")


class Progress:
    """A progress bar ``key`` of ``total`` items (None: unknown), advanced by :meth:`update`.

    >>> import cellflux as cf
    >>> bar = cf.Progress("batch", total=3)
    >>> for _ in range(3):
    ...     bar.update()
    >>> bar.close()
    >>> bar.count, bar.state
    (3, 'done')
    """

    def __init__(self, key: str = "progress", *, group: str | MetricGroup | None = None, total: int | None = None):
        if total is not None:
            total = checked_total(key, total)
        scale = progress_scale(key, total)
        self.total = total
        self.count = 0
        self._metric = Metric(key, group=group, scale=scale)
        self._metric.record(0.0)
        self._state = get_runtime().resolve().states[key]
        self._series: Series = self._state.series
        self._series.scale = scale  # a new loop over the same key may have a new total
        self._series.state = "running"
        self._closed = False

    def __repr__(self) -> str:
        total = "?" if self.total is None else self.total
        return f"Progress({self._metric.key!r}, {self.count}/{total}, {self.state})"

    @property
    def key(self) -> str:
        return self._metric.key

    @property
    def state(self) -> str:
        """running, done, stopped or failed."""
        return self._series.state or "running"

    def update(self, n: int = 1) -> None:
        """Add ``n`` items done (throttled like any metric; the final count always lands)."""
        if self._closed:
            return
        self.count += n
        self._metric.record(float(self.count))

    def close(self, state: str | None = None) -> None:
        """End the bar: done when the total is reached (or unknown), else stopped; or ``state``."""
        if self._closed:
            return
        if state is None:
            state = "done" if self.total is None or self.count >= self.total else "stopped"
        elif state not in STATES:
            raise ValueError(f"progress {self.key!r}: state must be one of {STATES}, got {state!r}")
        self._closed = True
        series = self._series
        self._state.drain()
        series.state = state
        if state == "done":
            get_runtime().series_finished(series)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(None if error is None else "stopped")
