"""What a chart's controls ask of the kernel: zoomed lines at full detail, and its CSV.

These run in the handler of the controls' comm: on a kernel subshell's thread while
a cell records (see controls.py), or in the main thread once it has finished. The
board's lock, the one its ticker holds while it reads the series and sends a tick,
is held while a request changes the chart, so the two never interleave; series
reads take the series' own lock, and the training loop never waits for either.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from .export import csv_chunks, csv_name
from .layout import TIME_UNITS, ChartSpec
from .zoom import ZoomWindow

__all__ = ["ChartActions", "chart_meta", "send_changes"]


class Chart(Protocol):
    """What these functions read and change of a chart (display/chart.py)."""

    spec: ChartSpec
    figure: Any
    stats: Any
    x_scale: Any
    x_axis: Any
    y_scales: list[Any]
    y_axes: list[Any]
    lines: dict[str, Any]
    colours: dict[str, str]
    x_auto: bool
    time_divisor: float
    window: tuple[float, float] | None
    ranges: dict[int, tuple[float, float]]

    def changes(self) -> list[tuple[Any, dict[str, Any]]]: ...


def send_changes(changes: list[tuple[Any, dict[str, Any]]]) -> int:
    """Set each widget's traits, one comm message per widget; returns the messages sent."""
    for widget, traits in changes:
        with widget.hold_sync():
            for name, value in traits.items():
                setattr(widget, name, value)
    return len(changes)


def chart_meta(chart: Chart) -> dict[str, Any]:
    """What the controls' front end needs to find the chart's models and label its values."""
    spec = chart.spec
    if chart.x_auto:  # seconds, minutes or hours: the unit the axis shows now
        label = next(label for _, divisor, label in TIME_UNITS if divisor == chart.time_divisor)
        x_units = label.removeprefix("time (").removesuffix(")")
    else:
        x_units = spec.x_label
    return {
        "title": spec.title,
        "figure": chart.figure.model_id if chart.figure is not None else None,
        "stats": chart.stats.model_id,
        "x_scale": chart.x_scale.model_id,
        "x_axis": chart.x_axis.model_id,
        "x_units": x_units,
        "x_time": chart.x_auto,
        "x_divisor": chart.time_divisor,
        "axes": [
            {"scale": scale.model_id, "axis": axis.model_id, "label": axis_spec.label, "units": axis_spec.units,
             "log": axis_spec.log}
            for scale, axis, axis_spec in zip(chart.y_scales, chart.y_axes, spec.axes)
        ],
        "lines": [
            {"key": ls.key, "mark": chart.lines[ls.key].mark.model_id, "axis": ls.axis, "colour": chart.colours[ls.key]}
            # A parked line (chart.py) joins once its move onto the chart's scales went out.
            for ls in spec.lines if ls.key in chart.lines and not chart.lines[ls.key].parked
        ],
    }


class ChartActions:
    """The :class:`~.controls.Actions` of one chart of a board."""

    def __init__(self, chart: Chart, lock: threading.Lock, series: Mapping[str, Any]) -> None:
        self.chart = chart
        self.lock = lock
        self.series = series
        """The board's series by key: read, never changed, here."""

    def zoom(self, low: float | None, high: float | None) -> None:
        with self.lock:
            chart = self.chart
            if chart.figure is None or chart.figure.comm is None:
                return  # closed: the board was rebuilt or ended without widgets
            if low is None or high is None:
                chart.window = None
                for line in chart.lines.values():
                    line.window, line.dirty = None, line.count > 0
                chart.ranges.pop(id(chart.x_scale), None)  # the full x range goes out again
            else:
                # The front end speaks in the axis' units (minutes, hours on auto x).
                raw = (low * chart.time_divisor, high * chart.time_divisor)
                chart.window = raw
                for key, line in chart.lines.items():
                    series = self.series.get(key)
                    if series is not None:
                        line.window = ZoomWindow.read(series, *raw, stop=line.cursor)
                        line.dirty = True
            send_changes(chart.changes())

    def csv(self) -> tuple[str, Iterator[bytes]]:
        with self.lock:
            spec = self.chart.spec
            keys = [ls.key for ls in spec.lines]
            x_label = "time (s)" if self.chart.x_auto else spec.x_label
        columns = []
        for key in keys:
            series = self.series.get(key)
            if series is not None:
                columns.append((key, *series.read()))
        return csv_name(spec.title), csv_chunks(x_label, columns)
