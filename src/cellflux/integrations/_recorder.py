"""What every integration does with a framework's logged values and loops.

:class:`Recorder` records each logged key on the chart :mod:`._naming` picks,
at the framework's own step, unthrottled (a framework logs once per epoch or
every few steps: every value is kept). :class:`Bars` holds the nested progress
bars of a run. Both use only cellflux's public API.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import cellflux as cf

from ._naming import Name, name_of

BARS = "progress"
"""The group of a run's progress bars: drawn above its charts, in order of creation."""


class Recorder:
    """Records logged values, ``x_units`` ("epoch", "step", "round") saying what x counts."""

    def __init__(self, x_units: str) -> None:
        self.x_units = x_units
        self._metrics: dict[str, cf.Metric | None] = {}
        self._last_x: dict[str, float] = {}
        self.recorded: dict[str, float] = {}
        """The latest value of each key recorded."""

    def record(self, logs: Mapping[str, Any], at: float) -> None:
        """Record every numeric value of ``logs`` at x = ``at``; other values are not metrics."""
        for key, value in logs.items():
            self.record_one(key, value, at)

    def record_one(self, key: str, value: Any, at: float, name: Name | None = None) -> None:
        metric = self._metrics.get(key, _NEW)
        if metric is _NEW:
            name = name if name is not None else name_of(key)
            metric = None if name is None else cf.Metric(
                key,
                group=cf.MetricGroup(name.quantity, units=self.x_units),
                scale=cf.MetricScale(name.quantity),  # train and validation share the y-axis
                throttle=None,
            )
            self._metrics[key] = metric
        if metric is None:
            return
        number = _number(value)
        if number is None:
            return
        # A framework may log a key twice at one step (a last evaluation at the end):
        # the first value stays, rather than a warning in the user's cell.
        if at <= self._last_x.get(key, -math.inf):
            return
        self._last_x[key] = at
        metric.record(number, at=at)
        self.recorded[key] = number


_NEW: Any = object()


def _number(value: Any) -> float | None:
    if isinstance(value, (str, bytes, bool)) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


class Bars:
    """The progress bars of a run, by key; a key opened again restarts its bar (a new epoch)."""

    def __init__(self) -> None:
        self.open: dict[str, cf.Progress] = {}

    def start(self, key: str, total: int | None) -> cf.Progress:
        self.close(key)
        bar = cf.Progress(key, group=BARS, total=total if total is None or total >= 0 else None)
        self.open[key] = bar
        return bar

    def update(self, key: str, n: int = 1) -> None:
        bar = self.open.get(key)
        if bar is not None:
            bar.update(n)

    def close(self, key: str, state: str | None = None) -> None:
        bar = self.open.pop(key, None)
        if bar is not None:
            bar.close(state)

    def close_all(self) -> None:
        for key in list(self.open):
            self.close(key)


def as_total(value: Any) -> int | None:
    """A framework's count as a bar's total: None when unknown, infinite or not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) and number >= 0 else None
