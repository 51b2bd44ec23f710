"""The debiased EMA of display/smoothing.py: a reference computation, the start, gaps, and
the test vector the JS smoothing (js/src/smoothing.js) is checked against too."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cellflux.display.smoothing import MAX_STRENGTH, smooth

VECTOR = Path(__file__).resolve().parents[1] / "js" / "tests" / "fixtures" / "smoothing.json"


def reference(ys: list[float], w: float) -> list[float]:
    """The textbook form, with the bias correction written out as 1 - w**n."""
    out, acc, n = [], 0.0, 0
    for y in ys:
        if not math.isfinite(y):
            out.append(math.nan)
            continue
        n += 1
        acc = w * acc + (1 - w) * y
        out.append(acc / (1 - w**n) if w else y)
    return out


def decode(value: float | str | None) -> float:
    return math.nan if value is None else float(value)


@pytest.mark.parametrize("w", [0.0, 0.25, 0.6, 0.9, 0.99])
def test_matches_the_reference_computation(w: float) -> None:
    rng = np.random.default_rng(7)
    ys = (np.cumsum(rng.normal(size=500)) + 100).tolist()
    np.testing.assert_allclose(smooth(ys, w), reference(ys, w), rtol=1e-12)


def test_the_start_is_not_pulled_towards_zero() -> None:
    ys = [100.0] * 5 + [101.0]
    out = smooth(ys, 0.95)
    assert out[0] == 100.0  # undebiased, it would be 5.0
    np.testing.assert_allclose(out[:5], 100.0, rtol=1e-12)
    assert 100.0 < out[5] < 101.0


def test_a_constant_line_stays_where_it_is_at_any_strength() -> None:
    for w in (0.1, 0.5, 0.99, MAX_STRENGTH):
        np.testing.assert_allclose(smooth([3.5] * 50, w), 3.5, rtol=1e-9)


def test_smoothing_makes_a_noisy_line_smoother() -> None:
    rng = np.random.default_rng(1)
    ys = np.linspace(1, 0, 1000) + rng.normal(scale=0.2, size=1000)
    rough = np.abs(np.diff(ys)).mean()
    assert np.abs(np.diff(smooth(ys, 0.9))).mean() < rough / 5


def test_nan_and_infinities_are_gaps_that_change_nothing_after_them() -> None:
    ys = [1.0, math.nan, 3.0, math.inf, -math.inf, 5.0]
    out = smooth(ys, 0.5)
    assert [math.isnan(v) for v in out] == [False, True, False, True, True, False]
    np.testing.assert_allclose(out[[0, 2, 5]], smooth([1.0, 3.0, 5.0], 0.5), rtol=1e-12)


def test_zero_strength_is_the_line_itself_with_gaps_as_nan() -> None:
    out = smooth([1.0, math.inf, 2.0], 0.0)
    assert out[0] == 1.0 and math.isnan(out[1]) and out[2] == 2.0


def test_strengths_out_of_range_are_clamped() -> None:
    ys = [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(smooth(ys, -1.0), smooth(ys, 0.0))
    np.testing.assert_array_equal(smooth(ys, 5.0), smooth(ys, MAX_STRENGTH))
    np.testing.assert_array_equal(smooth(ys, math.nan), smooth(ys, 0.0))
    assert smooth([], 0.5).shape == (0,)


def test_the_shared_test_vector() -> None:
    cases = json.loads(VECTOR.read_text(encoding="utf-8"))["cases"]
    assert len(cases) >= 5
    for case in cases:
        ys = [decode(v) for v in case["ys"]]
        expected = [decode(v) for v in case["expected"]]
        np.testing.assert_allclose(smooth(ys, case["strength"]), expected, rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(reference(ys, case["strength"]), expected, rtol=1e-12, equal_nan=True)
