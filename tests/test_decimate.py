"""Min/max decimation: extremes, ends and gaps survive, output stays bounded, cost stays flat."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellflux.display.decimate import Decimator, decimate


def feed(d: Decimator, xs: np.ndarray, ys: np.ndarray, step: int) -> None:
    for i in range(0, len(xs), step):
        d.extend(xs[i : i + step], ys[i : i + step])


def reference(xs: np.ndarray, ys: np.ndarray, width: int) -> tuple[list[float], list[float]]:
    """What the output must be at ``width``, computed bucket by bucket in plain Python."""
    n = len(xs)
    out: list[tuple[float, float]] = [(xs[0], ys[0])]
    for start in range(0, n, width):
        bucket = range(start, min(start + width, n))
        finite = [i for i in bucket if math.isfinite(ys[i])]
        chosen = set()
        if finite:
            chosen.add(min(finite, key=lambda i: (ys[i], i)))
            chosen.add(min(finite, key=lambda i: (-ys[i], i)))
        gap = next((i for i in bucket if not math.isfinite(ys[i])), None)
        picks = [(xs[i], i, ys[i]) for i in chosen] + ([(xs[gap], gap, math.nan)] if gap is not None else [])
        out += [(x, y) for x, i, y in sorted(picks) if 0 < i < n - 1]
    if n > 1:
        out.append((xs[-1], ys[-1]))
    return [x for x, _ in out], [y if math.isfinite(y) else math.nan for _, y in out]


def test_single_spike_in_ten_million_points_survives() -> None:
    n = 10_000_000
    xs = np.arange(n, dtype=np.float64)
    ys = np.zeros(n)
    ys[6_543_210] = 1e3
    ys[1_234_567] = -5.0
    out_x, out_y = decimate(xs, ys, 2000)
    assert len(out_x) <= 2000
    assert out_y.max() == 1e3 and out_x[out_y.argmax()] == 6_543_210
    assert out_y.min() == -5.0 and out_x[out_y.argmin()] == 1_234_567


def test_first_and_last_points_are_kept() -> None:
    rng = np.random.default_rng(1)
    xs = np.cumsum(rng.uniform(0.1, 1, 100_000))
    ys = rng.normal(size=100_000)
    out_x, out_y = decimate(xs, ys, 300)
    assert (out_x[0], out_y[0]) == (xs[0], ys[0])
    assert (out_x[-1], out_y[-1]) == (xs[-1], ys[-1])
    assert len(out_x) <= 300
    assert np.all(np.diff(out_x) > 0), "monotonic input stays monotonic, without duplicates"


def test_output_never_exceeds_max_points_even_with_gaps_everywhere() -> None:
    rng = np.random.default_rng(2)
    ys = rng.normal(size=50_000)
    ys[::7] = np.nan
    ys[3::11] = np.inf
    d = Decimator(100)
    for step in (1, 3, 50, 1000):
        feed(d, np.arange(len(ys), dtype=np.float64)[d.count :][: step * 20], ys[d.count :][: step * 20], step)
        assert len(d.points()[0]) <= 100
    feed(d, np.arange(d.count, len(ys), dtype=np.float64), ys[d.count :], 777)
    xs, out = d.points()
    assert len(xs) <= 100
    assert np.isnan(out).any()
    assert not np.isinf(out).any(), "infinities become gaps, never coordinates"


def test_nan_gap_is_kept_where_it_was() -> None:
    n = 1_000_000
    xs = np.arange(n, dtype=np.float64)
    ys = np.sin(xs / 1000)
    ys[400_000] = np.nan
    ys[700_000] = -np.inf
    out_x, out_y = decimate(xs, ys, 1000)
    gaps = out_x[np.isnan(out_y)]
    assert list(gaps) == [400_000.0, 700_000.0]
    assert np.isfinite(out_y[0]) and np.isfinite(out_y[-1])


def test_small_line_is_returned_whole() -> None:
    xs = np.arange(5.0)
    ys = np.array([1.0, np.inf, 3.0, np.nan, 5.0])
    out_x, out_y = decimate(xs, ys, 10)
    assert list(out_x) == list(xs)
    assert np.array_equal(out_y, [1.0, np.nan, 3.0, np.nan, 5.0], equal_nan=True)


def test_matches_a_bucket_by_bucket_reference() -> None:
    rng = np.random.default_rng(3)
    xs = np.arange(20_000, dtype=np.float64)
    ys = rng.integers(0, 5, 20_000).astype(np.float64)  # many ties: the first one wins
    ys[rng.integers(0, 20_000, 300)] = np.nan
    d = Decimator(200)
    feed(d, xs, ys, 333)
    got_x, got_y = d.points()
    ref_x, ref_y = reference(list(xs), list(ys), d.width)  # type: ignore[arg-type]
    assert list(got_x) == ref_x
    assert np.array_equal(got_y, ref_y, equal_nan=True)


def test_width_is_the_smallest_power_of_two_that_fits() -> None:
    d = Decimator(2000)
    d.extend(np.arange(1_000_000.0), np.zeros(1_000_000))
    def buckets(width: int) -> int:
        return 1_000_000 // width

    assert 2 * buckets(d.width) + 5 <= 2000 < 2 * buckets(d.width // 2) + 5
    assert d.width & (d.width - 1) == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(-1e6, 1e6), st.sampled_from([math.nan, math.inf, -math.inf])),
        min_size=1,
        max_size=400,
    ),
    st.lists(st.integers(1, 60), min_size=1, max_size=20),
    st.integers(8, 40),
)
def test_many_small_extends_equal_one_big_one(values: list[float], steps: list[int], max_points: int) -> None:
    ys = np.array(values)
    xs = np.arange(len(ys), dtype=np.float64)
    piecewise = Decimator(max_points)
    i = 0
    for step in steps * (len(ys) // sum(steps) + 1):
        piecewise.extend(xs[i : i + step], ys[i : i + step])
        i += step
        seen_x, _ = piecewise.points()  # reading between extends must not change the result
        assert len(seen_x) <= max_points
        assert seen_x.size == 0 or (seen_x[0] == 0 and seen_x[-1] == min(i, len(ys)) - 1)
    whole = Decimator(max_points)
    whole.extend(xs, ys)
    (px, py), (wx, wy) = piecewise.points(), whole.points()
    assert piecewise.width == whole.width
    assert np.array_equal(px, wx) and np.array_equal(py, wy, equal_nan=True)
    assert len(px) <= max_points
    ref_x, ref_y = reference(list(xs), list(ys), whole.width)  # type: ignore[arg-type]
    assert list(px) == ref_x and np.array_equal(py, ref_y, equal_nan=True)
    finite = ys[np.isfinite(ys)]
    if finite.size:
        assert np.nanmax(py) == finite.max() and np.nanmin(py) == finite.min()


def test_non_monotonic_x_is_accepted_and_ordered_within_buckets() -> None:
    xs = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.0] * 1000)
    ys = np.arange(6000.0) % 7
    out_x, out_y = decimate(xs, ys, 100)
    assert len(out_x) <= 100
    assert out_y.max() == 6.0 and out_y.min() == 0.0


def test_extend_cost_does_not_grow_with_the_points_held() -> None:
    """Counted work, not time: 100 ticks of 50 points cost the same at 1k and 2M points held."""

    def work_per_tick(held: int) -> float:
        d = Decimator(2000)
        d.extend(np.arange(held, dtype=np.float64), np.zeros(held))
        before = d.work
        for t in range(100):
            start = held + 50 * t
            d.extend(np.arange(start, start + 50, dtype=np.float64), np.ones(50))
            d.points()
        return (d.work - before) / 100

    small, large = work_per_tick(1_000), work_per_tick(2_000_000)
    assert large <= 2 * small
    assert large < 1_000  # about the 50 new points, not the 2M held


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        Decimator(3)
    with pytest.raises(TypeError, match="int"):
        Decimator(2000.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="3 x values but 2 y values"):
        Decimator().extend([1, 2, 3], [1, 2])
