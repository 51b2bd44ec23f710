"""The live board of an execution: progress bars and charts in the cell output.

A :class:`Board` holds the widgets of one execution (a header, progress bars, one row per
chart, the hyperparameters) and, at each :meth:`Board.tick`, lays them out again for new
metrics and sends the points that are new, within the messages it is allowed. The display
sink that makes boards and shows them is in ``board_sink.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import ipywidgets

from ..warn import warn
from .chart import Chart
from .labels import line_markup, text_line
from .layout import ChartSpec, layout
from .params_table import ParamsView
from .progress_bar import ProgressBars
from .remote import RemoteFeed
from .saved_board import static_bundle

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class Board:
    """Widgets for one execution, rebuilt in place when a new metric shows up."""

    def __init__(
        self, execution: Any, clock: Callable[[], float] | None = None, *, colours: dict[str, str] | None = None
    ) -> None:
        self.execution = execution
        self.clock = clock
        self.colours = colours if colours is not None else {}
        """Line colour by metric key, where the palette order is not wanted (overlays)."""
        self.series: dict[str, Any] = {}
        self.header = text_line(self._title(), css_class="cellflux-header")
        self.box = ipywidgets.VBox([self.header], layout=ipywidgets.Layout(width="100%"), _dom_classes=("cellflux-live",))
        self.charts: list[Chart] = []
        self.bars: list[tuple[ChartSpec, ProgressBars]] = []
        self.specs: list[ChartSpec] = []
        self.ended = False
        self.live = True
        self.broken = False
        """Set when a widget update failed: the board is left as it is."""
        self.feed: RemoteFeed | None = None
        """Points of this execution that worker processes write into the store."""
        self._lock = threading.Lock()
        self._structure_dirty = False
        self._starts: dict[str, tuple[int, float | None]] = {}
        self._x_known = 0
        self.params = ParamsView()
        """The run's hyperparameters, under the charts."""
        self.drawn = False
        """Whether a line has taken points: its first ones are on their way to the front end."""

    def __repr__(self) -> str:
        return f"Board({self.execution.name!r}, {self.execution.status})"

    def add_series(self, series: Any) -> None:
        with self._lock:
            self.series[series.key] = series
            self._structure_dirty = True

    def _title(self) -> str:
        exe = self.execution
        return f"{exe.name} · {exe.status}"

    def _rebuild(self, allowance: int) -> int:
        """Lay the board out again for its series; returns the comm messages it took.

        New charts cost about ten messages each (widget opens): once ``allowance`` is
        spent, the remaining ones wait for a later tick.
        """
        before = sum(chart.messages for chart in self.charts)
        specs = layout(self.series.values())
        old = {chart.spec.title: chart for chart in self.charts}
        old_bars = {spec.title: widget for spec, widget in self.bars}
        charts: list[Chart] = []
        retired: list[Chart] = []
        children: list[Any] = [self.header]
        sent = 0
        bars: list[tuple[ChartSpec, ProgressBars]] = []
        offset = 0
        for spec in specs:
            if spec.bars:
                widget = old_bars.get(spec.title)
                if widget is None:
                    widget = ProgressBars()
                    sent += 1
                bars.append((spec, widget))
                children.append(widget)
            if spec.lines:
                chart = old.pop(spec.title, None)
                spent = sent + sum(c.messages for c in charts + retired) - before
                if chart is None and spent >= allowance:
                    self._structure_dirty = True
                    continue
                if chart is not None and chart.accepts(spec):
                    chart.grow(spec)
                else:
                    if chart is not None:
                        retired.append(chart)
                    chart = Chart(spec, offset, self.colours, lock=self._lock, series=self.series)
                charts.append(chart)
                children.append(chart.row)
                offset += len(spec.lines)
        if self.params.widget is not None:
            children.append(self.params.widget)
        self.specs, self.charts, self.bars = specs, charts, bars
        if tuple(children) != self.box.children:
            self.box.children = tuple(children)
            sent += 1
        for chart in retired + list(old.values()):
            chart.close()
        return sent + sum(chart.messages for chart in self.charts + retired + list(old.values())) - before

    def tick(self, allowance: int, final: bool = False) -> int:
        """Pull new points and send at most ``allowance`` widget updates.

        A widget that fails (its comm closed or broken) stops this board with one
        warning; the run, its store and the other boards go on.
        """
        if self.broken:
            return 0
        try:
            if self.feed is not None:
                self.feed.poll(self.add_series, lambda key: key in self.series, force=final)
                if final:
                    self.feed.close()
            with self._lock:
                return self._tick(allowance, final)
        except Exception as error:  # a display fault must never reach the training loop
            return self._break(error)

    def tick_here(self, allowance: int) -> int:
        """A visit from the recording thread (a new board's layout, its first point).

        It reads no store (worker processes' points wait for the ticker) and is skipped
        while the ticker thread visits the board: ``record()`` never waits for that thread.
        A fault stops the board as in :meth:`tick`, and never reaches ``record()``.
        """
        if self.broken or not self._lock.acquire(blocking=False):
            return 0
        try:
            return self._tick(allowance, False)
        except Exception as error:
            return self._break(error)
        finally:
            self._lock.release()

    def _break(self, error: Exception) -> int:
        self.broken, self.live = True, False
        warn(
            f"cellflux: the board of {self.execution.name!r} stopped updating ({error!r}); "
            "the run goes on and its metrics are still recorded",
            3,
        )
        return 0

    def _tick(self, allowance: int, final: bool) -> int:
        """One visit, the board's lock held."""
        if self.box.comm is None:  # closed from the kernel side (Widget.close_all(), box.close())
            raise RuntimeError("its widgets were closed")
        sent = 0
        known = sum(1 for s in self.series.values() if s.x_auto is not None)
        if known != self._x_known:  # a first point tells whether x is time
            self._x_known, self._structure_dirty = known, True
        new_params, param_changes = self.params.changes(self.execution)
        if new_params:
            self._structure_dirty = True
            sent += 1
        if self._structure_dirty:
            self._structure_dirty = False
            sent += self._rebuild(allowance)
        changes: list[tuple[Any, dict[str, Any]]] = []
        title = line_markup(self._title())
        if title != self.header.value:
            changes.append((self.header, {"value": title}))
        changes += param_changes
        for spec, widget in self.bars:
            changes.append((widget, {"bars": [self._bar(key) for key in spec.bars]}))
        for chart in self.charts:
            for key, line in chart.lines.items():
                series = self.series.get(key)
                if series is not None and len(series) > line.cursor:
                    line.take(*series.read(line.cursor))
                    self.drawn = True
            changes += chart.changes()
        for widget, traits in changes:
            if not final and sent >= allowance:
                self._redirty(widget)
                continue
            if "bars" in traits:
                before = (widget.labels, widget.states, widget.data)
                widget.set_bars(traits["bars"])
                sent += before != (widget.labels, widget.states, widget.data)
                continue
            with widget.hold_sync():
                for name, value in traits.items():
                    setattr(widget, name, value)
            sent += 1
        if self.ended:
            self.live = False
        return sent

    def _redirty(self, widget: Any) -> None:
        for chart in self.charts:
            chart.unsent(widget)

    def _bar(self, key: str) -> tuple[str, str, float, float | None, float, float | None]:
        series = self.series[key]
        xs, ys = series.read(max(0, len(series) - 1))
        count = float(ys[-1]) if len(ys) else 0.0
        total = series.scale.upper if series.scale is not None else None
        start = self._bar_start(key, series)
        if series.state in ("running", None) and self.clock is not None and not self.ended:
            now = self.clock() - self.execution.t0
        else:
            now = float(xs[-1]) if len(xs) else start
        elapsed = max(0.0, now - start)
        rate = count / elapsed if elapsed > 0 and count > 0 else None
        state = series.state or "running"
        if state == "running" and self.ended:
            state = "stopped"
        return (key, state, count, total, elapsed, rate)

    def _bar_start(self, key: str, series: Any) -> float:
        # A progress key restarts at 0 for each loop: elapsed counts from the last 0.
        cursor, start = self._starts.get(key, (0, None))
        xs, ys = series.read(cursor)
        zeros = (ys == 0).nonzero()[0]
        if len(zeros):
            start = float(xs[zeros[-1]])
        elif start is None:
            start = float(xs[0]) if len(xs) else 0.0
        self._starts[key] = (cursor + len(xs), start)
        return start

    def finish(self) -> None:
        self.ended = True
        self.tick(1 << 30, final=True)

    def mimebundle(self) -> dict[str, Any]:
        """The live output: the widget view, and a one-line text/plain."""
        return {
            WIDGET_MIME: {"version_major": 2, "version_minor": 0, "model_id": self.box.model_id},
            "text/plain": f"cellflux board: {self.execution.name} ({self.execution.status})",
        }

    def static_mimebundle(self) -> dict[str, Any]:
        """The static output: empty while running, the final board once ended."""
        if not self.ended:
            # Plain text, not HTML: the front ends typeset every HTML output as LaTeX, and the
            # page's first one loads MathJax (about 900 kB of script) while the board draws.
            return {"text/plain": ""}
        return static_bundle(self.execution, self.series)
