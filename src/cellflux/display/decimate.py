"""Min/max decimation of one line, incremental: pure numpy, no widget imports.

A displayed line keeps at most about ``max_points`` points whatever the length
of the series, and a live board feeds it only the points reported since its
last tick, so a tick costs time in proportion to the new points.

How it works. Points are numbered in report order ``0, 1, ..., n-1``. They are
summarised in *buckets* of ``width`` consecutive points, ``width`` a power of
two. For each bucket we keep three candidate points: the one with the lowest
finite y, the one with the highest finite y, and the first non-finite one (a
*gap*). Buckets are mergeable (the min of two buckets is the lower of their
mins, first one on ties), so when there are too many of them, adjacent pairs
merge and the width doubles. The table of buckets and its numpy are
``buckets.py``; this module decides which points go into which bucket and when
buckets merge.

Invariant, after every :meth:`Decimator.extend`:

* complete bucket ``j`` summarises exactly points ``[j*width, (j+1)*width)``;
  ``complete = n // width``, and one partial bucket summarises
  ``[complete*width, n)``;
* ``width`` is the smallest power of two, never below its earlier value, with
  ``2*complete + gaps + 5 <= max_points``, ``gaps`` being the number of complete
  buckets holding a non-finite value. The output is the first point, up to two
  points per complete bucket plus one per gap bucket, up to three for the
  partial bucket, and the last point: so never more than ``max_points`` points.

Because that condition only tightens as ``n`` grows and only loosens as
``width`` grows, the state depends on the points alone, not on how they were
split into calls: many small ``extend`` calls give exactly the output of one
big call. The cost of a call is O(new points) to reduce them, plus the merges;
a merge costs O(max_points) and at least halves the buckets, so the next one
waits for about ``max_points/6 * width`` more points: amortised O(1) per point.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .buckets import Buckets

__all__ = ["Decimator", "decimate"]

Floats = npt.NDArray[np.float64]

_EDGE = 5
"""Output points not counted in the buckets: the first, the last, a partial bucket."""
_MIN_POINTS = 8


class Decimator:
    """Keeps ~``max_points`` points of a growing line: first, last, and per bucket the extremes.

    >>> d = Decimator(max_points=100)
    >>> d.extend(np.arange(10_000.0), np.sin(np.arange(10_000.0)))
    >>> xs, ys = d.points()
    >>> len(xs) <= 100, float(xs[0]), float(xs[-1])
    (True, 0.0, 9999.0)
    """

    __slots__ = (
        "max_points", "width", "count", "complete", "gaps", "_buckets", "_first", "_last",
        "_settled", "_settled_x", "_settled_y",
    )

    def __init__(self, max_points: int = 2000) -> None:
        if isinstance(max_points, bool) or not isinstance(max_points, int):
            raise TypeError(f"Decimator: max_points must be an int, got {type(max_points).__name__}")
        if max_points < _MIN_POINTS:
            raise ValueError(f"Decimator: max_points must be at least {_MIN_POINTS}, got {max_points}")
        self.max_points = max_points
        self.width = 1
        """Points per bucket: a power of two."""
        self.count = 0
        """Points received so far."""
        self.complete = 0
        """Complete buckets; the partial bucket is row ``complete``."""
        self.gaps = 0
        """Complete buckets holding a non-finite y."""
        self._buckets = Buckets(self._max_buckets + 2)
        self._first = (0.0, 0.0)
        self._last = (0.0, 0.0)
        self._settled = 0
        """Buckets whose output points are cached in ``_settled_x/_y``: they no longer change."""
        self._settled_x = np.empty(0)
        self._settled_y = np.empty(0)

    def __len__(self) -> int:
        return self.count

    def __repr__(self) -> str:
        return f"Decimator({self.count} points, width={self.width}, max_points={self.max_points})"

    @property
    def last(self) -> tuple[float, float] | None:
        """The latest point as given (its y may be non-finite), or None before any."""
        return self._last if self.count else None

    @property
    def work(self) -> int:
        """Array elements touched so far: a cost measure for tests and benchmarks."""
        return self._buckets.work

    @property
    def nbytes(self) -> int:
        """Bytes of numpy data held."""
        return self._buckets.nbytes + self._settled_x.nbytes + self._settled_y.nbytes

    @property
    def _max_buckets(self) -> int:
        return (self.max_points - _EDGE) // 2

    # -- input ---------------------------------------------------------------------------

    def extend(self, xs: npt.ArrayLike, ys: npt.ArrayLike) -> None:
        """Add points that follow those given before (``x`` in report order)."""
        x = np.asarray(xs, dtype=np.float64).ravel()
        y = np.asarray(ys, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(f"Decimator.extend: {x.size} x values but {y.size} y values")
        k = x.size
        if k == 0:
            return
        n = self.count
        if n == 0:
            self._first = (float(x[0]), float(y[0]))
        self._last = (float(x[-1]), float(y[-1]))
        # Widen first, so that a big call is reduced at its final width, not merged down.
        while (n + k) // self.width > self._max_buckets:
            self._merge_pairs()
        w = self.width
        filled = n - self.complete * w
        start = 0
        if filled:  # top up the partial bucket
            take = min(k, w - filled)
            self._buckets.add(self.complete, x[:take], y[:take], n)
            start = take
            if filled + take == w:
                self._close(1)
        full = (k - start) // w
        if full:  # whole buckets at once
            stop = start + full * w
            self._buckets.fill(self.complete, x[start:stop].reshape(full, w), y[start:stop].reshape(full, w), n + start)
            self._close(full)
            start = stop
        if start < k:  # the rest opens the next partial bucket
            self._buckets.add(self.complete, x[start:], y[start:], n + start)
        self.count = n + k
        while 2 * self.complete + self.gaps + _EDGE > self.max_points:
            self._merge_pairs()

    def _close(self, rows: int) -> None:
        """The partial bucket and the next ``rows - 1`` are complete; the one after them is the new partial one."""
        c = self.complete
        self.gaps += self._buckets.gaps(c, c + rows)
        self.complete = c + rows
        self._buckets.clear(c + rows, c + rows + 1)

    def _merge_pairs(self) -> None:
        """Merge buckets ``2j`` and ``2j+1`` (the partial one included): width doubles."""
        n = self.count
        rows = self.complete + (1 if n > self.complete * self.width else 0)
        pairs = self._buckets.merge_pairs(rows)
        self.width *= 2
        self.complete = n // self.width
        self._buckets.clear(pairs, pairs + 1)
        self.gaps = self._buckets.gaps(0, self.complete)
        self._settled, self._settled_x, self._settled_y = 0, np.empty(0), np.empty(0)

    # -- output --------------------------------------------------------------------------

    def points(self) -> tuple[Floats, Floats]:
        """The decimated line: at most ``max_points`` points, in report order by bucket.

        The first and the last point are always there; each bucket gives its
        lowest and highest finite point and, if it holds a non-finite value, a
        point with y NaN where the first one was, so a line drawn through the
        output breaks there. Within a bucket, points are in x order.
        """
        n = self.count
        if n == 0:
            return np.empty(0), np.empty(0)
        rows = self.complete + (1 if n > self.complete * self.width else 0)
        # A complete bucket that does not hold the last point changes only when
        # buckets merge, so its output is computed once (a tick costs O(new buckets)).
        settled = min(self.complete, (n - 1) // self.width)
        if settled > self._settled:
            new_x, new_y = self._buckets.points(self._settled, settled, n)
            self._settled_x = np.concatenate((self._settled_x, new_x))
            self._settled_y = np.concatenate((self._settled_y, new_y))
            self._settled = settled
        tail_x, tail_y = self._buckets.points(settled, rows, n)
        last = 1 if n > 1 else 0
        out_x = np.concatenate(([self._first[0]], self._settled_x, tail_x, [self._last[0]][:last]))
        out_y = np.concatenate(([self._first[1]], self._settled_y, tail_y, [self._last[1]][:last]))
        out_y[~np.isfinite(out_y)] = np.nan
        return out_x, out_y


def decimate(xs: npt.ArrayLike, ys: npt.ArrayLike, max_points: int = 2000) -> tuple[Floats, Floats]:
    """A line of at most ``max_points`` points that keeps every spike of ``(xs, ys)``.

    A line that fits is returned whole (non-finite y as NaN); a longer one as one
    :meth:`Decimator.extend` then :meth:`Decimator.points` would give it.

    >>> xs, ys = decimate(np.arange(1e6), np.r_[np.zeros(500_000), 9.0, np.zeros(499_999)], 50)
    >>> len(xs) <= 50, float(ys.max())
    (True, 9.0)
    """
    d = Decimator(max_points)
    x = np.asarray(xs, dtype=np.float64).ravel()
    y = np.asarray(ys, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"decimate: {x.size} x values but {y.size} y values")
    if x.size <= max_points:
        y = np.where(np.isfinite(y), y, np.nan)
        return x.copy(), y
    d.extend(x, y)
    return d.points()
