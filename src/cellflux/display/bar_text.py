"""What a progress bar says, as text: its numbers folded from the series, and how they read.

Shared by the three places that show a bar without the widget: the terminal line
(``text.py``), the static snapshot (``static_text.py``) and the plain-text
summary (``summary.py``). The wording follows the widget's (``js/src/progress.js``),
so the four read alike::

    37/100 37% · 00:12<00:20 · 3.1 it/s
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ProgressTally", "format_bar", "format_count", "format_rate", "format_time", "progress_numbers"]


def format_time(seconds: float | None) -> str:
    """``mm:ss``, or ``h:mm:ss`` from one hour on; ``?`` when unknown.

    >>> format_time(75.9), format_time(3725), format_time(None)
    ('01:15', '1:02:05', '?')
    """
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "?"
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def _amount(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.1f}M"
    if x >= 1e4:
        return f"{x / 1e3:.1f}k"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.1f}"


def format_rate(rate: float | None) -> str:
    """Items per second, or seconds per item when slower than one a second.

    >>> format_rate(3.14), format_rate(0.25), format_rate(None)
    ('3.1 it/s', '4.0 s/it', '? it/s')
    """
    if rate is None or not math.isfinite(rate) or rate < 0:
        return "? it/s"
    if 0 < rate < 1:
        return f"{_amount(1 / rate)} s/it"
    return f"{_amount(rate)} it/s"


def format_count(n: float | None) -> str:
    """An item count: whole numbers without a decimal point.

    >>> format_count(37.0), format_count(2.5), format_count(None)
    ('37', '2.5', '?')
    """
    if n is None or not math.isfinite(n):
        return "?"
    return str(int(n)) if float(n).is_integer() else f"{n:.4g}"


def format_bar(
    count: float, total: float | None, elapsed: float | None, rate: float | None, state: str
) -> str:
    """The text of a bar, e.g. ``37/100 37% · 00:12<00:20 · 3.1 it/s``.

    Without a total: ``37 · 00:12 · 3.1 it/s``. The ETA is shown while running;
    a bar that is not running ends with its state.

    >>> format_bar(37, 100, 12.0, 3.08, "running")
    '37/100 37% · 00:12<00:20 · 3.1 it/s'
    >>> format_bar(37, 100, 12.0, 3.08, "stopped")
    '37/100 37% · 00:12 · 3.1 it/s · stopped'
    """
    elapsed_text = format_time(elapsed)
    if total is None or not math.isfinite(total):
        text = f"{format_count(count)} · {elapsed_text} · {format_rate(rate)}"
    else:
        # count * 100 // total, not a rounded fraction: 29/100 reads 29%.
        percent = math.floor(count * 100 / total) if total > 0 else 100
        if state == "running":
            eta = max(0.0, total - count) / rate if rate else None
            elapsed_text = f"{elapsed_text}<{format_time(eta)}"
        text = f"{format_count(count)}/{format_count(total)} {percent}% · {elapsed_text} · {format_rate(rate)}"
    return text if state == "running" else f"{text} · {state}"


@dataclass
class ProgressTally:
    """What a bar shows, folded from a progress series' points as they arrive."""

    count: float = 0.0
    start: float | None = None
    """x of the latest reset to 0: where the current loop started."""
    last: float | None = None
    """x of the latest point."""
    points: int = 0

    def add(self, xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any]) -> None:
        if xs.size == 0:
            return
        if self.start is None:
            self.start = float(xs[0])
        zeros = np.flatnonzero(ys == 0)
        if zeros.size:
            self.start = float(xs[zeros[-1]])
        finite = np.flatnonzero(np.isfinite(ys))
        if finite.size:
            self.count = float(ys[finite[-1]])
        self.last = float(xs[-1])
        self.points += xs.size


def progress_numbers(
    tally: ProgressTally, total: float | None, state: str | None, now_x: float | None = None
) -> tuple[float, float | None, float | None, float | None]:
    """``(count, total, elapsed, rate)`` of a bar; ``now_x`` is the current x while running."""
    end = now_x if state == "running" and now_x is not None else tally.last
    elapsed = None
    if tally.start is not None and end is not None:
        elapsed = max(0.0, end - tally.start)
    rate = tally.count / elapsed if elapsed else None
    return tally.count, total, elapsed, rate
