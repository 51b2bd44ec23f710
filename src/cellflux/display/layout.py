"""Which chart, y-axis and progress bar each metric gets: pure, shared by the
live board and the static snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ..definitions import MetricGroup, MetricScale

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
"""Line colours, in order of the lines on a board (live and static alike)."""
TIME_UNITS = ((3 * 3600, 3600.0, "time (h)"), (180, 60.0, "time (min)"), (0, 1.0, "time (s)"))
"""Auto x is seconds; from 3 minutes on it is shown in minutes, from 3 hours in hours."""


class SeriesInfo(Protocol):
    """What the layout needs to know of a metric (a live Series or a stored one)."""

    key: str
    group: MetricGroup | None
    scale: MetricScale | None
    x_auto: bool | None


@dataclass
class AxisSpec:
    """One y-axis of a chart."""

    label: str
    lower: float | None
    upper: float | None
    side: str
    """"left" or "right"."""
    offset: int
    """0 for the first axis on its side, 1 for the next one further out, ..."""


@dataclass
class LineSpec:
    key: str
    axis: int
    """Index into ``ChartSpec.axes``."""


@dataclass
class ChartSpec:
    """One chart: a MetricGroup, or a metric without a group (titled by its key)."""

    title: str
    x_label: str
    x_lower: float | None
    x_upper: float | None
    axes: list[AxisSpec] = field(default_factory=list)
    lines: list[LineSpec] = field(default_factory=list)
    bars: list[str] = field(default_factory=list)
    """Keys of the progress metrics shown above the chart."""


def layout(series: Iterable[SeriesInfo]) -> list[ChartSpec]:
    """Charts in order of first appearance; progress metrics become bars of their chart.

    Within a group, metrics sharing a scale name share an axis; an unnamed scale
    (or none) gets a private axis. Axes alternate left, right, left (offset) ...
    """
    charts: dict[str, ChartSpec] = {}
    scale_axes: dict[tuple[str, str], int] = {}
    auto: dict[str, bool] = {}
    for s in series:
        slot = f"g:{s.group.name}" if s.group is not None else f"k:{s.key}"
        chart = charts.get(slot)
        if chart is None:
            group = s.group
            chart = ChartSpec(
                title=group.name if group is not None else s.key,
                x_label=group.units or "" if group is not None else "",
                x_lower=group.lower if group is not None else None,
                x_upper=group.upper if group is not None else None,
            )
            charts[slot] = chart
        if s.scale is not None and s.scale.progress:
            chart.bars.append(s.key)
            continue
        if s.x_auto:
            auto[slot] = True
        scale = s.scale
        if scale is not None and scale.name is not None and (slot, scale.name) in scale_axes:
            axis = scale_axes[(slot, scale.name)]
        else:
            axis = len(chart.axes)
            chart.axes.append(_axis(s, scale, axis))
            if scale is not None and scale.name is not None:
                scale_axes[(slot, scale.name)] = axis
        chart.lines.append(LineSpec(s.key, axis))
    for slot, chart in charts.items():
        if not chart.x_label and auto.get(slot):
            chart.x_label = "time (s)"
    return list(charts.values())


def _axis(s: SeriesInfo, scale: MetricScale | None, index: int) -> AxisSpec:
    if scale is None:
        label, lower, upper = s.key, None, None
    else:
        name = scale.name or s.key
        label = f"{name} ({scale.units})" if scale.units else name
        lower, upper = scale.lower, scale.upper
    return AxisSpec(label, lower, upper, "left" if index % 2 == 0 else "right", index // 2)


def time_unit(spec: ChartSpec, last_x: float) -> tuple[float, str]:
    """The x-axis unit of a static chart, as ``(divisor, label)``: auto x (seconds) runs in
    minutes from 3 minutes on and in hours from 3 hours on, as on the live board."""
    if spec.x_label != "time (s)":
        return 1.0, spec.x_label
    for threshold, divisor, label in TIME_UNITS:
        if last_x >= threshold:
            return divisor, label
    return 1.0, spec.x_label
