"""A chart of the static board as a standalone SVG: title, legend, y-axes, x-axis, lines.

Presentation attributes only (no CSS, no ids), so a chart renders the same
inline in HTML, as an ``<img>`` data URI (what a saved notebook holds: the
sanitiser of untrusted notebooks drops inline SVG), on GitHub and in nbconvert
output, and several boards share a page. Every user string goes through
:func:`~cellflux.display.escape.esc`. Coordinates have one decimal and each
finite run of a line is one polyline, so a chart with a line of 1,200 points
weighs about 14 KB. The axes' numbers come from ``ticks.py``; the numbers
of the board (latest/min/max, progress counts) are HTML text beside the chart
(``static_text.py``).

Why our own writer rather than matplotlib, measured in ``docs/decisions.md``: it
looks like the live board, adds no dependency and no import at the end of an
execution, ends an execution 30x to 50x sooner and its output is less than half
the size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .escape import esc
from .layout import ChartSpec, time_unit
from .ticks import Scale, finite_range, log_scale, nice_scale

__all__ = ["CHART_H", "CHART_W", "FONT", "MUTED", "TEXT", "LineData", "Piece", "chart_svg", "cut"]

Floats = npt.NDArray[np.float64]

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
TEXT, MUTED, GRID, AXIS = "#222", "#666", "#e6e6e6", "#888"

CHART_W, CHART_H = 640, 300
AXIS_W = 58
"""Room for one y-axis: tick labels and the rotated axis label."""
PAD = 3
"""The plot clips this far outside its frame, so a line on a bound is drawn whole."""
_NARROW = frozenset("fijlrt.,:;!|'() ")
_WIDE = frozenset("mwMW@%")
LABEL_CHARS = 32
"""Longer keys are cut in legends (the full text is in a tooltip)."""


def text_width(text: str, size: float = 11) -> float:
    """A generous estimate of the rendered width: SVG cannot measure text, so it is guessed."""
    units = sum(0.36 if c in _NARROW else 0.95 if c in _WIDE or c.isupper() else 0.62 for c in text)
    return units * size


def cut(text: str, chars: int = LABEL_CHARS) -> str:
    """``text`` cut to ``chars`` characters with an ellipsis: SVG text cannot be cut by CSS."""
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _num(v: float) -> str:
    """A coordinate: one decimal, no trailing ``.0``."""
    text = f"{v:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass
class Piece:
    """A standalone ``<svg>`` and its size in pixels."""

    markup: str
    width: int
    height: int
    locate: Callable[[float, float, int], tuple[float, float]] | None = None
    """A chart's ``(x, y)`` pixel of a data point on its y-axis ``axis``, for what is drawn over it."""
    plot: tuple[int, int, int, int] = (0, 0, 0, 0)
    """A chart's plot rectangle: left, top, right, bottom."""


@dataclass
class LineData:
    """One metric's line as drawn: its colour, its decimated points, its latest value as reported."""

    key: str
    colour: str
    xs: Floats
    ys: Floats
    last: float
    opacity: float = 1.0
    """Below 1: a faint line, as the raw line under a smoothed one."""
    legend: bool = True
    """False: drawn without its own legend entry (a second line of the same metric)."""


@dataclass
class _Frame:
    """The plot rectangle of a chart, in chart pixels; line coordinates are relative to it."""

    x0: int
    x1: int
    y0: int
    y1: int

    def px(self, v: Floats | float, s: Scale) -> Floats:
        """Plot x of data ``v`` (inside the clipping svg, which starts ``PAD`` before x0)."""
        with np.errstate(over="ignore", invalid="ignore"):  # data near the float limits
            return PAD + s.fraction(v) * (self.x1 - self.x0)

    def py(self, v: Floats | float, s: Scale) -> Floats:
        """Plot y of data ``v``; NaN (a gap) for a value <= 0 on a log scale."""
        h = self.y1 - self.y0
        with np.errstate(over="ignore", invalid="ignore"):  # data near the float limits
            out = PAD + (1 - s.fraction(v)) * h
        return np.clip(out, -50 * h, 50 * h)  # far outside is clipped anyway; keep numbers short

    def cx(self, v: float, s: Scale) -> str:
        return _num(float(self.x0 - PAD + self.px(v, s)))

    def cy(self, v: float, s: Scale) -> str:
        return _num(float(self.y0 - PAD + self.py(v, s)))


