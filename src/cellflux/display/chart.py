"""One chart of a board: a bqplot Figure, its lines and the latest/min/max table.

The only module that imports bqplot.
"""

from __future__ import annotations

import html
import math
from typing import Any

import bqplot
import ipywidgets
import numpy as np

from .decimate import Decimator
from .layout import ChartSpec

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
MAX_POINTS = 2000
_TIME_UNITS = ((3 * 3600, 3600.0, "time (h)"), (180, 60.0, "time (min)"), (0, 1.0, "time (s)"))


class Line:
    """One metric's line: its decimator, its bqplot mark, and running statistics."""

    def __init__(self, key: str, mark: Any) -> None:
        self.key = key
        self.mark = mark
        self.decimator = Decimator(MAX_POINTS)
        self.cursor = 0
        self.count = 0
        self.last = math.nan
        self.last_x = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.dirty = False

    def take(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """New points from the series, since ``cursor``."""
        if len(xs) == 0:
            return
        self.cursor += len(xs)
        self.count += len(xs)
        self.decimator.extend(xs, ys)
        self.last = float(ys[-1])
        self.last_x = max(self.last_x, float(np.nanmax(xs)))
        finite = ys[np.isfinite(ys)]
        if len(finite):
            self.min = min(self.min, float(finite.min()))
            self.max = max(self.max, float(finite.max()))
        self.dirty = True


class Chart:
    """The widgets of one ChartSpec: a Figure (if it has lines) and a stats table."""

    def __init__(self, spec: ChartSpec, palette_offset: int = 0) -> None:
        self.spec = spec
        self.x_auto = spec.x_label == "time (s)"
        self.time_divisor = 1.0
        self.x_scale = bqplot.LinearScale(min=spec.x_lower, max=spec.x_upper)
        self.x_axis = bqplot.Axis(scale=self.x_scale, label=spec.x_label, side="bottom", grid_lines="solid")
        self.y_scales = [bqplot.LinearScale(min=a.lower, max=a.upper) for a in spec.axes]
        self.lines: dict[str, Line] = {}
        axes: list[Any] = [self.x_axis]
        colours: dict[int, str] = {}
        marks = []
        for i, line in enumerate(spec.lines):
            colour = PALETTE[(palette_offset + i) % len(PALETTE)]
            colours.setdefault(line.axis, colour)
            mark = bqplot.Lines(
                x=np.zeros(0), y=np.zeros(0),
                scales={"x": self.x_scale, "y": self.y_scales[line.axis]},
                colors=[colour], labels=[line.key], display_legend=True, stroke_width=1.5,
            )
            marks.append(mark)
            self.lines[line.key] = Line(line.key, mark)
        for index, (spec_axis, scale) in enumerate(zip(spec.axes, self.y_scales)):
            shared = sum(1 for line in spec.lines if line.axis == index) > 1
            axis = bqplot.Axis(
                scale=scale, side=spec_axis.side, label=spec_axis.label,
                grid_lines="solid" if index == 0 else "none",
                color=None if shared else colours.get(index), label_color=None if shared else colours.get(index),
            )
            if spec_axis.offset:
                axis.offset = {"value": -0.12 * spec_axis.offset if spec_axis.side == "left" else 1 + 0.12 * spec_axis.offset}
            axes.append(axis)
        self.figure: Any = None
        if marks:
            right = 60 + 60 * max((a.offset for a in spec.axes if a.side == "right"), default=-1) if any(
                a.side == "right" for a in spec.axes) else 20
            left = 60 + 60 * max((a.offset for a in spec.axes if a.side == "left"), default=0)
            self.figure = bqplot.Figure(
                marks=marks, axes=axes, title=spec.title, animation_duration=0,
                legend_location="top-right",
                fig_margin={"top": 40, "bottom": 45, "left": left, "right": right},
                layout=ipywidgets.Layout(width="100%", height="280px", min_width="320px"),
            )
        self.stats = ipywidgets.HTML(layout=ipywidgets.Layout(min_width="190px"))
        self.stats_text = ""

    def close(self) -> None:
        """Close every widget of this chart (its comms), when the board rebuilds it."""
        widgets: list[Any] = [self.stats, self.x_axis, self.x_scale, *self.y_scales]
        widgets += [line.mark for line in self.lines.values()]
        if self.figure is not None:
            widgets += [*self.figure.axes, self.figure]
        for widget in widgets:
            widget.close()

    def changes(self) -> list[tuple[Any, dict[str, Any]]]:
        """(widget, traits) to send for the new points; clears the dirty marks."""
        out: list[tuple[Any, dict[str, Any]]] = []
        if self.x_auto:
            out += self._retime()
        for line in self.lines.values():
            if line.dirty:
                line.dirty = False
                xs, ys = line.decimator.points()
                ys = np.where(np.isfinite(ys), ys, np.nan)
                out.append((line.mark, {"x": xs / self.time_divisor, "y": ys}))
        text = self._stats_html()
        if text != self.stats_text:
            self.stats_text = text
            out.append((self.stats, {"value": text}))
        return out

    def _retime(self) -> list[tuple[Any, dict[str, Any]]]:
        # Auto x is seconds; past 3 minutes show minutes, past 3 hours hours.
        span = max((line.last_x for line in self.lines.values()), default=0.0)
        for threshold, divisor, label in _TIME_UNITS:
            if span >= threshold:
                break
        if divisor == self.time_divisor:
            return []
        self.time_divisor = divisor
        for line in self.lines.values():
            line.dirty = line.count > 0
        return [(self.x_axis, {"label": label})]

    def _stats_html(self) -> str:
        rows = []
        for line in self.lines.values():
            if not line.count:
                continue
            cells = "".join(f"<td>{_fmt(v)}</td>" for v in (line.last, line.min, line.max))
            rows.append(f"<tr><th>{html.escape(line.key)}</th>{cells}</tr>")
        if not rows:
            return ""
        head = "<tr><th></th><th>latest</th><th>min</th><th>max</th></tr>"
        return (
            '<table class="cellflux-stats" style="font-size:12px;border-collapse:collapse">'
            f"{head}{''.join(rows)}</table>"
        )


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "—"
    return f"{value:.4g}"
