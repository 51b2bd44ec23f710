"""The static rendering of a board, computed in the kernel: for saved notebooks.

``render_html(view)`` (``text/html``) draws what the live board shows at the end
of an execution: a header (name, status, duration), and per chart group its
progress bars, the chart (title, legend, left and right y-axes with ticks and
units, x-axis, gaps for non-finite values) and the latest/min/max table. The
structure comes from :func:`~cellflux.display.layout.layout`, the colours and
the time unit of an auto x-axis follow the live board, so a saved notebook
shows the same board. Each chart is an SVG (``chart_svg.py``); every number
(the tables, the bars' counts) is HTML text (``static_text.py``). Inline
styles only (no ``<style>``, no ids), every user string through ``esc``
(``escape.py``), and well-formed XML, so tests parse it with ``xml.etree``.

``view`` is a :class:`BoardView`, or anything :func:`board_view` accepts: a live
:class:`~cellflux.execution.Execution`, a stored execution, or an object with
``name``, ``status``, ``started_at``, ``ended_at`` and a ``series`` mapping of
key to series-like objects (``key``, ``group``, ``scale``, ``x_auto``, ``state``
and ``read()``).
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..definitions import MetricGroup, MetricScale
from .bar_text import ProgressTally, progress_numbers
from .chart_svg import FONT, MUTED, TEXT, LineData, Piece, chart_svg
from .decimate import Decimator, Floats
from .escape import esc
from .layout import PALETTE, ChartSpec, layout, time_unit
from .static_text import BarData, StatRow, bars_table, chart_alt, stats_table

__all__ = ["BoardView", "SeriesView", "board_view", "format_duration", "render_html"]

STATUS_COLOURS = {"running": "#1976d2", "succeeded": "#388e3c", "interrupted": "#f57c00", "failed": "#d32f2f"}
"""The execution's status in the header, as on the live board."""
STATIC_POINTS = 1200
"""Points per drawn line: two per pixel column of the plot, so no spike is lost to the eye."""
_READ_CHUNK = 1 << 20