def chart_svg(spec: ChartSpec, lines: Sequence[LineData]) -> Piece:
    """One chart: title, legend, y-axes on both sides, x-axis, the lines clipped to the plot."""
    left_axes = sum(1 for a in spec.axes if a.side == "left")
    right_axes = len(spec.axes) - left_axes
    legend = _legend_rows([d for d in lines if d.legend], CHART_W - 24)
    height = CHART_H + 16 * max(0, len(legend) - 1)  # a long legend does not squeeze the plot
    f = _Frame(
        x0=14 + AXIS_W * max(1, left_axes),
        x1=CHART_W - (14 + AXIS_W * right_axes if right_axes else 22),
        y0=30 + 16 * len(legend) + 6,
        y1=height - 44,
    )
    divisor, x_label = time_unit(spec, max((float(np.max(d.xs)) for d in lines if d.xs.size), default=0.0))
    lo, hi = finite_range([d.xs for d in lines])
    xscale = nice_scale(
        None if spec.x_lower is None else spec.x_lower / divisor,
        None if spec.x_upper is None else spec.x_upper / divisor,
        lo / divisor, hi / divisor,
    )
    yscales, left_out = [], 0
    for index, axis in enumerate(spec.axes):
        on_axis = [d.ys for d, ls in zip(lines, spec.lines) if ls.axis == index]
        if axis.log:
            left_out += sum(int(np.count_nonzero(ys <= 0)) for ys in on_axis)
            yscales.append(log_scale(axis.lower, axis.upper, *finite_range([ys[ys > 0] for ys in on_axis])))
        else:
            yscales.append(nice_scale(axis.lower, axis.upper, *finite_range(on_axis)))

    title = esc(spec.title)
    out = [
        f'<svg xmlns="{SVG_NS}" class="cellflux-chart" data-group="{title}" width="{CHART_W}" '
        f'height="{height}" viewBox="0 0 {CHART_W} {height}" font-family="{FONT}" font-size="11" '
        f'fill="{TEXT}"><title>{title}</title>',
        f'<text x="{CHART_W / 2:g}" y="18" text-anchor="middle" font-size="13" font-weight="600">'
        f"{esc(cut(spec.title, 80))}</text>",
    ]
    out += _legend_svg(legend, 12, 36)
    if left_out:  # the live chart's controls say the same
        out.append(
            f'<text class="cellflux-note" x="{f.x1}" y="{f.y0 - 4}" text-anchor="end" fill="{MUTED}" '
            f'font-style="italic">values ≤ 0 are left out of the log scale</text>'
        )
    # Grid: the x ticks and the first y-axis's ticks.
    grid = [f"M{f.cx(t, xscale)} {f.y0}V{f.y1}" for t in xscale.ticks]
    if yscales:
        grid += [f"M{f.x0} {f.cy(t, yscales[0])}H{f.x1}" for t in yscales[0].ticks]
    out.append(f'<path class="cellflux-grid" d="{"".join(grid)}" stroke="{GRID}" fill="none"/>')
    out.append(_x_axis(f, xscale, x_label, height))
    for index, (axis, scale) in enumerate(zip(spec.axes, yscales)):
        keys = [ls.key for ls in spec.lines if ls.axis == index]
        colour = next((d.colour for d in lines if d.key == keys[0]), TEXT) if len(keys) == 1 else TEXT
        out.append(_y_axis(f, axis.side, axis.offset, axis.label, scale, colour))
    # The plot: a nested svg clips what falls outside the bounds.
    out.append(
        f'<svg class="cellflux-plot" x="{f.x0 - PAD}" y="{f.y0 - PAD}" width="{f.x1 - f.x0 + 2 * PAD}" '
        f'height="{f.y1 - f.y0 + 2 * PAD}" overflow="hidden">'
    )
    for data, line_spec in zip(lines, spec.lines):
        if data.xs.size:
            out.append(_line_svg(f, data, line_spec.axis, xscale, yscales[line_spec.axis], divisor))
    out.append("</svg></svg>")

    def locate(x: float, y: float, axis: int = 0) -> tuple[float, float]:
        return float(f.cx(x / divisor, xscale)), float(f.cy(y, yscales[axis]))

    return Piece("".join(out), CHART_W, height, locate, (f.x0, f.y0, f.x1, f.y1))


def _x_axis(f: _Frame, scale: Scale, label: str, height: int) -> str:
    parts = [
        f'<g class="cellflux-axis" data-side="bottom" data-lower="{scale.lower!r}" data-upper="{scale.upper!r}" '
        f'fill="{MUTED}"><path d="M{f.x0} {f.y1}H{f.x1}" stroke="{AXIS}" fill="none"/>'
    ]
    for t in scale.ticks:
        x = f.cx(t, scale)
        parts.append(
            f'<path d="M{x} {f.y1}v4" stroke="{AXIS}"/>'
            f'<text x="{x}" y="{f.y1 + 15}" text-anchor="middle">{esc(scale.label(t))}</text>'
        )
    parts.append(
        f'<text class="cellflux-axis-label" x="{(f.x0 + f.x1) / 2:g}" y="{height - 8}" text-anchor="middle" '
        f'fill="{TEXT}">{esc(label)}</text></g>'
    )
    return "".join(parts)


