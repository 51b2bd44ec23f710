"""A log axis on the static board (``MetricScale(log=True)``): decades, the live board's range, values <= 0 left out."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import cellflux as cf
from cellflux.display.ranges import log_range
from cellflux.display.static import render_html
from cellflux.display.ticks import log_scale

from .test_static import by_class, parse, run, series_of, text_of

__all__ = ["run"]  # the fixture


def log_points(series: Any) -> list[tuple[float, float]]:
    """Every drawn point of a metric on a log axis, mapped back to data y through its logarithm."""
    assert series.get("data-log") == "true"
    lo, hi = math.log10(float(series.get("data-lower"))), math.log10(float(series.get("data-upper")))
    px_lo, px_hi = float(series.get("data-px-lower")), float(series.get("data-px-upper"))
    return [(float(x), 10 ** (lo + (float(y) - px_lo) / (px_hi - px_lo) * (hi - lo)))
            for line in by_class(series, "cellflux-line") for x, y in (p.split(",") for p in line.get("points").split())]


def decaying(values: list[float]) -> Any:
    def body() -> None:
        loss = cf.Metric("loss", scale=cf.MetricScale("loss", log=True), throttle=None)
        for step, value in enumerate(values):
            loss.record(value, at=step)
    return body


def test_a_log_axis_has_a_tick_per_decade_and_places_values_by_their_logarithm(run: Any) -> None:
    values = [2.5 * 0.5**i for i in range(12)]  # 2.5 .. 0.0012
    root = parse(render_html(run(decaying(values))))
    axis = next(a for a in by_class(root, "cellflux-axis") if a.get("data-side") == "left")
    assert (float(axis.get("data-lower")), float(axis.get("data-upper"))) == log_range(min(values), max(values))
    assert [t.text for t in axis.iter("{http://www.w3.org/2000/svg}text") if "cellflux-axis-label" not in
            t.get("class", "")] == ["0.001", "0.01", "0.1", "1", "10"]
    drawn = log_points(series_of(root, "loss"))
    assert [y for _, y in drawn] == pytest.approx(values, rel=0.01)  # a tenth of a pixel in log units
    assert not by_class(root, "cellflux-note"), "nothing is left out"


def test_values_at_or_below_zero_are_left_out_with_a_note_not_a_crash(run: Any) -> None:
    root = parse(render_html(run(decaying([1.0, 0.1, 0.0, 0.01, -3.0, 0.001, 0.0001]))))
    lines = by_class(series_of(root, "loss"), "cellflux-line")
    dots = by_class(series_of(root, "loss"), "cellflux-dot")
    assert (len(lines), len(dots)) == (2, 1), "0 and -3 are gaps: [1, 0.1] a line, 0.01 a dot, [0.001, 0.0001] a line"
    notes = by_class(root, "cellflux-note")
    assert [text_of(n) for n in notes] == ["values ≤ 0 are left out of the log scale"]


def test_only_values_at_or_below_zero_still_draw_an_axis(run: Any) -> None:
    root = parse(render_html(run(decaying([0.0, -1.0, -2.0]))))
    axis = next(a for a in by_class(root, "cellflux-axis") if a.get("data-side") == "left")
    assert (float(axis.get("data-lower")), float(axis.get("data-upper"))) == (1.0, 10.0)
    assert by_class(root, "cellflux-note")


@pytest.mark.parametrize(("low", "high", "labels"), [
    (0.5, 3.0, ["0.1", "1", "10"]),
    (2e3, 3e7, ["1k", "10k", "100k", "1M", "10M", "100M"]),
    (1e-6, 1e-5, ["1e-06", "1e-05"]),
])
def test_log_tick_labels(low: float, high: float, labels: list[str]) -> None:
    scale = log_scale(None, None, low, high)
    assert [scale.label(t) for t in scale.ticks] == labels


def test_many_decades_keep_about_ten_ticks() -> None:
    scale = log_scale(None, None, 1e-20, 1e20)
    assert 5 <= len(scale.ticks) <= 11
    assert all(math.isclose(b / a, scale.step) for a, b in zip(scale.ticks, scale.ticks[1:]))


def test_fixed_bounds_are_kept_on_a_log_axis() -> None:
    scale = log_scale(0.01, 100.0, 0.5, 3.0)
    assert (scale.lower, scale.upper) == (0.01, 100.0)
    assert scale.fraction(np.array([0.01, 1.0, 100.0, 0.0, -1.0])).tolist()[:3] == [0.0, 0.5, 1.0]
    assert np.isnan(scale.fraction(np.array([0.0, -1.0]))).all()
