"""All the progress bars of one chart group in one anywidget: one message per tick."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from typing import Any, TypeAlias

import anywidget
import traitlets

from .bundle import STATIC, read_bundle

__all__ = ["STATES", "Bar", "ProgressBars"]

Bar: TypeAlias = tuple[str, str, float, float | None, float, float | None]
"""(label, state, count, total or None, elapsed seconds, rate in items/s or None)."""

STATES = ("running", "done", "stopped", "failed")
_FIELDS = 4  # float64 values per bar in `data`, in the order of the JS reader
_REPR_BARS = 8
_BUNDLE = STATIC / "progress.js"


def _pack(bars: Iterable[Bar]) -> tuple[list[str], list[str], bytes]:
    """Validate `bars` and split them into the three synced traits."""
    labels: list[str] = []
    states: list[str] = []
    numbers: list[float] = []
    for label, state, count, total, elapsed, rate in bars:
        if not isinstance(label, str):
            msg = f"progress bar label must be a str, not {type(label).__name__}"
            raise TypeError(msg)
        if state not in STATES:
            msg = f"progress bar {label!r}: state must be one of {STATES}, not {state!r}"
            raise ValueError(msg)
        labels.append(label)
        states.append(state)
        numbers += (float(count), _unknown(total), float(elapsed), _unknown(rate))
    return labels, states, struct.pack(f"<{len(numbers)}d", *numbers)


def _unknown(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _format_number(value: float) -> str:
    return str(int(value)) if value.is_integer() else f"{value:g}"


class ProgressBars(anywidget.AnyWidget):
    """Several progress bars stacked in one widget; update them all with `set_bars`.

    >>> ProgressBars([("epoch", "running", 3, 10, 12.0, 0.25), ("batch", "done", 37, None, 4, 9)])
    ProgressBars(epoch: 3/10 running, batch: 37 done)
    """

    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Metric key of each bar, shown as plain text."""
    states = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """State of each bar: "running", "done", "stopped" or "failed"."""
    data = traitlets.Bytes().tag(sync=True)
    """Little-endian float64, 4 per bar: count, total, elapsed s, items/s (NaN when unknown)."""

    def __init__(self, bars: Iterable[Bar] = (), **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - set(self.class_trait_names()))
        if unknown:
            msg = f"ProgressBars() got unexpected keyword argument(s): {', '.join(unknown)}"
            raise TypeError(msg)
        # Read at construction, not import, so `import cellflux` works before a build.
        self._esm = read_bundle(_BUNDLE, "progress-bar")
        labels, states, data = _pack(bars)
        super().__init__(labels=labels, states=states, data=data, **kwargs)

    def set_bars(self, bars: Iterable[Bar]) -> None:
        """Show `bars`, sending only the traits that changed, in one message."""
        labels, states, data = _pack(bars)
        with self.hold_sync():
            if labels != self.labels:
                self.labels = labels
            if states != self.states:
                self.states = states
            if data != self.data:
                self.data = data

    def __repr__(self) -> str:
        """Labels, counts and states, read from the traits without serialising them."""
        values = struct.unpack_from(f"<{len(self.data) // 8}d", self.data)
        parts = []
        for i, (label, state) in enumerate(zip(self.labels[:_REPR_BARS], self.states)):
            count, total = (*values[i * _FIELDS : i * _FIELDS + 2], math.nan, math.nan)[:2]
            done = _format_number(count)
            if not math.isnan(total):
                done += f"/{_format_number(total)}"
            parts.append(f"{label}: {done} {state}")
        if len(self.labels) > _REPR_BARS:
            parts.append(f"… {len(self.labels) - _REPR_BARS} more")
        return f"ProgressBars({', '.join(parts)})"
