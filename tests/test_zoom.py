"""Zoomed decimation (display/zoom.py): the points drawn in a zoomed window are the stored ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cellflux.display.zoom import ZoomWindow, first_at_or_after
from cellflux.series import Series


class _Run:
    id, name, t0 = "run", "run", 0.0


def series_of(xs: np.ndarray, ys: np.ndarray) -> Series:
    s = Series("loss", _Run())
    s.extend(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
    return s


def test_a_narrow_window_shows_every_stored_point_in_it_and_one_each_side() -> None:
    rng = np.random.default_rng(3)
    xs = np.arange(100_000, dtype=float)
    ys = rng.normal(size=xs.size)
    window = ZoomWindow.read(series_of(xs, ys), 5_000.5, 6_200.0, stop=xs.size)
    wx, wy = window.points()
    np.testing.assert_array_equal(wx, xs[5_000:6_202])  # 5000 is the point before, 6201 the one after
    np.testing.assert_array_equal(wy, ys[5_000:6_202])


def test_a_wide_window_keeps_the_extremes_of_the_stored_points() -> None:
    xs = np.arange(1_000_000, dtype=float)
    ys = np.sin(xs / 5000)
    ys[400_123] = 50.0  # a spike inside the window
    ys[10] = -50.0  # and one outside it
    window = ZoomWindow.read(series_of(xs, ys), 300_000.0, 700_000.0, stop=xs.size)
    wx, wy = window.points()
    assert len(wx) <= 2000
    assert wx[0] == 299_999.0 and wx[-1] == 700_001.0
    assert 50.0 in wy and -50.0 not in wy
    stored = dict(zip(xs.tolist(), ys.tolist()))
    assert all(stored[x] == y for x, y in zip(wx.tolist(), wy.tolist()))  # every point drawn is a stored one


def test_points_arriving_later_fill_the_window_then_close_it() -> None:
    xs = np.arange(0, 50, dtype=float)
    s = series_of(xs, xs * 2)
    window = ZoomWindow.read(s, 40.0, 60.0, stop=len(s))
    assert not window.closed and len(window) == 11  # 39..49
    assert window.extend(np.array([50.0, 55.0]), np.array([100.0, 110.0]))
    assert window.extend(np.array([60.0, 61.0, 62.0]), np.array([1.0, 2.0, 3.0]))
    assert window.closed
    assert not window.extend(np.array([70.0]), np.array([4.0]))  # nothing more is drawn or sent
    wx, _ = window.points()
    assert wx[-2:].tolist() == [60.0, 61.0]


def test_gaps_in_the_window_stay_gaps() -> None:
    xs = np.arange(20, dtype=float)
    ys = xs.copy()
    ys[7] = math.nan
    ys[8] = math.inf
    wx, wy = ZoomWindow.read(series_of(xs, ys), 5.0, 10.0, stop=20).points()
    assert wx.tolist() == [4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]
    assert np.isnan(wy[3]) and np.isnan(wy[4]) and wy[2] == 6.0


def test_only_the_points_the_line_has_taken_are_read() -> None:
    s = series_of(np.arange(100.0), np.zeros(100))
    wx, _ = ZoomWindow.read(s, 10.0, 90.0, stop=50).points()
    assert wx[-1] == 49.0


def test_repeated_x_values_and_bisection() -> None:
    s = series_of(np.array([0.0, 1.0, 1.0, 1.0, 2.0, 3.0]), np.arange(6.0))
    assert first_at_or_after(s, 1.0, 6) == 1
    assert first_at_or_after(s, 1.5, 6) == 4
    assert first_at_or_after(s, 9.0, 6) == 6
    assert first_at_or_after(s, -1.0, 6) == 0


def test_a_window_before_or_after_the_data() -> None:
    s = series_of(np.arange(10.0), np.arange(10.0))
    assert ZoomWindow.read(s, 20.0, 30.0, stop=10).points()[0].tolist() == [9.0]
    assert ZoomWindow.read(s, -5.0, -1.0, stop=10).points()[0].tolist() == [0.0]
    with pytest.raises(ValueError):
        ZoomWindow(3.0, 3.0)
