"""Options of a chart set in code: MetricScale(log=True), MetricGroup(height=), and the
configure() defaults (chart_height, controls)."""

from __future__ import annotations

from collections.abc import Iterator

import comm
import numpy as np
import pytest

import cellflux as cf
from cellflux import config
from cellflux.display.board import Board
from cellflux.display.layout import layout
from cellflux.display.ranges import log_range
from cellflux.runtime import Runtime

from .recording_comm import RecordingComm


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(**kw))
    yield
    config.update(chart_height=None, controls=True)


def test_log_and_height_are_checked() -> None:
    assert cf.MetricScale("loss", log=True).log is True
    assert cf.MetricScale("loss").log is None
    with pytest.raises(TypeError, match="log must be a bool"):
        cf.MetricScale(log="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="progress bar has no log axis"):
        cf.MetricScale(progress=True, upper=10, log=True)
    with pytest.raises(ValueError, match="above 0"):
        cf.MetricScale(lower=0, log=True)
    assert cf.MetricGroup("g", height=420.4).height == 420
    with pytest.raises(ValueError, match="80 to 4000 pixels"):
        cf.MetricGroup("g", height=20)
    with pytest.raises(TypeError, match="number of pixels"):
        cf.MetricGroup("g", height="300px")
    with pytest.raises(TypeError, match="controls must be a bool"):
        cf.configure(controls="no")
    with pytest.raises(ValueError, match="pixels"):
        cf.configure(chart_height=10_000)


def test_a_named_log_scale_is_one_axis_in_the_layout() -> None:
    group = cf.MetricGroup("training", height=500)
    scale = cf.MetricScale("loss", log=True)

    class S:
        def __init__(self, key: str) -> None:
            self.key, self.group, self.scale, self.x_auto = key, group, scale, False

    [spec] = layout([S("train"), S("val")])
    assert spec.height == 500 and len(spec.axes) == 1 and spec.axes[0].log


def test_log_ranges_are_whole_decades_of_the_values_above_zero() -> None:
    assert log_range(0.0123, 45.0) == (0.01, 100.0)
    assert log_range(1e-7, 1e-7) == (1e-7, 1e-6)
    assert log_range(float("inf"), float("-inf")) == (1.0, 10.0)
    assert log_range(0.5, 2, lower=0.1) == (0.1, 10.0)


def test_a_log_axis_is_a_log_scale_whose_range_leaves_out_values_below_zero(rt: Runtime, recorded: None) -> None:
    loss = cf.Metric("loss", group=cf.MetricGroup("training", height=333), scale=cf.MetricScale(log=True), throttle=None)
    for step, value in enumerate([-1.0, 0.0, 0.004, 0.5, 30.0]):
        loss.record(value, at=step)
    exe = cf.current_execution()
    board = Board(exe)
    board.add_series(exe.buffers["loss"])
    board.tick(1 << 30)
    chart = board.charts[0]
    [scale] = chart.y_scales
    assert type(scale).__name__ == "LogScale"
    assert (scale.min, scale.max) == (0.001, 100.0)
    assert chart.figure.layout.height == "333px"
    assert chart.controls is not None and chart.controls.meta["axes"][0]["log"] is True


def test_the_default_height_and_charts_without_controls(rt: Runtime, recorded: None) -> None:
    cf.configure(chart_height=180, controls=False)
    m = cf.Metric("m", throttle=None)
    m.record(1.0)
    exe = cf.current_execution()
    board = Board(exe)
    board.add_series(exe.buffers["m"])
    board.tick(1 << 30)
    chart = board.charts[0]
    assert chart.figure.layout.height == "180px"
    assert chart.controls is None and len(chart.row.children) == 3
    assert chart.figure.display_toolbar is True  # bqplot's own, as before
    np.testing.assert_array_equal(chart.lines["m"].mark.y, [1.0])
