"""Leading and trailing throttle, per (execution, metric key).

The first point of a window is reported at once; within the window the latest
point waits as *pending* and is reported when the window closes (by the
:class:`Flusher`), at ``cf.flush()`` or at the end of the execution, whichever
comes first. So at most one point per window, and the final value always lands.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from typing import Any, Callable, Protocol

from .series import Run, Series
from .values import to_at
from .warn import warn

Point = tuple[float, float]

AUTO, EXPLICIT = 1, 2
"""A key's x mode: seconds since the execution started, or the ``at=`` given."""


class Gated(Protocol):
    """A metric object whose fast path may hold the latest point of a state (see gate.py)."""

    def _take_gated(self, state: KeyState) -> Point | None: ...


class KeyState:
    """Throttle state of one metric key in one execution; owns its series."""

    __slots__ = (
        "execution", "key", "series", "window", "deadline", "pending", "lock", "mode",
        "last_at", "gated", "warned", "scheduled",
    )

    def __init__(self, execution: Run, series: Series, window: float) -> None:
        self.execution = execution
        self.key = series.key
        self.series = series
        self.window = window
        self.deadline = float("-inf")
        """Clock time at which the current window closes."""
        self.pending: Point | None = None
        self.lock = threading.Lock()
        self.mode = 0
        """AUTO or EXPLICIT once the key has a point (0 before)."""
        self.last_at: float | None = None
        """The latest ``at=`` reported, for the order check."""
        self.gated: set[Gated] = set()
        """Metric objects whose fast path was armed for this state."""
        self.warned: set[str] = set()
        self.scheduled = False

    def offer(self, now: float, x: float, y: float, schedule: Callable[[Timed, float], None]) -> None:
        """Report a point taken at clock time ``now``; caller holds ``lock``."""
        if self.window == 0.0:
            self.series.append(x, y)
        elif now >= self.deadline:
            if self.pending is not None:
                # The flusher is late: the waiting point closes the old window, and
                # this one waits in the new window, as if the flusher had been on time.
                self.series.append(*self.pending)
                self.pending = (x, y)
            else:
                self.series.append(x, y)
            self.deadline = now + self.window
            if not self.scheduled:
                self.scheduled = True
                schedule(self, self.deadline)
        else:
            self.pending = (x, y)

    def x_of(self, at: Any, auto_x: float) -> float | None:
        """The x of a point recorded now, or None when it is dropped; caller holds ``lock``.

        ``auto_x`` is the seconds since the execution started. A key keeps the mode
        of its first point: ``at=`` after auto x is ignored, auto x after ``at=``
        switches to auto for good (one warning each); an ``at=`` that does not
        increase is dropped (one warning). Warnings point at the ``record()`` call.
        """
        if at is None:
            if self.mode == EXPLICIT and self.warn_once("mixed"):
                warn(f"metric {self.key!r}: recorded without at= after explicit at= values; "
                     "x is seconds since the execution started from now on", 4)
            self.mode = AUTO
            self.series.x_auto = True
            return auto_x
        x = to_at(self.key, at)
        if self.mode == AUTO:
            if self.warn_once("mixed"):
                warn(f"metric {self.key!r}: at= ignored after values recorded without it; "
                     "x stays seconds since the execution started", 4)
            return auto_x
        self.mode = EXPLICIT
        if self.series.x_auto is None:
            self.series.x_auto = False
        last = self.last_at
        if last is not None and x <= last:
            if self.warn_once("order"):
                warn(f"metric {self.key!r}: at={x!r} is not after the previous "
                     f"at={last!r}; value dropped (further drops are silent)", 4)
            return None
        self.last_at = x
        return x

    def take_gated(self) -> Point | None:
        """The newest point that a fast path holds for this key; caller holds ``lock``.

        Each Metric object of the key may hold one. Taking it disarms that
        object's gate, so that its next ``record()`` takes the slow path.
        """
        newest = None
        for metric in list(self.gated):
            point = metric._take_gated(self)
            if point is not None:
                newest = point
        return newest

    def collect(self) -> Point | None:
        """The newest unreported point, gated or pending; caller holds ``lock``."""
        point = self.take_gated()
        if point is None:
            point = self.pending
        elif point[1] - point[1] != 0.0 and self.warn_once("nonfinite"):
            warn(f"metric {self.key!r}: non-finite value {point[1]!r} kept and drawn as a gap")
        self.pending = None
        return point

    def close_window(self, now: float, schedule: Callable[[Timed, float], None]) -> None:
        """The flusher's visit at the deadline: report the pending point, if any."""
        with self.lock:
            self.scheduled = False
            if now < self.deadline:
                self.scheduled = True
                schedule(self, self.deadline)
                return
            point = self.collect()
            if point is not None:
                self.series.append(*point)
                self.deadline = now + self.window
                self.scheduled = True
                schedule(self, self.deadline)

    def drain(self) -> None:
        """Report the pending point now (flush, execution end)."""
        with self.lock:
            point = self.collect()
            if point is not None:
                self.series.append(*point)

    def warn_once(self, cause: str) -> bool:
        if cause in self.warned:
            return False
        self.warned.add(cause)
        return True


class Timed(Protocol):
    """Something the flusher visits at a deadline (a KeyState, a progress counter)."""

    def close_window(self, now: float, schedule: Callable[[Timed, float], None]) -> None: ...


class Flusher:
    """Closes throttle windows on time: one per runtime, a thread or driven by hand.

    With ``thread=False`` nothing runs by itself and tests call :meth:`run_due`
    after advancing their fake clock.
    """

    def __init__(self, clock: Callable[[], float], *, thread: bool = True) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Timed]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._use_thread = thread
        self._thread: threading.Thread | None = None
        self._stopped = False

    def schedule(self, state: Timed, when: float) -> None:
        with self._lock:
            first = not self._heap or when < self._heap[0][0]
            heapq.heappush(self._heap, (when, next(self._seq), state))
        if self._use_thread:
            if self._thread is None:
                self._start()
            if first:
                self._wake.set()

    def run_due(self) -> int:
        """Close every window whose deadline has passed; return how many."""
        done = 0
        while True:
            now = self._clock()
            with self._lock:
                if not self._heap or self._heap[0][0] > now:
                    return done
                _, _, state = heapq.heappop(self._heap)
            state.close_window(now, self.schedule)
            done += 1

    def next_deadline(self) -> float | None:
        with self._lock:
            return self._heap[0][0] if self._heap else None

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def after_fork(self) -> None:
        """In a forked child the thread is gone: start afresh, lazily."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="cellflux-flusher", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopped:
            self.run_due()
            deadline = self.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self._clock())
            self._wake.wait(timeout)
            self._wake.clear()
