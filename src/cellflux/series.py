"""Full-resolution storage of one metric's points, readable incrementally."""

from __future__ import annotations

import threading
from array import array
from typing import Protocol

import numpy as np
import numpy.typing as npt

from .definitions import MetricGroup, MetricScale

CHUNK = 1 << 16
"""Points per chunk: a full chunk is exactly 16 bytes per point (x and y float64)."""
_ZEROS = array("d", [0.0])  # repeated, not grown: arrays built by growth over-allocate

Floats = npt.NDArray[np.float64]


class Run(Protocol):
    """What a series knows of the execution it belongs to.

    A live :class:`~cellflux.execution.Execution`, or the view of a stored run
    that a board replays. Sinks use it to tell executions apart.
    """

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def t0(self) -> float:
        """Clock reading at the start: auto x is seconds since then."""


class Series:
    """The points of one metric key in one execution, in the order reported.

    Storage is a list of fixed-size ``array('d')`` chunks, so memory is 16 bytes
    per point plus one partly filled chunk, and appends never move old data.
    Readers keep their own cursor (a point count) and ask for what is new since.
    """

    __slots__ = (
        "key", "execution", "group", "scale", "state", "x_auto", "_xs", "_ys", "_cx", "_cy", "_i", "_n",
        "_lock", "__weakref__",
    )

    def __init__(
        self,
        key: str,
        execution: Run,
        group: MetricGroup | None = None,
        scale: MetricScale | None = None,
    ) -> None:
        self.key = key
        self.execution = execution
        self.group = group
        self.scale = scale
        self.state: str | None = "running" if scale is not None and scale.progress else None
        """Progress series only: running, done, stopped or failed."""
        self.x_auto: bool | None = None
        """True when x is seconds since the execution started, False for explicit ``at``."""
        self._xs: list[array[float]] = []
        self._ys: list[array[float]] = []
        self._cx = self._cy = array("d")
        self._i = CHUNK
        self._n = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"Series({self.key!r}, {self._n} points)"

    def append(self, x: float, y: float) -> None:
        # "with", never acquire() then try: a KeyboardInterrupt can land just after
        # acquire() returns, before the try, and would leave the lock held for good
        # (the next append, at the end of the interrupted execution, then hangs).
        with self._lock:
            i = self._i
            if i == CHUNK:
                self._cx = _ZEROS * CHUNK
                self._cy = _ZEROS * CHUNK
                self._xs.append(self._cx)
                self._ys.append(self._cy)
                i = 0
            self._cx[i] = x
            self._cy[i] = y
            self._i = i + 1
            self._n += 1

    def extend(self, xs: Floats, ys: Floats) -> None:
        """Append many points at once (a store read back, a watched run)."""
        n = min(len(xs), len(ys))
        with self._lock:
            done = 0
            while done < n:
                if self._i == CHUNK:
                    self._cx = _ZEROS * CHUNK
                    self._cy = _ZEROS * CHUNK
                    self._xs.append(self._cx)
                    self._ys.append(self._cy)
                    self._i = 0
                take = min(CHUNK - self._i, n - done)
                np.frombuffer(self._cx, dtype=np.float64)[self._i:self._i + take] = xs[done:done + take]
                np.frombuffer(self._cy, dtype=np.float64)[self._i:self._i + take] = ys[done:done + take]
                self._i += take
                self._n += take
                done += take

    def read(self, start: int = 0, stop: int | None = None) -> tuple[Floats, Floats]:
        """Copies of the x and y values of points ``start`` (a cursor) to ``stop``."""
        n = self._n if stop is None else min(stop, self._n)
        start = max(0, min(start, n))
        return self._gather(self._xs, start, n), self._gather(self._ys, start, n)

    def last(self) -> tuple[float, float] | None:
        n = self._n
        if n == 0:
            return None
        i = (n - 1) % CHUNK
        c = (n - 1) // CHUNK
        return self._xs[c][i], self._ys[c][i]

    @staticmethod
    def _gather(chunks: list[array[float]], start: int, stop: int) -> Floats:
        if stop <= start:
            return np.empty(0, dtype=np.float64)
        first, last = start // CHUNK, (stop - 1) // CHUNK
        parts = []
        for c in range(first, last + 1):
            lo = start - c * CHUNK if c == first else 0
            hi = stop - c * CHUNK if c == last else CHUNK
            parts.append(np.frombuffer(chunks[c], dtype=np.float64)[lo:hi])
        return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()
