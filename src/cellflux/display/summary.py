"""The ``text/plain`` summary of a board: what a terminal, nbval or a text export shows.

>>> from cellflux.display.static import BoardView
>>> print(summarize(BoardView("train", "failed", 0.0, 12.3)))
train · failed · 12.3 s
"""

from __future__ import annotations

import math
from typing import Any

from .layout import layout
from .static import SeriesView, board_view, format_duration
from .bar_text import ProgressTally, format_count, progress_numbers
from .escape import printable

__all__ = ["summarize"]

_HEADER = ("metric", "last", "min", "max", "count")


def summarize(view: Any) -> str:
    """Execution name, status and duration, then one row per metric in board order.

    Lines show ``last``, ``min``, ``max`` (finite values) and ``count`` in aligned
    columns; progress bars show ``count/total (state)``, e.g. ``37/100 (stopped)``.
    """
    board = board_view(view)
    title = f"{printable(board.name)} · {board.status} · {format_duration(board.duration)}"
    by_key = {s.key: s for s in board.series}
    rows: list[tuple[str, ...]] = []
    for spec in layout(board.series):
        rows += [(printable(key), _progress(by_key[key])) for key in spec.bars]
        rows += [_line_row(by_key[ls.key]) for ls in spec.lines]
    if not rows:
        return title
    numeric = [r for r in rows if len(r) == len(_HEADER)]
    head = [_HEADER] if numeric else []
    key_width = max(len(r[0]) for r in head + rows)
    widths = [max(len(r[c]) for r in head + numeric) for c in range(1, len(_HEADER))] if numeric else []
    lines = [title]
    for row in head + rows:
        if len(row) == 2:  # a progress bar: its text spans the number columns
            cells = [f"{row[0]:<{key_width}}", row[1]]
        else:
            cells = [f"{row[0]:<{key_width}}"] + [f"{cell:>{w}}" for cell, w in zip(row[1:], widths)]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return "\n".join(lines)


def _number(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.4g}"


def _line_row(s: SeriesView) -> tuple[str, ...]:
    return (printable(s.key), _number(s.last), _number(s.low), _number(s.high), str(s.count))


def _progress(s: SeriesView) -> str:
    total = s.scale.upper if s.scale is not None else None
    count, total, _, _ = progress_numbers(s.progress or ProgressTally(), total, s.state)
    done = format_count(count) if total is None else f"{format_count(count)}/{format_count(total)}"
    return f"{done} ({s.state or 'running'})"

