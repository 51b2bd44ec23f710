"""One line of a live chart: its decimated points, its bqplot mark (held, not made, here:
bqplot is chart.py's) and the running statistics of its table row."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .decimate import Decimator
from .zoom import ZoomWindow

MAX_POINTS = 2000


class Line:
    """One metric's line: its decimator, its bqplot mark, and running statistics."""

    def __init__(self, key: str, mark: Any, home: dict[str, Any]) -> None:
        self.key = key
        self.mark = mark
        self.home = home
        """The chart's scales the mark draws on once it has points (see ``Chart.grow``)."""
        self.decimator = Decimator(MAX_POINTS)
        self.cursor = 0
        self.count = 0
        self.last = math.nan
        self.last_x = 0.0
        self.first_x = math.inf
        self.min = math.inf
        self.max = -math.inf
        self.low_positive = math.inf
        """The smallest value above 0: where a log axis starts."""
        self.window: ZoomWindow | None = None
        """The zoomed window of the line, when its chart is zoomed."""
        self.dirty = False
        self.parked = True
        """Whether the mark is on the chart's idle scales until its move to ``home`` goes out."""

    def on_home(self) -> bool:
        """Whether the mark's scales are ``home`` (its move went out)."""
        return all(self.mark.scales.get(name) is scale for name, scale in self.home.items())

    def take(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """New points from the series, since ``cursor``."""
        if len(xs) == 0:
            return
        self.cursor += len(xs)
        self.count += len(xs)
        self.decimator.extend(xs, ys)
        self.last = float(ys[-1])
        self.last_x = max(self.last_x, float(np.nanmax(xs)))
        self.first_x = min(self.first_x, float(np.nanmin(xs)))
        finite = ys[np.isfinite(ys)]
        if len(finite):
            self.min = min(self.min, float(finite.min()))
            self.max = max(self.max, float(finite.max()))
            positive = finite[finite > 0]
            if len(positive):
                self.low_positive = min(self.low_positive, float(positive.min()))
        # Zoomed, only points inside the window change what is drawn.
        self.dirty = self.window.extend(xs, ys) or self.dirty if self.window is not None else True
