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
merge and the width doubles.

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

__all__ = ["Decimator", "decimate"]

Floats = npt.NDArray[np.float64]
_Ints = npt.NDArray[np.int64]
_Bools = npt.NDArray[np.bool_]

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
        "max_points", "width", "count", "complete", "gaps", "work", "_first", "_last",
        "_lo_i", "_lo_x", "_lo_y", "_hi_i", "_hi_x", "_hi_y", "_gap_i", "_gap_x",
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
        self.work = 0
        """Array elements touched so far: a cost measure for tests and benchmarks."""
        self._first = (0.0, 0.0)
        self._last = (0.0, 0.0)
        rows = (max_points - _EDGE) // 2 + 2
        self._lo_i = np.full(rows, -1, dtype=np.int64)
        self._lo_x = np.zeros(rows)
        self._lo_y = np.full(rows, np.inf)
        self._hi_i = np.full(rows, -1, dtype=np.int64)
        self._hi_x = np.zeros(rows)
        self._hi_y = np.full(rows, -np.inf)
        self._gap_i = np.full(rows, -1, dtype=np.int64)
        self._gap_x = np.zeros(rows)
        self._settled = 0
        """Buckets whose output points are cached in ``_settled_x/_y``: they no longer change."""
        self._settled_x = np.empty(0)
        self._settled_y = np.empty(0)

    def __len__(self) -> int:
        return self.count

    @property
    def last(self) -> tuple[float, float] | None:
        """The latest point as given (its y may be non-finite), or None before any."""
        return self._last if self.count else None

    def __repr__(self) -> str:
        return f"Decimator({self.count} points, width={self.width}, max_points={self.max_points})"

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
        if filled:
            take = min(k, w - filled)
            self._reduce_into_partial(x[:take], y[:take], n)
            start = take
            if filled + take == w:
                self._close_rows(1)
        rest = k - start
        full = rest // w
        if full:
            stop = start + full * w
            self._reduce_rows(x[start:stop].reshape(full, w), y[start:stop].reshape(full, w), n + start)
            self._close_rows(full)
            start = stop
        if start < k:
            self._reduce_into_partial(x[start:], y[start:], n + start)
        self.count = n + k
        while 2 * self.complete + self.gaps + _EDGE > self.max_points:
            self._merge_pairs()

    @property
    def _max_buckets(self) -> int:
        return (self.max_points - _EDGE) // 2

    def _close_rows(self, rows: int) -> None:
        c = self.complete
        self.gaps += int(np.count_nonzero(self._gap_i[c : c + rows] >= 0))
        self.complete = c + rows
        self._clear(c + rows, c + rows + 1)

    def _clear(self, start: int, stop: int) -> None:
        self._lo_i[start:stop] = -1
        self._lo_y[start:stop] = np.inf
        self._hi_i[start:stop] = -1
        self._hi_y[start:stop] = -np.inf
        self._gap_i[start:stop] = -1

    def _reduce_rows(self, x: Floats, y: Floats, base: int) -> None:
        """Summarise each row of ``(rows, width)`` blocks into buckets ``complete...``."""
        rows, w = y.shape
        self.work += y.size
        c = self.complete
        at = np.arange(rows)
        offsets = base + at * w
        finite = np.isfinite(y)
        if finite.all():
            lo = y.argmin(axis=1)
            hi = y.argmax(axis=1)
            lo_y, hi_y = y[at, lo], y[at, hi]
            lo_i, hi_i = offsets + lo, offsets + hi
            self._gap_i[c : c + rows] = -1
        else:
            lo = np.where(finite, y, np.inf).argmin(axis=1)
            hi = np.where(finite, y, -np.inf).argmax(axis=1)
            lo_y, hi_y = y[at, lo], y[at, hi]
            lo_i = np.where(np.isfinite(lo_y), offsets + lo, -1)
            hi_i = np.where(np.isfinite(hi_y), offsets + hi, -1)
            lo_y = np.where(lo_i >= 0, lo_y, np.inf)
            hi_y = np.where(hi_i >= 0, hi_y, -np.inf)
            bad = ~finite
            gap = bad.argmax(axis=1)
            self._gap_i[c : c + rows] = np.where(bad.any(axis=1), offsets + gap, -1)
            self._gap_x[c : c + rows] = x[at, gap]
        self._lo_i[c : c + rows], self._lo_x[c : c + rows], self._lo_y[c : c + rows] = lo_i, x[at, lo], lo_y
        self._hi_i[c : c + rows], self._hi_x[c : c + rows], self._hi_y[c : c + rows] = hi_i, x[at, hi], hi_y

    def _reduce_into_partial(self, x: Floats, y: Floats, base: int) -> None:
        """Fold a run of points (continuing the partial bucket) into it."""
        self.work += y.size
        c = self.complete
        finite = np.isfinite(y)
        if finite.any():
            lo = int(np.where(finite, y, np.inf).argmin())
            hi = int(np.where(finite, y, -np.inf).argmax())
            # Strict comparisons: on ties the earlier point (already in the bucket) stays.
            if self._lo_i[c] < 0 or y[lo] < self._lo_y[c]:
                self._lo_i[c], self._lo_x[c], self._lo_y[c] = base + lo, x[lo], y[lo]
            if self._hi_i[c] < 0 or y[hi] > self._hi_y[c]:
                self._hi_i[c], self._hi_x[c], self._hi_y[c] = base + hi, x[hi], y[hi]
        if self._gap_i[c] < 0 and not finite.all():
            gap = int((~finite).argmax())
            self._gap_i[c], self._gap_x[c] = base + gap, x[gap]

    def _merge_pairs(self) -> None:
        """Merge buckets ``2j`` and ``2j+1`` (the partial one included): width doubles."""
        n, w = self.count, self.width
        rows = self.complete + (1 if n > self.complete * w else 0)
        pairs = (rows + 1) // 2
        self.work += rows
        if rows % 2:
            self._clear(rows, rows + 1)  # an empty right neighbour for the last row
        left, right = slice(0, 2 * pairs, 2), slice(1, 2 * pairs, 2)
        lo_right = (self._lo_i[right] >= 0) & ((self._lo_i[left] < 0) | (self._lo_y[right] < self._lo_y[left]))
        hi_right = (self._hi_i[right] >= 0) & ((self._hi_i[left] < 0) | (self._hi_y[right] > self._hi_y[left]))
        gap_right = self._gap_i[left] < 0
        for column, pick in (
            (self._lo_i, lo_right), (self._lo_x, lo_right), (self._lo_y, lo_right),
            (self._hi_i, hi_right), (self._hi_x, hi_right), (self._hi_y, hi_right),
            (self._gap_i, gap_right), (self._gap_x, gap_right),
        ):
            column[:pairs] = np.where(pick, column[right], column[left])
        self.width = w = 2 * w
        self.complete = n // w
        self._clear(pairs, pairs + 1)
        self.gaps = int(np.count_nonzero(self._gap_i[: self.complete] >= 0))
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
        w = self.width
        rows = self.complete + (1 if n > self.complete * w else 0)
        # A complete bucket that does not hold the last point changes only when
        # buckets merge, so its output is computed once (a tick costs O(new buckets)).
        settled = min(self.complete, (n - 1) // w)
        if settled > self._settled:
            new_x, new_y = self._emit(self._settled, settled, n)
            self._settled_x = np.concatenate((self._settled_x, new_x))
            self._settled_y = np.concatenate((self._settled_y, new_y))
            self._settled = settled
        tail_x, tail_y = self._emit(settled, rows, n)
        last = 1 if n > 1 else 0
        out_x = np.concatenate(([self._first[0]], self._settled_x, tail_x, [self._last[0]][:last]))
        out_y = np.concatenate(([self._first[1]], self._settled_y, tail_y, [self._last[1]][:last]))
        out_y[~np.isfinite(out_y)] = np.nan
        return out_x, out_y

    def _emit(self, start: int, stop: int, n: int) -> tuple[Floats, Floats]:
        """Output points of buckets ``start..stop-1``, without the first and last point."""
        rows = stop - start
        if rows <= 0:
            return np.empty(0), np.empty(0)
        self.work += rows
        part = slice(start, stop)
        idx = np.stack([self._lo_i[part], self._hi_i[part], self._gap_i[part]], axis=1)
        xs = np.stack([self._lo_x[part], self._hi_x[part], self._gap_x[part]], axis=1)
        ys = np.stack([self._lo_y[part], self._hi_y[part], np.full(rows, np.nan)], axis=1)
        keep = (idx > 0) & (idx < n - 1)
        keep[:, 1] &= idx[:, 1] != idx[:, 0]  # a bucket with a single finite point
        row = np.broadcast_to(np.arange(rows)[:, None], idx.shape)
        order = np.lexsort((idx[keep], xs[keep], row[keep]))
        return xs[keep][order], ys[keep][order]


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