def _y_axis(f: _Frame, side: str, offset: int, label: str, scale: Scale, colour: str) -> str:
    left = side == "left"
    x = f.x0 - AXIS_W * offset if left else f.x1 + AXIS_W * offset
    sign = -1 if left else 1
    anchor = "end" if left else "start"
    parts = [
        f'<g class="cellflux-axis" data-side="{side}" data-offset="{offset}" data-lower="{scale.lower!r}" '
        f'data-upper="{scale.upper!r}" fill="{colour}">'
        f'<path d="M{x} {f.y0}V{f.y1}" stroke="{colour if colour != TEXT else AXIS}" fill="none"/>'
    ]
    for t in scale.ticks:
        y = f.cy(t, scale)
        parts.append(
            f'<path d="M{x} {y}h{4 * sign}" stroke="{AXIS}"/>'
            f'<text x="{x + 6 * sign}" y="{y}" dy="0.32em" text-anchor="{anchor}">{esc(scale.label(t))}</text>'
        )
    lx = x + (AXIS_W - 10) * sign
    ly = (f.y0 + f.y1) / 2
    parts.append(
        f'<text class="cellflux-axis-label" x="{lx}" y="{ly:g}" text-anchor="middle" '
        f'transform="rotate({-90 if left else 90} {lx} {ly:g})">{esc(cut(label, 40))}</text></g>'
    )
    return "".join(parts)


def _line_svg(f: _Frame, data: LineData, axis: int, xscale: Scale, yscale: Scale, divisor: float) -> str:
    """One ``<g>`` per metric: a polyline per finite run (gaps break the line), dots for lone points.

    ``data-lower``/``data-upper`` and ``data-px-lower``/``data-px-upper`` give the y
    scale in the polylines' own coordinates, so a reader can map points back to values
    (through their logarithms where ``data-log`` is true).
    """
    xs, ys = f.px(data.xs / divisor, xscale), f.py(data.ys, yscale)
    key = esc(data.key)
    parts = [
        f'<g class="cellflux-series" data-key="{key}" data-axis="{axis}" data-last="{data.last!r}" '
        f'data-lower="{yscale.lower!r}" data-upper="{yscale.upper!r}" data-log="{str(yscale.log).lower()}" '
        f'data-px-lower="{float(f.py(yscale.lower, yscale))!r}" '
        f'data-px-upper="{float(f.py(yscale.upper, yscale))!r}" '
        f'stroke="{data.colour}" fill="none" stroke-width="1.5" stroke-linejoin="round"'
        + (f' stroke-opacity="{data.opacity:g}">' if data.opacity < 1 else ">")
    ]
    bad = np.flatnonzero(~np.isfinite(ys))
    starts = np.concatenate(([0], bad + 1)).tolist()
    stops = np.concatenate((bad, [ys.size])).tolist()
    for start, stop in zip(starts, stops):
        if stop - start == 1:
            parts.append(
                f'<circle class="cellflux-dot" data-key="{key}" cx="{_num(float(xs[start]))}" '
                f'cy="{_num(float(ys[start]))}" r="2" fill="{data.colour}" stroke="none"/>'
            )
        elif stop - start > 1:
            pairs = zip(xs[start:stop].tolist(), ys[start:stop].tolist())
            points = " ".join(f"{_num(a)},{_num(b)}" for a, b in pairs)
            parts.append(f'<polyline class="cellflux-line" data-key="{key}" points="{points}"/>')
    parts.append("</g>")
    return "".join(parts)


def _legend_rows(lines: Sequence[LineData], width: float) -> list[list[tuple[LineData, float]]]:
    rows: list[list[tuple[LineData, float]]] = []
    x = width
    for data in lines:
        w = 26 + text_width(cut(data.key)) + 16
        if x + w > width and (not rows or rows[-1]):
            rows.append([])
            x = 0
        rows[-1].append((data, x))
        x += w
    return rows


def _legend_svg(rows: list[list[tuple[LineData, float]]], left: float, top: float) -> list[str]:
    out = ['<g class="cellflux-legend">']
    for r, row in enumerate(rows):
        y = top + 16 * r
        for data, x in row:
            out.append(
                f'<g><title>{esc(data.key)}</title><path d="M{_num(left + x)} {_num(y - 4)}h20" '
                f'stroke="{data.colour}" stroke-width="2.5"/><text x="{_num(left + x + 26)}" y="{_num(y)}">'
                f"{esc(cut(data.key))}</text></g>"
            )
    out.append("</g>")
    return out
