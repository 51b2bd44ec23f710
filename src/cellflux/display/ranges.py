"""The range of every axis, computed in the kernel: the front end never takes one from the data.

Why: a bqplot ``LinearScale`` without ``min``/``max`` takes its domain from its marks in
the browser. When a chart's first data is a single value of magnitude below 0.1 (a time
like 0.05 s on auto x, a learning rate), that domain has zero width; bqplot's Axis derives
its tick precision from the (duplicate) ticks of that domain, gets ``undefined``, and
builds the number format ``".undefinedg"``, which throws. The axis keeps that formatter
(it formats the next ticks before it rebuilds it), so every later domain change throws
again, from inside the scale's ``domain_changed`` event: that axis stops redrawing, and
when it is the x-axis, ``LinesModel.update_data`` stops before it sets the y-domain, which
then stays at its empty default 0..1 while the line runs off the chart. Whether it
happens depends on what the board's first tick carries and on whether the figure is
drawn by then: a race, seen in JupyterLab and, less often, in Notebook 7.

So the kernel, which knows each line's min and max, sends every scale an explicit
``min``/``max``: padded, never of zero width, and rounded outward to ticks of the step
d3 will choose for that range, so the axis is labelled at both ends. bqplot's own
padding is turned off (``allow_padding=False``): the axis shows exactly this range.
"""

from __future__ import annotations

import math

TICKS = 10
"""How many ticks d3 aims for on an axis (bqplot asks ``scale.ticks()`` with its default)."""
PAD = 0.05
"""Room above and below the data on a y-axis, as a fraction of its span."""
_E10, _E5, _E2 = math.sqrt(50), math.sqrt(10), math.sqrt(2)


def tick_step(low: float, high: float, count: int = TICKS) -> tuple[int, int]:
    """The tick step d3-array picks for ``low..high`` (``high > low``), as ``(m, e)``: m × 10^e, m in 1, 2, 5."""
    step = (high - low) / count
    power = math.floor(math.log10(step))
    error = step / 10.0**power
    factor = 10 if error >= _E10 else 5 if error >= _E5 else 2 if error >= _E2 else 1
    return (1, power + 1) if factor == 10 else (factor, power)


def _coarser(step: tuple[int, int]) -> tuple[int, int]:
    m, e = step
    return (2, e) if m == 1 else (5, e) if m == 2 else (1, e + 1)


def _divides(fine: tuple[int, int], coarse: tuple[int, int]) -> bool:
    # Whether every multiple of ``coarse`` is a multiple of ``fine`` (both m × 10^e, m in 1, 2, 5).
    return coarse[1] > fine[1] or (coarse[1] == fine[1] and coarse[0] % fine[0] == 0)


def _outward(value: float, step: tuple[int, int], up: bool) -> float:
    # The nearest multiple of ``step`` at or beyond ``value``, computed as d3 computes its
    # ticks (k / 10^-e for steps below 1, which keeps 0.1 exact). A value on a tick but
    # for float noise (0.055 * 1000 = 55.00000000000001) is that tick.
    m, e = step
    divide = e < 0
    increment = 10.0**-e / m if divide else 10.0**e * m
    k = value * increment if divide else value / increment
    n = round(k)
    if abs(k - n) > 1e-9 + 1e-14 * abs(k):
        n = math.ceil(k) if up else math.floor(k)
    return n / increment if divide else n * increment


def nice_bounds(low: float, high: float, *, fixed_low: bool = False, fixed_high: bool = False) -> tuple[float, float]:
    """``low..high`` widened to multiples of a step that the d3 step of the result divides.

    d3 labels the axis every ``tick_step(min, max)``: rounding the ends out to a step it
    divides puts a tick on each. Widening can change d3's step, so steps are tried from
    d3's own for ``low..high`` upward (1, 2, 5, 10, ...) until one holds. A fixed end
    is kept as it is.
    """
    step = tick_step(low, high)
    lo, hi = low, high
    for _ in range(64):
        lo = low if fixed_low else _outward(low, step, up=False)
        hi = high if fixed_high else _outward(high, step, up=True)
        if _divides(tick_step(lo, hi), step):
            break
        step = _coarser(step)
    return lo, hi


def axis_range(
    low: float, high: float, *, lower: float | None = None, upper: float | None = None, pad: float = PAD
) -> tuple[float, float]:
    """The ``(min, max)`` of an axis whose data spans ``low..high``.

    ``low > high`` (e.g. ``inf, -inf``) means no data yet. ``lower``/``upper`` are the
    user's bounds (``MetricScale``, ``MetricGroup``), kept as given. Free ends get ``pad``
    of the span as room, never across zero (a count from 0 starts at 0), then are rounded
    out to ticks. The result is finite and ``min < max``.

    >>> axis_range(0, 9999)
    (0.0, 11000.0)
    >>> axis_range(0.05, 0.05)
    (0.045, 0.055)
    >>> axis_range(12, 57, lower=0)
    (0, 60.0)
    """
    if lower is not None and upper is not None:
        return lower, upper
    if not low <= high:  # no data: the bounds, or 0..1
        lo = lower if lower is not None else (upper - 1.0 if upper is not None else 0.0)
        return lo, upper if upper is not None else lo + 1.0
    lo, hi = float(low), float(high)
    span, size = hi - lo, max(abs(lo), abs(hi))
    if span <= size * 1e-12:  # one value (or float noise): a zero-width domain is what breaks bqplot
        room = 0.1 * size if size > 0 else 1.0
    else:
        room = pad * span
    if math.isfinite(lo - room) and math.isfinite(hi + room):
        lo, hi = lo - room, hi + room
    if low >= 0 > lo:
        lo = 0.0
    if high <= 0 < hi and low < 0:
        hi = 0.0
    if lower is not None:
        lo = lower
        hi = max(hi, lower + (abs(lower) * 0.1 or 1.0))
    if upper is not None:
        hi = upper
        lo = min(lo, upper - (abs(upper) * 0.1 or 1.0))
    try:
        nice = nice_bounds(lo, hi, fixed_low=lower is not None, fixed_high=upper is not None)
    except OverflowError:  # steps near the limits of float: keep the padded range
        return lo, hi
    return nice if math.isfinite(nice[0]) and math.isfinite(nice[1]) else (lo, hi)


def log_range(low: float, high: float, *, lower: float | None = None, upper: float | None = None) -> tuple[float, float]:
    """The ``(min, max)`` of a log axis whose positive data spans ``low..high``: whole decades.

    Values <= 0 have no place on a log axis: ``low`` is the smallest value above 0.
    ``low > high`` means no such value yet. The user's bounds are kept as given.

    >>> log_range(0.003, 2.5)
    (0.001, 10.0)
    >>> log_range(5.0, 5.0)
    (1.0, 10.0)
    """
    if lower is not None and upper is not None:
        return lower, upper
    if not 0 < low <= high or not math.isfinite(high):
        lo, hi = 1.0, 10.0
    else:
        lo = 10.0 ** math.floor(math.log10(low))
        hi = 10.0 ** math.ceil(math.log10(high))
        if hi <= lo:
            hi = lo * 10.0
    lo = lower if lower is not None else lo
    hi = upper if upper is not None else hi
    return (lo, hi) if lo < hi else (lo, lo * 10.0)
