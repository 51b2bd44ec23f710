"""``Metric``: a named series of values recorded from a task or notebook cell."""

from __future__ import annotations

from typing import Any

from .definitions import MetricGroup, MetricScale
from .gate import Gate
from .runtime import get_runtime
from .throttle import KeyState
from .values import check_encodable, to_float, to_window
from .warn import warn


class Metric(Gate):
    """A metric that records values, throttled to ``throttle`` values per second.

    >>> loss = Metric("loss", group="training")
    >>> loss.record(0.25, at=1)

    ``group`` (a name or a :class:`MetricGroup`) puts metrics on a shared chart;
    ``scale`` (a name or a :class:`MetricScale`) picks their y-axis.
    ``throttle=None`` reports every value.

    ``record()`` is the gate's fast path (see gate.py); what it cannot take goes
    to the slow path, :meth:`_record`.
    """

    __slots__ = ("_key", "_group", "_scale", "_throttle", "_groupdef", "_scaledef", "_window", "_state", "__weakref__")

    def __init__(
        self,
        key: str,
        *,
        group: str | MetricGroup | None = None,
        scale: str | MetricScale | None = None,
        throttle: float | None = 10,
    ) -> None:
        if not isinstance(key, str):
            raise TypeError(f"Metric: key must be a str, got {type(key).__name__}")
        if not key:
            raise ValueError("Metric: key must not be empty")
        check_encodable(f"metric {key!r}", "key", key)
        self._key = key
        self._group = group
        self._scale = scale
        self._throttle = throttle
        if group is None or isinstance(group, MetricGroup):
            self._groupdef = group
        elif isinstance(group, str):
            try:
                self._groupdef = MetricGroup(group)
            except ValueError as error:  # an empty or unstorable name: say whose
                raise ValueError(f"metric {key!r}: {error}") from None
        else:
            raise TypeError(f"metric {key!r}: group must be a str or MetricGroup, got {type(group).__name__}")
        if scale is None or isinstance(scale, MetricScale):
            self._scaledef = scale
        elif isinstance(scale, str):
            try:
                self._scaledef = MetricScale(scale)
            except ValueError as error:
                raise ValueError(f"metric {key!r}: {error}") from None
        else:
            raise TypeError(f"metric {key!r}: scale must be a str or MetricScale, got {type(scale).__name__}")
        self._window = to_window(key, throttle)
        self._state: KeyState | None = None
        """The key's state in the execution this object last recorded into."""
        super().__init__()

    @property
    def key(self) -> str:
        return self._key

    @property
    def group(self) -> str | MetricGroup | None:
        return self._group

    @property
    def scale(self) -> str | MetricScale | None:
        return self._scale

    @property
    def throttle(self) -> float | None:
        return self._throttle

    def __repr__(self) -> str:
        parts = [repr(self._key)]
        if self._group is not None:
            parts.append(f"group={self._group!r}")
        if self._scale is not None:
            parts.append(f"scale={self._scale!r}")
        if self._throttle != 10:
            parts.append(f"throttle={self._throttle!r}")
        return f"Metric({', '.join(parts)})"

    def _record(self, value: Any, at: Any) -> None:
        """The slow path: check the value, find the key's state, offer the point, arm the gate."""
        runtime = get_runtime()
        if type(value) is float and value - value == 0.0:
            y = value
        else:
            y = to_float(self._key, "value", value)
        execution = runtime.resolve()
        state = self._state
        if state is None or state.execution is not execution:
            state = runtime.state_for(execution, self._key, self._window, self._groupdef, self._scaledef)
            self._state = state
        self._leave_previous(state)
        with state.lock:
            # What fast paths hold for this key (this object's, or another Metric
            # object's of the same key) is older than this call: the latest waits
            # as pending, and this point replaces it, or follows it once the window closed.
            gated = state.take_gated()
            if gated is not None:
                state.pending = gated
            if y - y != 0.0 and state.warn_once("nonfinite"):
                warn(f"metric {self._key!r}: non-finite value {y!r} kept and drawn as a gap", 3)
            now = runtime.clock()
            x = state.x_of(at, now - execution.t0)
            if x is None:
                return
            empty = len(state.series) == 0
            state.offer(now, x, y, runtime.flusher.schedule)
            started = empty and len(state.series) > 0
            if runtime.can_gate:
                self._arm(state, now, x, auto=at is None, clock=runtime.clock, t0=execution.t0, armed=runtime.armed)
        if started:  # after the lock: a board sends the point to the front end from here
            runtime.series_started(state.series)
