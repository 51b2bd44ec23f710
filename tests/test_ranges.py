"""Axis ranges the kernel sends: they hold the data, never have zero width, and end on ticks."""

from __future__ import annotations

import math
import random

import pytest

from cellflux.display.ranges import axis_range, nice_bounds, tick_step


def d3_ticks(low: float, high: float, count: int = 10) -> list[float]:
    """The ticks d3-array's ``ticks(low, high, count)`` returns (d3-array 3, written out here)."""
    step = (high - low) / count
    power = math.floor(math.log10(step))
    error = step / 10.0**power
    factor = 10 if error >= math.sqrt(50) else 5 if error >= math.sqrt(10) else 2 if error >= math.sqrt(2) else 1
    if power < 0:
        inc = 10.0**-power / factor
        i1, i2 = round(low * inc), round(high * inc)
        i1 += i1 / inc < low
        i2 -= i2 / inc > high
        return [i / inc for i in range(i1, i2 + 1)]
    inc = 10.0**power * factor
    i1, i2 = round(low / inc), round(high / inc)
    i1 += i1 * inc < low
    i2 -= i2 * inc > high
    return [i * inc for i in range(i1, i2 + 1)]


CASES = [
    (0.0, 9999.0), (1.0, 10**9.999), (0.01, 0.01), (0.05, 0.05), (0.0, 0.0), (-5.0, -1.0), (-3.0, 7.0),
    (0.3, 0.7), (1e-9, 3e-9), (123456.0, 123457.0), (1e15, 1e15 + 1), (-0.001, 0.002), (42.0, 42.0),
]


@pytest.mark.parametrize(("low", "high"), CASES)
def test_range_holds_the_data_with_room_and_ends_on_ticks(low: float, high: float) -> None:
    lo, hi = axis_range(low, high)
    assert math.isfinite(lo) and math.isfinite(hi) and lo < hi
    assert lo <= low and hi >= high
    if high > low:  # room above and below, so no point sits on the frame
        assert hi > high and (lo < low or low == 0.0)
    ticks = d3_ticks(lo, hi)
    assert len(ticks) >= 2 and len(set(ticks)) == len(ticks)
    assert ticks[0] == lo and ticks[-1] == hi  # the axis is labelled at both ends


def test_many_random_ranges_end_on_distinct_ticks() -> None:
    rng = random.Random(13)
    for _ in range(5000):
        scale = 10.0 ** rng.uniform(-12, 12)
        low = rng.uniform(-1, 1) * scale
        high = low + rng.choice([0.0, rng.uniform(0, 3) * scale, rng.uniform(0, 1e-6) * scale])
        lo, hi = axis_range(low, high)
        ticks = d3_ticks(lo, hi)
        assert lo <= low and high <= hi and lo < hi, (low, high, lo, hi)
        assert ticks[0] == lo and ticks[-1] == hi, (low, high, lo, hi, ticks)
        assert len(set(ticks)) == len(ticks) >= 2, (low, high, ticks)


def test_a_single_value_gets_a_range_around_it() -> None:
    # The shape that broke bqplot: one point below 0.1 in magnitude.
    assert axis_range(0.05, 0.05) == (0.045, 0.055)
    assert axis_range(0.0, 0.0) == (0.0, 1.0)  # from zero, as time and counts start
    assert axis_range(-2.0, -2.0) == (-2.2, -1.8)


def test_the_room_never_crosses_zero() -> None:
    assert axis_range(0, 9999) == (0.0, 11000.0)  # counts start at 0, not at -1000
    assert axis_range(-9999, 0)[1] == 0.0
    assert axis_range(-1, 9)[0] < -1  # data across zero gets room on both sides


def test_user_bounds_are_kept_as_given() -> None:
    assert axis_range(12, 57, lower=0, upper=100) == (0, 100)
    assert axis_range(12, 57, lower=0) == (0, 60.0)
    assert axis_range(12, 57, upper=100) == (0.0, 100)
    lo, hi = axis_range(3, 4, upper=2)  # all data above the bound: the bound stands
    assert hi == 2 and lo < hi


def test_no_data_yet() -> None:
    assert axis_range(math.inf, -math.inf) == (0.0, 1.0)
    assert axis_range(math.inf, -math.inf, lower=5) == (5, 6.0)
    assert axis_range(math.inf, -math.inf, upper=-3) == (-4.0, -3)


def test_x_axes_get_no_room() -> None:
    assert axis_range(0.0001, 4.3, pad=0.0) == (0.0, 4.5)
    assert axis_range(0, 19, pad=0.0) == (0.0, 20.0)


def test_ranges_near_the_limits_of_float_stay_finite() -> None:
    for low, high in [(-1.7e308, 1.7e308), (1e-310, 2e-310), (1e307, 1.7e308)]:
        lo, hi = axis_range(low, high)
        assert math.isfinite(lo) and math.isfinite(hi) and lo <= low and hi >= high


def test_step_is_d3s() -> None:
    assert tick_step(0, 10) == (1, 0)
    assert tick_step(0, 1) == (1, -1)
    assert tick_step(0, 0.45) == (5, -2)
    assert tick_step(0, 7e-11) == (5, -12) and tick_step(0, 7.5e-11) == (1, -11)
    assert nice_bounds(0.02, 0.98) == (0.0, 1.0)
    assert nice_bounds(3.0, 7.3, fixed_low=True) == (3.0, 7.5)
