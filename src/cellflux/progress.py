"""``progress()``: iterate and record how many items are done."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import TypeVar

from .definitions import MetricGroup, MetricScale
from .metric import Metric
from .runtime import get_runtime
from .throttle import KeyState, Timed

T = TypeVar("T")


def checked_total(key: str, total: object) -> int:
    """A progress bar's ``total`` given by the user: a non-negative int, else a clear error."""
    try:
        number = operator.index(total)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"progress {key!r}: total must be an int, got {type(total).__name__}") from None
    if number < 0:
        raise ValueError(f"progress {key!r}: total must not be negative, got {number}")
    return number


def progress_scale(key: str, total: int | None) -> MetricScale:
    """The y-scale a progress bar draws on: 0 to ``total``."""
    try:
        return MetricScale(progress=True, lower=0 if total != 0 else None, upper=total)
    except ValueError as error:  # a total beyond the float range
        raise ValueError(f"progress {key!r}: {error}") from None


def progress(
    iterable: Iterable[T],
    key: str = "progress",
    *,
    group: str | MetricGroup | None = None,
    total: int | None = None,
) -> Iterator[T]:
    """Yield the items of ``iterable``, recording the count done as a progress bar.

    The count ``1..N`` is recorded as items complete (sampled at the metric's
    throttle rate; the final count always lands), on an unnamed progress scale
    with ``upper=N``, N being ``total`` or ``len(iterable)``. Iterables without a
    length are streamed, never materialised. ``break`` or an exception records
    the count reached and marks the bar stopped (failed if the execution fails).

    >>> [x for x in progress(range(3), key="demo")]
    [0, 1, 2]
    """
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    else:
        total = checked_total(key, total)
    scale = progress_scale(key, total)
    metric = Metric(key, group=group, scale=scale)
    metric.record(0.0)
    state = metric._state
    assert state is not None
    state.series.scale = scale  # a new loop over the same key may have a new total
    return _Counter(state).wrap(iter(iterable))


class _Counter:
    """Counts items in C (zip with itertools.count) and samples the count on a timer.

    The per-item cost is that of ``map(itemgetter(0), zip(it, count()))``; the
    runtime's flusher samples the counter once per throttle window and records the
    count of completed items, and the end of the loop (or its abandonment) records
    the final count at once.
    """

    def __init__(self, state: KeyState) -> None:
        self.state = state
        self.counter = itertools.count(1)
        self.active = True
        self.last = 0.0
        state.series.state = "running"
        self.runtime = get_runtime()  # the runtime that record() above went to

    def wrap(self, it: Iterator[T]) -> Iterator[T]:
        items = map(operator.itemgetter(0), zip(it, self.counter))
        tail = self._tail()
        next(tail)
        self.runtime.flusher.schedule(self, self.runtime.clock() + self._period())
        return itertools.chain(items, tail)  # type: ignore[arg-type,unused-ignore]

    def _started(self) -> int:
        reduced: tuple[object, tuple[int]] = self.counter.__reduce__()  # type: ignore[assignment]
        return reduced[1][0] - 1

    def _period(self) -> float:
        return self.state.window or 0.1

    def _tail(self) -> Generator[None, None, None]:
        # Primed before use: resumed by chain() when the items run out, or closed
        # (GeneratorExit) when the loop drops the iterator early.
        finished = False
        try:
            yield
            finished = True
        finally:
            self._finish(finished)
        return

    def _sample(self, done: int) -> None:
        if done != self.last:
            self.last = float(done)
            rt = self.runtime
            now = rt.clock()
            with self.state.lock:
                self.state.offer(now, now - self.state.execution.t0, self.last, rt.flusher.schedule)

    def close_window(self, now: float, schedule: Callable[[Timed, float], None]) -> None:
        """The flusher's periodic visit: record the count of completed items."""
        if not self.active:
            return
        self._sample(max(0, self._started() - 1))
        schedule(self, now + self._period())

    def _finish(self, finished: bool) -> None:
        if not self.active:
            return
        self.active = False
        started = self._started()
        self._sample(started if finished else max(0, started - 1))
        self.state.drain()
        self.state.series.state = "done" if finished else "stopped"
        if finished:  # a stopped bar may yet turn "failed" when its execution ends
            self.runtime.series_finished(self.state.series)
