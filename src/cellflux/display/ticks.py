"""The numbers of a static chart's axes: the range each one shows and its ticks.

A bound the metric's definition fixes (``MetricScale(lower=, upper=)``,
``MetricGroup(lower=, upper=)``) is kept as it is; a free end is the data's,
widened to a whole tick. Ticks are 1, 2, 2.5 or 5 times a power of ten, about
five per axis, and read like the live board's (``200k``, ``1.5M``, ``0.25``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .ranges import log_range

__all__ = ["Scale", "finite_range", "log_scale", "nice_scale"]

Floats = npt.NDArray[np.float64]


@dataclass
class Scale:
    """The range an axis shows, its ticks and the step between them.

    >>> s = nice_scale(None, None, 3.0, 97.0)
    >>> (s.lower, s.upper), [s.label(t) for t in s.ticks]
    ((0.0, 100.0), ['0', '20', '40', '60', '80', '100'])
    """

    lower: float
    upper: float
    ticks: list[float]
    step: float
    log: bool = False
    """Values are placed by their logarithm; ``step`` is then the ratio between ticks."""

    def fraction(self, values: Floats | float) -> Floats:
        """Where ``values`` lie between ``lower`` (0) and ``upper`` (1); NaN for a value <= 0 on a log scale."""
        v = np.asarray(values, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # data near the float limits
            if not self.log:
                return (v - self.lower) / (self.upper - self.lower)
            low = math.log10(self.lower)
            return np.where(v > 0, (np.log10(np.where(v > 0, v, 1.0)) - low) / (math.log10(self.upper) - low), np.nan)

    def label(self, value: float) -> str:
        """A tick's text: as many decimals as the step needs, ``k``/``M``/``G``/``T`` for large ones."""
        if value == 0:
            return "0"
        if self.log:
            return _log_label(value)
        big = max(abs(self.lower), abs(self.upper))
        if big >= 1e4 and self.step >= 1:
            for divisor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
                if abs(value) >= divisor:
                    return f"{value / divisor:.3g}{suffix}"
            return f"{value:.3g}"
        if big >= 1e4 or self.step < 1e-4:
            return f"{value:.3g}"
        decimals = max(0, -math.floor(math.log10(self.step) + 1e-9))
        if round(self.step / 10.0 ** -decimals, 6) % 1:
            decimals += 1  # a step of 2.5
        return f"{value:.{decimals}f}"


def _nice_step(span: float, target: int = 5) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that cuts ``span`` into at most ``target`` steps."""
    raw = span / target
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * magnitude >= raw * (1 - 1e-9):
            return m * magnitude
    return 10 * magnitude


_HALF_MAX = sys.float_info.max / 2


def nice_scale(lower: float | None, upper: float | None, data_lo: float, data_hi: float) -> Scale:
    """Fixed bounds where given; otherwise the data range widened to whole ticks.

    No finite data: 0..1 (or the fixed bound and a step beside it); flat data
    (one value): a range around it.
    """
    lo = lower if lower is not None else data_lo
    hi = upper if upper is not None else data_hi
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = (lower if lower is not None else 0.0), (upper if upper is not None else 1.0)
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0
        if upper is None:
            hi = lo + pad
        if lower is None or hi <= lo:
            lo = hi - 2 * pad
    try:
        step = _nice_step(hi - lo)
        nice_lo = math.floor(lo / step + 1e-9) * step if lower is None else lo
        nice_hi = math.ceil(hi / step - 1e-9) * step if upper is None else hi
        first = math.ceil(nice_lo / step - 1e-9)
        ticks = [k * step for k in range(first, math.floor(nice_hi / step + 1e-9) + 1)]
        if math.isfinite(nice_lo) and math.isfinite(nice_hi) and nice_hi > nice_lo:
            return Scale(nice_lo, nice_hi, ticks, step)
    except (OverflowError, ValueError):
        pass
    # Data at the ends of the float range (a span that overflows, or one below the
    # smallest subnormal step): no round ticks exist, draw the bare range, halved
    # where its width would overflow (what lies beyond is clipped).
    if not math.isfinite(hi - lo):
        lo, hi = max(lo, -_HALF_MAX), min(hi, _HALF_MAX)
    return Scale(lo, hi, [lo, hi], hi - lo if hi - lo > 0 else max(abs(lo), abs(hi), 1.0))


def log_scale(lower: float | None, upper: float | None, data_lo: float, data_hi: float) -> Scale:
    """A log axis over the positive data ``data_lo..data_hi``: whole decades, a tick on each.

    The range is the live chart's (:func:`~cellflux.display.ranges.log_range`), so a saved
    notebook shows the axis the live board showed. Over more than ten decades only every
    second (third, ...) one has a tick.

    >>> s = log_scale(None, None, 0.003, 2.5)
    >>> [s.label(t) for t in s.ticks]
    ['0.001', '0.01', '0.1', '1', '10']
    """
    low, high = log_range(data_lo, data_hi, lower=lower, upper=upper)
    first, last = math.ceil(math.log10(low) - 1e-9), math.floor(math.log10(high) + 1e-9)
    every = max(1, math.ceil((last - first + 1) / 10))
    ticks = [10.0 ** k for k in range(first, last + 1) if (k - first) % every == 0]
    return Scale(low, high, ticks, 10.0**every, log=True)


def _log_label(value: float) -> str:
    """A power of ten as a short text: ``0.001``, ``1``, ``10k``, ``1e-06``, ``1e+15``."""
    for divisor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if 1e3 * divisor > abs(value) >= divisor:
            return f"{value / divisor:g}{suffix}"
    return f"{value:g}"


def finite_range(arrays: Sequence[Floats]) -> tuple[float, float]:
    """The lowest and highest finite value of all ``arrays``; ``(inf, -inf)`` if there is none."""
    lo, hi = math.inf, -math.inf
    for a in arrays:
        finite = a[np.isfinite(a)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    return lo, hi
