"""Exponential moving average of a drawn line, debiased at the start: pure numpy.

The same formula as ``js/src/smoothing.js``, which smooths the live charts in the
browser; ``js/tests/fixtures/smoothing.json`` holds a test vector that both test
suites check, so the two cannot drift apart.

With ``strength`` w in [0, 1) and the finite values y1, y2, ... of the line:

    acc_n = w * acc_(n-1) + (1 - w) * y_n,   acc_0 = 0
    smoothed_n = acc_n / (1 - w ** n)

The division (TensorBoard's debiasing) undoes the pull of ``acc_0 = 0``: the first
smoothed value is the first value, not (1 - w) times it. A non-finite value (NaN,
an infinity) is a gap: its smoothed value is NaN and it changes nothing after it.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["MAX_STRENGTH", "smooth"]

MAX_STRENGTH = 0.999
"""Strengths are clamped to [0, MAX_STRENGTH]: at 1 the average would never move."""

Floats = npt.NDArray[np.float64]


def smooth(ys: npt.ArrayLike, strength: float) -> Floats:
    """The debiased EMA of ``ys`` (see the module docstring); ``strength`` 0 returns a copy.

    >>> smooth([1.0, 3.0, float("nan"), 3.0], 0.5).tolist()
    [1.0, 2.3333333333333335, nan, 2.7142857142857144]
    """
    values = np.asarray(ys, dtype=np.float64).ravel()
    w = min(max(float(strength), 0.0), MAX_STRENGTH) if math.isfinite(strength) else 0.0
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    if w == 0.0:
        out[finite] = values[finite]
        return out
    # A loop over the drawn points (a few thousand at most): the recurrence has no
    # numerically safe closed form in numpy (w ** -n overflows on long lines).
    acc, weight = 0.0, 1.0
    for i in np.flatnonzero(finite).tolist():
        acc = w * acc + (1.0 - w) * float(values[i])
        weight *= w
        out[i] = acc / (1.0 - weight)
    return out
