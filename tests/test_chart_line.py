"""A new line's mark waits on idle scales until its first points, which move it onto the
chart's scales in the same update, before the controls' meta names it (see chart.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import comm
import numpy as np
import pytest

from cellflux import config
from cellflux.display.chart import Chart
from cellflux.display.layout import AxisSpec, ChartSpec, LineSpec

from .recording_comm import RecordingComm


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(**kw))
    config.update(controls=True)
    yield


def spec(*keys: str) -> ChartSpec:
    return ChartSpec("train", "step", None, None, [AxisSpec("loss", None, None, "left", 0)],
                     [LineSpec(key, 0) for key in keys])


def meta_keys(changes: list[tuple[Any, dict[str, Any]]]) -> list[list[str]]:
    return [[line["key"] for line in traits["meta"]["lines"]] for _, traits in changes if "meta" in traits]


def send(changes: list[tuple[Any, dict[str, Any]]]) -> None:
    for widget, traits in changes:  # as the board does
        with widget.hold_sync():
            for name, value in traits.items():
                setattr(widget, name, value)


def test_a_joining_line_moves_onto_the_shared_scales_with_its_first_points(recorded: None) -> None:
    chart = Chart(spec("fast"))
    fast = chart.lines["fast"]
    fast.take(np.arange(3.0), np.ones(3))
    first = chart.changes()
    mark_update = next(traits for widget, traits in first if widget is fast.mark)
    assert list(mark_update) == ["scales", "x", "y"]  # the move comes before the points
    assert mark_update["scales"] == {"x": chart.x_scale, "y": chart.y_scales[0]}
    assert meta_keys(first) == [["fast"]]
    assert [w for w, _ in first].index(fast.mark) < [w for w, _ in first].index(chart.controls)
    send(first)

    chart.grow(spec("fast", "rare"))  # a metric on the same scale joins the chart on the page
    rare = chart.lines["rare"]
    assert rare.mark.scales == chart.idle_scales and rare.parked
    assert rare.mark in chart.figure.marks
    fast.take(np.arange(3.0, 5.0), np.ones(2))
    assert meta_keys(chart.changes()) == []  # rare has no points: not named yet
    rare.take(np.array([4.0]), np.array([2.0]))
    second = chart.changes()
    widgets = [w for w, _ in second]
    assert dict(second)[rare.mark]["scales"] == {"x": chart.x_scale, "y": chart.y_scales[0]}
    assert meta_keys(second) == [["fast", "rare"]]
    assert widgets.index(rare.mark) < widgets.index(chart.controls)


def test_an_unsent_move_is_offered_again(recorded: None) -> None:
    chart = Chart(spec("fast"))
    line = chart.lines["fast"]
    line.take(np.arange(3.0), np.ones(3))
    chart.changes()
    chart.unsent(line.mark)  # over the message budget: nothing went out
    again = dict(chart.changes())
    assert again[line.mark]["scales"] == {"x": chart.x_scale, "y": chart.y_scales[0]}
    assert meta_keys(list(again.items())) == [["fast"]]
