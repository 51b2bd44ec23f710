"""The latest/min/max table beside a chart: the chart's one legend.

Each row is a metric: a colour swatch and its name (see labels.name_cell), then its
latest, lowest and highest values. The chart's controls make the rows the switches
that show and hide the lines (js/src/stats_table.js).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from .labels import name_cell
from .static_text import fmt_value

__all__ = ["stats_html"]


class LineStats(Protocol):
    key: str
    count: int
    last: float
    min: float
    max: float


def stats_html(lines: Iterable[LineStats], colours: dict[str, str]) -> str:
    """The table's markup: names escaped (see labels.py), numbers formatted; empty without points."""
    rows = []
    for line in lines:
        if not line.count:
            continue
        cells = "".join(f'<td style="padding:0 6px">{fmt_value(v)}</td>' for v in (line.last, line.min, line.max))
        rows.append(f"<tr>{name_cell(line.key, colours[line.key])}{cells}</tr>")
    if not rows:
        return ""
    head = "<tr><th></th>" + "".join(f'<th style="padding:0 6px">{h}</th>' for h in ("latest", "min", "max")) + "</tr>"
    return (
        '<table class="cellflux-stats" style="font-size:12px;border-collapse:collapse">'
        f"{head}{''.join(rows)}</table>"
    )