@dataclass
class SeriesView:
    """One metric as the static board draws it: its definition and its decimated points."""

    key: str
    group: MetricGroup | None
    scale: MetricScale | None
    x_auto: bool | None
    state: str | None
    xs: Floats
    ys: Floats
    """At most ``STATIC_POINTS`` points; first, last and the extremes are the series'."""
    count: int
    """Points reported."""
    last: float = math.nan
    """The latest value reported, as reported (the drawn points show a non-finite one as NaN)."""
    progress: ProgressTally | None = None
    """Progress metrics: count, start and last x, folded over every point."""

    @property
    def low(self) -> float:
        finite = self.ys[np.isfinite(self.ys)]
        return float(finite.min()) if finite.size else math.nan

    @property
    def high(self) -> float:
        finite = self.ys[np.isfinite(self.ys)]
        return float(finite.max()) if finite.size else math.nan

    @classmethod
    def of(
        cls, info: Any, chunks: Iterable[tuple[Floats, Floats]], *, max_points: int = STATIC_POINTS
    ) -> SeriesView:
        """Fold ``(xs, ys)`` chunks (in report order) of the metric described by ``info``."""
        scale = getattr(info, "scale", None)
        is_progress = scale is not None and scale.progress
        decimator = Decimator(max_points)
        tally = ProgressTally() if is_progress else None
        for xs, ys in chunks:
            decimator.extend(xs, ys)
            if tally is not None:
                tally.add(np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
        xs, ys = decimator.points()
        last = decimator.last
        return cls(
            key=info.key, group=getattr(info, "group", None), scale=scale,
            x_auto=getattr(info, "x_auto", None), state=getattr(info, "state", None),
            xs=xs, ys=ys, count=decimator.count, last=math.nan if last is None else last[1], progress=tally,
        )


@dataclass(frozen=True)
class BoardView:
    """A snapshot of an execution's board, the input of the static renderers."""

    name: str
    status: str
    started_at: float | None
    ended_at: float | None
    series: tuple[SeriesView, ...] = field(default_factory=tuple)
    now: float | None = None
    """Wall clock when the snapshot was taken (the duration of a running execution)."""

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else self.now
        return None if end is None else max(0.0, end - self.started_at)


def board_view(source: Any, *, max_points: int = STATIC_POINTS, now: float | None = None) -> BoardView:
    """Snapshot ``source`` (an execution, live or stored, or a board's view) for rendering."""
    if isinstance(source, BoardView):
        return source
    status = str(getattr(source, "status", "running"))
    views = []
    for info, chunks in _series_of(source):
        view = SeriesView.of(info, chunks, max_points=max_points)
        if view.state == "running" and status != "running":  # a bar the end did not close
            view.state = "failed" if status == "failed" else "stopped"
        views.append(view)
    return BoardView(
        name=str(getattr(source, "name", "")),
        status=status,
        started_at=getattr(source, "started_at", None),
        ended_at=getattr(source, "ended_at", None),
        series=tuple(views),
        now=time.time() if now is None else now,
    )


def _series_of(source: Any) -> Iterator[tuple[Any, Iterable[tuple[Floats, Floats]]]]:
    """Each metric's description and its points, whichever shape ``source`` has."""
    series = getattr(source, "series", None)
    mapping = series if isinstance(series, Mapping) else getattr(source, "buffers", None)  # a live Execution
    if isinstance(mapping, Mapping):
        for s in list(mapping.values()):
            yield s, _chunks(s)
        return
    metrics = getattr(source, "metrics", None)  # a stored execution
    if isinstance(metrics, Mapping) and callable(series):
        for key, info in list(metrics.items()):
            yield info, [series(key)]
        return
    raise TypeError(
        f"cannot draw a board of {type(source).__name__}: it needs a `series` or `buffers` mapping of "
        "key -> series, or `metrics` and `series(key)`"
    )


def _chunks(series: Any) -> Iterator[tuple[Floats, Floats]]:
    # A live series is read a million points at a time: a 10M-point line never
    # needs 160 MB at once, and the decimator gives the same output either way.
    if hasattr(series, "__len__"):
        n = len(series)
        for start in range(0, n, _READ_CHUNK):
            yield series.read(start, min(n, start + _READ_CHUNK))
        return
    yield series.read()


# -- rendering -----------------------------------------------------------------------------


def format_duration(seconds: float | None) -> str:
    """``12.3 s``, ``4 min 05 s``, ``2 h 03 min``; ``?`` when unknown.

    >>> format_duration(12.34), format_duration(245), format_duration(7385)
    ('12.3 s', '4 min 05 s', '2 h 03 min')
    """
    if seconds is None or not math.isfinite(seconds):
        return "?"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


@dataclass
class _Panel:
    """One chart group: its bars above, its chart (an SVG piece) and its stats beside it."""

    title: str
    bars: list[BarData]
    chart: Piece | None = None
    alt: str = ""
    stats: list[StatRow] = field(default_factory=list)


def _panels(view: BoardView) -> list[_Panel]:
    by_key = {s.key: s for s in view.series}
    panels = []
    colour_offset = 0  # colours continue across charts, as on the live board
    for spec in layout(view.series):
        panel = _Panel(spec.title, [_bar(by_key[key]) for key in spec.bars])
        if spec.lines:
            lines = []
            for i, ls in enumerate(spec.lines):
                s = by_key[ls.key]
                lines.append(LineData(ls.key, PALETTE[(colour_offset + i) % len(PALETTE)], s.xs, s.ys, s.last))
            colour_offset += len(spec.lines)
            panel.chart = chart_svg(spec, lines)
            panel.alt = _alt(spec, lines)
            panel.stats = [
                StatRow(d.key, d.colour, d.last, by_key[d.key].low, by_key[d.key].high)
                for d in lines if by_key[d.key].count
            ]
        panels.append(panel)
    return panels


def _alt(spec: ChartSpec, lines: list[LineData]) -> str:
    _, x_label = time_unit(spec, max((float(np.max(d.xs)) for d in lines if d.xs.size), default=0.0))
    return chart_alt(spec.title, [d.key for d in lines], x_label, [a.label for a in spec.axes])


def _bar(s: SeriesView) -> BarData:
    tally = s.progress or ProgressTally()
    total = s.scale.upper if s.scale is not None else None
    state = s.state or "running"
    count, total, elapsed, rate = progress_numbers(tally, total, state)
    return BarData(s.key, state, count, total, elapsed, rate)


def render_html(view: Any, *, images: bool = False) -> str:
    """The board as HTML (``text/html``): charts as inline SVG, their numbers as HTML text.

    With ``images=True`` each chart is an ``<img>`` of an SVG data URI instead:
    JupyterLab and Notebook 7 drop inline ``<svg>`` from untrusted notebooks (any
    notebook received or cloned), but keep such images. The stats tables and the
    progress bars are HTML text either way (``static_text.py``). The output is also
    well-formed XML.
    """
    board = board_view(view)
    colour = STATUS_COLOURS.get(board.status, MUTED)
    out = [
        f'<div class="cellflux-board" data-status="{esc(board.status)}" '
        f'style="font-family:{esc(FONT)};color:{TEXT};background-color:#fff;padding:4px">',
        f'<div class="cellflux-header" style="font-size:13px;margin:2px 0 6px 0">'
        f'<b class="cellflux-name">{esc(board.name)}</b> · <span class="cellflux-status" style="color:{colour};'
        f'font-weight:600">{esc(board.status)}</span> · <span class="cellflux-duration" style="color:{MUTED}">'
        f"{esc(format_duration(board.duration))}</span></div>",
    ]
    for panel in _panels(board):
        out.append(f'<div class="cellflux-group" data-group="{esc(panel.title)}" style="margin:0 0 10px 0">')
        if panel.bars:
            out.append(bars_table(panel.title, panel.bars))
        # Inline blocks, not flex: the sanitiser of untrusted outputs keeps display and
        # vertical-align but drops flex-wrap and gap, so the table wraps under a narrow chart.
        if panel.chart:
            chart = _as_image(panel.chart, panel.alt) if images else panel.chart.markup
            out.append(f'<div style="display:inline-block;vertical-align:middle;max-width:100%;margin:0 14px 4px 0">'
                       f"{chart}</div>")
        if panel.stats:
            out.append(f'<div style="display:inline-block;vertical-align:middle">'
                       f"{stats_table(panel.title, panel.stats)}</div>")
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def _as_image(piece: Piece, alt: str) -> str:
    data = base64.b64encode(piece.markup.encode("utf-8")).decode("ascii")
    return (
        f'<img class="cellflux-image" alt="{esc(alt)}" width="{piece.width}" height="{piece.height}" '
        f'style="max-width:100%;height:auto" src="data:image/svg+xml;base64,{data}"/>'
    )
