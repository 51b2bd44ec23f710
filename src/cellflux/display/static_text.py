"""The numbers of the static board as HTML text: the latest/min/max table and the progress bars.

A chart may be an image; its numbers may not. These pieces are HTML text next to
the chart images, so a saved notebook's final values can be searched, copied,
read by a screen reader and found in nbconvert's HTML without widget state.

They must read well where JupyterLab and Notebook 7 sanitise an untrusted
output: that drops ``<style>``, inline SVG, ``data-*``/``aria-*`` attributes and
any inline style outside an allow-list. So the markup uses only tags it keeps
(``table``, ``thead``, ``tbody``, ``tr``, ``th``, ``td``, ``span``), structure
that needs no CSS (a real table, a header row, ``scope``), and inline styles it
keeps (``display``, ``width``, ``padding``, ``color``, ``background-color``...);
what it drops (``data-*``, read by tests, and ``font-variant-numeric``) costs no
legibility. Every user string goes through :func:`esc`, names are never cut in
the markup (CSS ellipsis, full text in ``title`` and in the DOM), and the
markup is well-formed XML, like the rest of the board.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .bar_text import format_bar
from .chart_svg import MUTED
from .escape import esc

__all__ = ["BarData", "StatRow", "bars_table", "chart_alt", "fmt_value", "stats_table"]

STATE_COLOURS = {"running": "#1976d2", "done": "#388e3c", "stopped": "#f57c00", "failed": "#d32f2f"}
"""Progress bar fill per state, as in the progress-bar widget."""

_TABLE = "border-collapse:collapse;font-size:12px;line-height:1.5"
_NAME = (
    "display:inline-block;max-width:24em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;"
    "vertical-align:bottom"
)
_ROW_HEAD = "text-align:left;font-weight:normal;padding:0 8px 0 0;white-space:nowrap"
_NUMBER = "text-align:right;padding:0 0 0 14px;white-space:nowrap;font-variant-numeric:tabular-nums"
_TRACK_W = 240


def fmt_value(value: float) -> str:
    """A statistic as the live board's table shows it."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "—"
    return f"{value:.4g}"


def _name(text: str) -> str:
    """A user's name, whole in the text (searchable), cut by CSS on screen, whole on hover."""
    return f'<span title="{esc(text)}" style="{_NAME}">{esc(text)}</span>'


@dataclass
class StatRow:
    key: str
    colour: str
    last: float
    low: float
    high: float


def stats_table(group: str, rows: Sequence[StatRow]) -> str:
    """The latest/min/max table beside a chart: one row per line, its colour swatch first."""
    head = "".join(
        f'<th scope="col" style="{_NUMBER};color:{MUTED};font-weight:600">{name}</th>'
        for name in ("latest", "min", "max")
    )
    out = [
        f'<table class="cellflux-stats" data-group="{esc(group)}" style="{_TABLE}"><thead><tr>'
        f'<th scope="col" style="{_ROW_HEAD};color:{MUTED};font-weight:600">metric</th>{head}</tr></thead><tbody>'
    ]
    for r in rows:
        # The swatch is an empty box, not a glyph: copied or read aloud, a row is its name and numbers.
        swatch = (
            f'<span style="display:inline-block;width:10px;height:10px;margin:0 6px 0 0;'
            f'background-color:{r.colour};vertical-align:middle"></span>'
        )
        cells = "".join(f'<td style="{_NUMBER}">{esc(fmt_value(v))}</td>' for v in (r.last, r.low, r.high))
        out.append(
            f'<tr class="cellflux-stat" data-key="{esc(r.key)}">'
            f'<th scope="row" style="{_ROW_HEAD}">{swatch}{_name(r.key)}</th>{cells}</tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


@dataclass
class BarData:
    key: str
    state: str
    count: float
    total: float | None
    elapsed: float | None
    rate: float | None


def bars_table(group: str, bars: Sequence[BarData]) -> str:
    """Progress bars, one row each: the key, a track filled by count/total in the state's colour, the text."""
    out = [f'<table class="cellflux-bars" data-group="{esc(group)}" style="{_TABLE};margin:0 0 4px 0"><tbody>']
    for b in bars:
        colour = STATE_COLOURS.get(b.state, STATE_COLOURS["running"])
        if b.total is None or not math.isfinite(b.total):
            fraction = 1.0 if b.state == "done" else 0.0
        else:
            fraction = 1.0 if b.total <= 0 else min(1.0, max(0.0, b.count / b.total))
        text = format_bar(b.count, b.total, b.elapsed, b.rate, b.state)
        track = (
            f'<span class="cellflux-bar-track" style="display:inline-block;width:{_TRACK_W}px;height:10px;'
            f'background-color:#e9e9e9;border-radius:3px;overflow:hidden;vertical-align:middle">'
            f'<span class="cellflux-bar-fill" style="display:block;width:{100 * fraction:.2f}%;height:10px;'
            f'background-color:{colour}"></span></span>'
        )
        out.append(
            f'<tr class="cellflux-bar" data-key="{esc(b.key)}" data-state="{esc(b.state)}" '
            f'data-count="{b.count!r}" data-total="{b.total!r}"><th scope="row" style="{_ROW_HEAD}">{_name(b.key)}</th>'
            f'<td style="padding:0 8px 0 0">{track}</td>'
            f'<td class="cellflux-bar-text" style="white-space:nowrap;font-variant-numeric:tabular-nums">'
            f"{esc(text)}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def chart_alt(title: str, keys: Sequence[str], x_label: str, y_labels: Sequence[str]) -> str:
    """The alt text of a chart image: what it plots, against what (its numbers are in the table).

    >>> chart_alt("training", ["loss", "accuracy"], "epoch", ["loss", "accuracy (%)"])
    'chart: training, lines loss, accuracy; x: epoch; y: loss, accuracy (%)'
    """
    return f"chart: {title}, lines {', '.join(keys)}; x: {x_label}; y: {', '.join(y_labels)}"
