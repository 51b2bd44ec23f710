"""One chart of a board: its title, its controls, a bqplot Figure of its lines, and the
latest/min/max table.

The only module that imports bqplot. The table is the chart's one legend (colour
swatch, name, numbers): bqplot's own legend box, drawn over the lines, is off. The
controls (controls.py) work in the browser on these models; zoomed, a line shows the
points of its ``window`` (zoom.py) instead of the whole line, and the x range is
the front end's to set.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any

import bqplot
import ipywidgets
import numpy as np

from .. import config
from .chart_line import Line
from .controls import ChartControls
from .interact import ChartActions, chart_meta
from .labels import line_markup, shorten, text_line
from .layout import PALETTE, TIME_UNITS, ChartSpec
from .ranges import axis_range, log_range
from .stats import stats_html

Y_LABEL, X_LABEL = 30, 40
"""Characters of an axis label drawn in full (about the plot's height and its narrowest width)."""


class Chart:
    """The widgets of one ChartSpec: ``row`` holds its title and Figure, and the stats table."""

    def __init__(
        self, spec: ChartSpec, palette_offset: int = 0, colours: dict[str, str] | None = None,
        *, lock: threading.Lock | None = None, series: Mapping[str, Any] | None = None,
    ) -> None:
        self.spec = ChartSpec(spec.title, spec.x_label, spec.x_lower, spec.x_upper, height=spec.height)
        self.palette_offset = palette_offset
        self.x_auto = spec.x_label == "time (s)"
        self.time_divisor = 1.0
        self.ranges: dict[int, tuple[float, float]] = {}
        """The (min, max) last handed out for each scale, by id: see ranges.py for why."""
        self.x_scale = self._scale(spec.x_lower, spec.x_upper)
        self.x_axis = bqplot.Axis(scale=self.x_scale, label=shorten(spec.x_label, X_LABEL), side="bottom",
                                  grid_lines="solid")
        self.title = text_line(spec.title, css_class="cellflux-chart-title", bold=True)
        self.row: Any = None
        self.y_scales: list[Any] = []
        self.y_axes: list[Any] = []
        self.lines: dict[str, Line] = {}
        self.colours: dict[str, str] = {}
        self.fixed_colours = colours or {}
        self.figure: Any = None
        self.idle_scales = {"x": bqplot.LinearScale(min=0.0, max=1.0), "y": bqplot.LinearScale(min=0.0, max=1.0)}
        """Scales that never change, where a new mark waits for its first points: see ``grow``."""
        self.stats = ipywidgets.HTML(layout=ipywidgets.Layout(flex="0 0 auto", min_width="220px"),
                                     _dom_classes=("cellflux-stats-box",))
        self.stats_text = ""
        self.window: tuple[float, float] | None = None
        """The zoomed x window (raw x), or None: then the kernel sets the x range."""
        self.controls: ChartControls | None = None
        self._actions = ChartActions(self, lock or threading.Lock(), series if series is not None else {})
        self.messages = 8
        """Comm messages this chart has caused so far (opens and updates), for the budget."""
        self.grow(spec)

    def accepts(self, spec: ChartSpec) -> bool:
        """Whether ``spec`` only adds lines and axes to what this chart shows."""
        old = self.spec
        return (
            (spec.title, spec.x_lower, spec.x_upper) == (old.title, old.x_lower, old.x_upper)
            and spec.axes[: len(old.axes)] == old.axes
            and spec.lines[: len(old.lines)] == old.lines
        )

    def grow(self, spec: ChartSpec) -> None:
        """Add the axes and lines of ``spec`` that this chart does not have yet."""
        for index in range(len(self.spec.axes), len(spec.axes)):
            axis_spec = spec.axes[index]
            scale = self._scale(axis_spec.lower, axis_spec.upper, log=axis_spec.log)
            axis = bqplot.Axis(
                scale=scale, side=axis_spec.side, label=shorten(axis_spec.label, Y_LABEL),
                grid_lines="solid" if index == 0 else "none", label_offset="50px",  # clear of the tick labels
            )
            if axis_spec.offset:
                shift = 0.12 * axis_spec.offset
                axis.offset = {"value": -shift if axis_spec.side == "left" else 1 + shift}
            self.y_scales.append(scale)
            self.y_axes.append(axis)
            self.messages += 2
        for i in range(len(self.spec.lines), len(spec.lines)):
            line_spec = spec.lines[i]
            colour = self.fixed_colours.get(line_spec.key) or PALETTE[(self.palette_offset + i) % len(PALETTE)]
            self.colours[line_spec.key] = colour
            # A bqplot Lines view follows its scales' changes from before its first draw, and
            # a range update in between throws in it ("Error setting state: Cannot read
            # properties of undefined (reading 'x')"), which leaves the scale stuck. So a
            # mark starts on scales the kernel never changes; its first points move it onto
            # the chart's scales (changes()), and the front end applies that update to the
            # mark only after the view the figure made for it has drawn once.
            mark = bqplot.Lines(
                x=np.zeros(0), y=np.zeros(0), scales=dict(self.idle_scales),
                colors=[colour], labels=[line_spec.key], display_legend=False, stroke_width=1.5,
                interactions={}, enable_hover=False,  # the controls' hover label replaces bqplot's
            )
            home = {"x": self.x_scale, "y": self.y_scales[line_spec.axis]}
            self.lines[line_spec.key] = Line(line_spec.key, mark, home)
            self.messages += 1
        if spec.x_label != self.spec.x_label:  # x_auto is known from the first point on
            self.x_axis.label = shorten(spec.x_label, X_LABEL)
            self.x_auto = spec.x_label == "time (s)"
            self.messages += 1
        self.spec = ChartSpec(spec.title, spec.x_label, spec.x_lower, spec.x_upper,
                              list(spec.axes), list(spec.lines), list(spec.bars), spec.height)
        self._colour_axes()
        self._hover_text()
        if not self.lines:
            return
        marks = [line.mark for line in self.lines.values()]
        axes = [self.x_axis, *self.y_axes]
        sides = [a.side for a in spec.axes]
        left = 70 + 60 * max((a.offset for a in spec.axes if a.side == "left"), default=0)
        right = 70 + 60 * max((a.offset for a in spec.axes if a.side == "right"), default=0) if "right" in sides else 20
        margin = {"top": 12, "bottom": 45, "left": left, "right": right}
        if self.figure is None:
            height = spec.height or config.settings.chart_height
            self.figure = bqplot.Figure(
                marks=marks, axes=axes, animation_duration=0, fig_margin=margin,
                display_toolbar=not config.settings.controls,  # its pan-zoom syncs every move
                # Basis 320px: an auto basis is the drawn width, which then drifts with the table's.
                layout=ipywidgets.Layout(flex="1 1 320px", width="auto", height=f"{height}px", min_width="320px"),
            )
            # One wrapping row, not a column in a row: the title (full width) on a line of its
            # own, the controls under it, the figure and the table below them (the table under
            # the figure when narrow).
            parts: list[Any] = [self.title, self.figure, self.stats]
            if config.settings.controls:
                self.controls = ChartControls(self._actions, chart_meta(self))
                parts.insert(1, self.controls)
                self.messages += 1
            self.row = ipywidgets.HBox(parts, layout=ipywidgets.Layout(
                width="100%", flex_flow="row wrap", align_items="center"), _dom_classes=("cellflux-chart",))
            self.messages += 4
        else:
            with self.figure.hold_sync():
                self.figure.marks, self.figure.axes, self.figure.fig_margin = marks, axes, margin
            self.messages += 1

    def _hover_text(self) -> None:
        # The title's tooltip has the whole title, and the whole of any axis label cut short.
        labels = [(self.spec.x_label, X_LABEL), *((axis.label, Y_LABEL) for axis in self.spec.axes)]
        cut = [label for label, limit in labels if len(label) > limit]
        markup = line_markup(self.spec.title, "\n".join([self.spec.title, *(f"axis: {label}" for label in cut)]), bold=True)
        if self.title.value != markup:
            self.title.value = markup
            self.messages += 1

    def _colour_axes(self) -> None:
        # An axis with a single line takes that line's colour.
        for index, axis in enumerate(self.y_axes):
            keys = [line.key for line in self.spec.lines if line.axis == index]
            colour = self.colours[keys[0]] if len(keys) == 1 else None
            if axis.color != colour:
                with axis.hold_sync():
                    axis.color = colour
                    axis.label_color = colour
                self.messages += 1

    def close(self) -> None:
        """Close every widget of this chart (its comms), when the board rebuilds it."""
        widgets: list[Any] = [self.stats, self.title, self.x_axis, self.x_scale, *self.y_scales, *self.y_axes,
                              *self.idle_scales.values()]
        if self.controls is not None:
            widgets.append(self.controls)
        widgets += [line.mark for line in self.lines.values()]
        if self.figure is not None:
            widgets += [self.figure, self.row]
        for widget in widgets:
            widget.close()
        self.messages += len(widgets)

    def changes(self) -> list[tuple[Any, dict[str, Any]]]:
        """(widget, traits) to send for the new points; clears the dirty marks."""
        out: list[tuple[Any, dict[str, Any]]] = []
        if self.x_auto:
            out += self._retime()
        out += self._range_changes()  # before the lines, so no line arrives outside its axes
        for line in self.lines.values():
            if line.dirty:
                line.dirty = False
                xs, ys = (line.window or line.decimator).points()
                ys = np.where(np.isfinite(ys), ys, np.nan)
                home = {"scales": dict(line.home)} if line.parked else {}  # scales first: before the points
                line.parked = False  # the meta below may name the mark: it goes out after this update
                out.append((line.mark, {**home, "x": xs / self.time_divisor, "y": ys}))
        text = stats_html(self.lines.values(), self.colours)
        if text != self.stats_text:
            self.stats_text = text
            out.append((self.stats, {"value": text}))
        meta = chart_meta(self) if self.controls is not None else None  # new lines, auto x in minutes
        if meta is not None and meta != self.controls.meta:  # type: ignore[union-attr]
            out.append((self.controls, {"meta": meta}))
        return out

    def _range_changes(self) -> list[tuple[Any, dict[str, Any]]]:
        drawn = [line for line in self.lines.values() if line.count]
        first = 0.0 if self.x_auto and drawn else math.inf  # auto x counts from the start of the execution
        wanted = [] if self.window is not None else [(self.x_scale, axis_range(  # zoomed: the front end's
            min([first, *(line.first_x for line in drawn)]) / self.time_divisor,
            max((line.last_x for line in drawn), default=-math.inf) / self.time_divisor,
            lower=self.spec.x_lower, upper=self.spec.x_upper, pad=0.0,
        ))]
        for index, scale in enumerate(self.y_scales):
            on_axis = [line for line in drawn if self._axis_of(line.key) == index]
            high = max((line.max for line in on_axis), default=-math.inf)
            axis_spec = self.spec.axes[index]
            if axis_spec.log:
                low = min((line.low_positive for line in on_axis), default=math.inf)
                wanted.append((scale, log_range(low, high, lower=axis_spec.lower, upper=axis_spec.upper)))
                continue
            low = min((line.min for line in on_axis), default=math.inf)
            wanted.append((scale, axis_range(low, high, lower=axis_spec.lower, upper=axis_spec.upper)))
        out: list[tuple[Any, dict[str, Any]]] = []
        for scale, (low, high) in wanted:
            if self.ranges.get(id(scale)) != (low, high):
                self.ranges[id(scale)] = (low, high)
                out.append((scale, {"min": low, "max": high}))
        return out

    def _scale(self, lower: float | None, upper: float | None, *, log: bool = False) -> Any:
        # Explicit min/max from the start, and no padding of bqplot's own: the axis shows the range sent.
        low, high = (log_range if log else axis_range)(math.inf, -math.inf, lower=lower, upper=upper)
        scale = (bqplot.LogScale if log else bqplot.LinearScale)(min=low, max=high, allow_padding=False)
        self.ranges[id(scale)] = (low, high)
        return scale

    def _axis_of(self, key: str) -> int:
        return next(spec.axis for spec in self.spec.lines if spec.key == key)

    def unsent(self, widget: Any) -> None:
        """``widget``'s changes did not go out (the message budget): offer them again next tick."""
        for line in self.lines.values():
            if line.mark is widget:
                line.dirty = True
                line.parked = not line.on_home()
        if self.stats is widget:
            self.stats_text = ""
        self.ranges.pop(id(widget), None)

    def _retime(self) -> list[tuple[Any, dict[str, Any]]]:
        # Auto x is seconds; past 3 minutes show minutes, past 3 hours hours.
        span = max((line.last_x for line in self.lines.values()), default=0.0)
        for threshold, divisor, label in TIME_UNITS:
            if span >= threshold:
                break
        if divisor == self.time_divisor:
            return []
        self.time_divisor = divisor
        for line in self.lines.values():
            line.dirty = line.count > 0
        return [(self.x_axis, {"label": label})]
