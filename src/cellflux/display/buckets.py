"""The bucket table of the decimator: per bucket of consecutive points, the few that represent it.

Row ``j`` of the table summarises one bucket with three candidate points, each
kept as its index in report order (``-1``: none), x and y: the lowest finite y
(``lo``), the highest finite y (``hi``) and the first non-finite y (``gap``).
Rows are filled from blocks of points, and two adjacent rows merge into one
(the lower of the lows, the higher of the highs, the first of the gaps; the
earlier point on ties). Which points go into which row, and when rows merge, is
the decimator's business (``decimate.py``): this module only does the numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Buckets"]

Floats = npt.NDArray[np.float64]


class Buckets:
    """A fixed number of rows of candidate points, in numpy columns."""

    __slots__ = ("lo_i", "lo_x", "lo_y", "hi_i", "hi_x", "hi_y", "gap_i", "gap_x", "work")

    def __init__(self, rows: int) -> None:
        self.lo_i = np.full(rows, -1, dtype=np.int64)
        self.lo_x = np.zeros(rows)
        self.lo_y = np.full(rows, np.inf)
        self.hi_i = np.full(rows, -1, dtype=np.int64)
        self.hi_x = np.zeros(rows)
        self.hi_y = np.full(rows, -np.inf)
        self.gap_i = np.full(rows, -1, dtype=np.int64)
        self.gap_x = np.zeros(rows)
        self.work = 0
        """Array elements touched so far: a cost measure for tests and benchmarks."""

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._columns())

    def _columns(self) -> tuple[npt.NDArray[Any], ...]:
        return self.lo_i, self.lo_x, self.lo_y, self.hi_i, self.hi_x, self.hi_y, self.gap_i, self.gap_x

    def clear(self, start: int, stop: int) -> None:
        """Rows ``start..stop-1`` summarise no point."""
        self.lo_i[start:stop] = -1
        self.lo_y[start:stop] = np.inf
        self.hi_i[start:stop] = -1
        self.hi_y[start:stop] = -np.inf
        self.gap_i[start:stop] = -1

    def gaps(self, start: int, stop: int) -> int:
        """How many of rows ``start..stop-1`` hold a non-finite point."""
        return int(np.count_nonzero(self.gap_i[start:stop] >= 0))

    def fill(self, row: int, x: Floats, y: Floats, base: int) -> None:
        """Rows ``row...`` from a ``(rows, width)`` block: one row of points each, the first numbered ``base``."""
        rows, w = y.shape
        self.work += y.size
        at = np.arange(rows)
        offsets = base + at * w
        part = slice(row, row + rows)
        finite = np.isfinite(y)
        if finite.all():
            lo = y.argmin(axis=1)
            hi = y.argmax(axis=1)
            lo_y, hi_y = y[at, lo], y[at, hi]
            lo_i, hi_i = offsets + lo, offsets + hi
            self.gap_i[part] = -1
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
            self.gap_i[part] = np.where(bad.any(axis=1), offsets + gap, -1)
            self.gap_x[part] = x[at, gap]
        self.lo_i[part], self.lo_x[part], self.lo_y[part] = lo_i, x[at, lo], lo_y
        self.hi_i[part], self.hi_x[part], self.hi_y[part] = hi_i, x[at, hi], hi_y

    def add(self, row: int, x: Floats, y: Floats, base: int) -> None:
        """Fold a run of points, the first numbered ``base``, into row ``row``."""
        self.work += y.size
        finite = np.isfinite(y)
        if finite.any():
            lo = int(np.where(finite, y, np.inf).argmin())
            hi = int(np.where(finite, y, -np.inf).argmax())
            # Strict comparisons: on ties the earlier point (already in the row) stays.
            if self.lo_i[row] < 0 or y[lo] < self.lo_y[row]:
                self.lo_i[row], self.lo_x[row], self.lo_y[row] = base + lo, x[lo], y[lo]
            if self.hi_i[row] < 0 or y[hi] > self.hi_y[row]:
                self.hi_i[row], self.hi_x[row], self.hi_y[row] = base + hi, x[hi], y[hi]
        if self.gap_i[row] < 0 and not finite.all():
            gap = int((~finite).argmax())
            self.gap_i[row], self.gap_x[row] = base + gap, x[gap]

    def merge_pairs(self, rows: int) -> int:
        """Merge rows ``2j`` and ``2j+1`` into row ``j``, for the first ``rows`` rows; return the rows left."""
        pairs = (rows + 1) // 2
        self.work += rows
        if rows % 2:
            self.clear(rows, rows + 1)  # an empty right neighbour for the last row
        left, right = slice(0, 2 * pairs, 2), slice(1, 2 * pairs, 2)
        lo_right = (self.lo_i[right] >= 0) & ((self.lo_i[left] < 0) | (self.lo_y[right] < self.lo_y[left]))
        hi_right = (self.hi_i[right] >= 0) & ((self.hi_i[left] < 0) | (self.hi_y[right] > self.hi_y[left]))
        gap_right = self.gap_i[left] < 0
        for column, pick in (
            (self.lo_i, lo_right), (self.lo_x, lo_right), (self.lo_y, lo_right),
            (self.hi_i, hi_right), (self.hi_x, hi_right), (self.hi_y, hi_right),
            (self.gap_i, gap_right), (self.gap_x, gap_right),
        ):
            column[:pairs] = np.where(pick, column[right], column[left])
        return pairs

    def points(self, start: int, stop: int, n: int) -> tuple[Floats, Floats]:
        """The candidate points of rows ``start..stop-1``, but the first and the last of all ``n``.

        Each row gives its low and high (one point if they are the same) and its
        gap as a point with y NaN, in x order within the row.
        """
        rows = stop - start
        if rows <= 0:
            return np.empty(0), np.empty(0)
        self.work += rows
        part = slice(start, stop)
        idx = np.stack([self.lo_i[part], self.hi_i[part], self.gap_i[part]], axis=1)
        xs = np.stack([self.lo_x[part], self.hi_x[part], self.gap_x[part]], axis=1)
        ys = np.stack([self.lo_y[part], self.hi_y[part], np.full(rows, np.nan)], axis=1)
        keep = (idx > 0) & (idx < n - 1)
        keep[:, 1] &= idx[:, 1] != idx[:, 0]  # a bucket with a single finite point
        row = np.broadcast_to(np.arange(rows)[:, None], idx.shape)
        order = np.lexsort((idx[keep], xs[keep], row[keep]))
        return xs[keep][order], ys[keep][order]
