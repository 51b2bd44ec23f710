"""The points of a line inside a zoomed x window, at full detail: pure numpy, no widgets.

A live line shows about 2,000 points of however many its series holds (min/max
buckets, :mod:`.decimate`). Zoomed into a window, the chart asks for that window
again: a :class:`ZoomWindow` reads the stored points from the first one at or after
``low`` (and the one before it, so the line enters from the left edge) and decimates
only those. A window that holds up to about 2,000 points shows every stored point in
it; a wider one shows the extremes of each bucket, spikes included.

Points that arrive later are fed by the board as it reads them: the window keeps
those up to ``high`` and the first one past it (the line leaves by the right edge),
then closes, so a chart zoomed into the past sends nothing more for that line.
Series x never decreases (``at`` must increase; auto x is a clock), so the window is
found by bisection, reading O(log n) single points.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from .decimate import Decimator

__all__ = ["ZoomWindow", "first_at_or_after"]

Floats = npt.NDArray[np.float64]
BLOCK = 1 << 16
"""Points read from the series at a time: the window of a huge series never holds it in memory."""


class Readable(Protocol):
    """What a window reads of a series (a live :class:`~cellflux.series.Series`)."""

    def __len__(self) -> int: ...

    def read(self, start: int = 0, stop: int | None = None) -> tuple[Floats, Floats]: ...


def first_at_or_after(series: Readable, x: float, stop: int) -> int:
    """The index of the first of points ``0..stop-1`` whose x is ``>= x`` (``stop`` if none)."""
    low, high = 0, stop
    while low < high:
        mid = (low + high) // 2
        if series.read(mid, mid + 1)[0][0] < x:
            low = mid + 1
        else:
            high = mid
    return low


class ZoomWindow:
    """A line's points with x in ``low..high`` (and one each side), decimated to ``max_points``."""

    __slots__ = ("low", "high", "decimator", "closed", "start")

    def __init__(self, low: float, high: float, max_points: int = 2000) -> None:
        if not low < high:
            raise ValueError(f"ZoomWindow: low ({low}) must be below high ({high})")
        self.low, self.high = float(low), float(high)
        self.decimator = Decimator(max_points)
        self.closed = False
        """A point past ``high`` is in: later points are off the window."""
        self.start = 0
        """Index in the series of the first point of the window."""

    @classmethod
    def read(cls, series: Readable, low: float, high: float, stop: int, max_points: int = 2000) -> ZoomWindow:
        """The window over points ``0..stop-1`` of ``series`` (``stop``: those the line has taken)."""
        window = cls(low, high, max_points)
        window.start = max(0, first_at_or_after(series, low, stop) - 1)
        for begin in range(window.start, stop, BLOCK):
            if not window.extend(*series.read(begin, min(stop, begin + BLOCK))) or window.closed:
                break
        return window

    def extend(self, xs: Floats, ys: Floats) -> bool:
        """Points that follow those given so far; returns whether the window took any."""
        if self.closed or len(xs) == 0:
            return False
        inside = int(np.searchsorted(xs, self.high, side="right"))
        take = min(len(xs), inside + 1)  # and the first point past ``high``
        self.decimator.extend(xs[:take], ys[:take])
        self.closed = inside < len(xs)
        return True

    def points(self) -> tuple[Floats, Floats]:
        """The window's line, non-finite y as NaN (a gap)."""
        return self.decimator.points()

    def __len__(self) -> int:
        return len(self.decimator)

    def __repr__(self) -> str:
        return f"ZoomWindow({self.low:g}..{self.high:g}, {len(self)} points)"
