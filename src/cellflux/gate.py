"""The fast path of ``Metric.record``: a gate that lets a tight loop skip the slow path.

A throttled metric reports at most one point per window, and inside a window a
new value only replaces the one waiting. So once a slow ``record()`` has read the
clock, found the key's state and offered its point, it *arms a gate* for the next
k calls: a bound ``list.pop`` of a list of k Trues, a builtin call that costs
about 10 ns less than an iterator's ``__next__`` and raises ``IndexError`` once
used up. A call let through the gate only keeps its value, which takes the x of
the last clock reading; when the gate runs out, :meth:`Gate._refill` reads the
clock once and arms it again if the window is still open, else takes the slow
path. k doubles or halves so that k calls span 50-200 µs, which bounds how far a
gated value's x is from the true time. Explicit, increasing ``at=`` has a gate
of its own (the point itself waits, with its exact x), and ``throttle=None`` a
direct append to the series under the same rules. The flusher (at the end of a
window), ``flush()``, the end of an execution and any change of where records go
(a task entered, a thread or an asyncio task inside one) *disarm* the gate: the
value it holds is taken as the window's pending point, and the next call takes
the slow path. A gate is armed only while at most one thread and no asyncio task
runs inside tasks, so the fast path never looks up which execution a record goes to.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from .series import Series
from .throttle import EXPLICIT, KeyState, Point

UNSET: Any = object()
"""What a gate holds when no value went through it since it was armed."""

_DISARMED: Callable[[], bool] = itertools.repeat(False).__next__
_NO_AT = float("inf")
"""``_last_at`` of a disarmed ``at=`` gate: no ``at`` passes ``_last_at < at < inf``."""

_SIZE_MAX = 4096
_SPAN_SHORT = 50e-6
_SPAN_LONG = 200e-6


def _unarmed_clock() -> float:
    raise AssertionError("a gate read the clock before it was armed")


class Gate:
    """The fast path of :meth:`record`, and the gate's arming and disarming.

    :class:`~cellflux.metric.Metric` is a Gate; its ``_record`` is the slow path.
    """

    __slots__ = (
        "_auto_gate", "_gated_value", "_gated_x",
        "_at_gate", "_gated_point", "_last_at",
        "_series", "_at_series",
        "_gate_state", "_gate_size", "_last_reading", "_clock", "_t0",
    )

    def __init__(self) -> None:
        self._auto_gate = _DISARMED
        """Lets auto-x values through: True k times, then IndexError; False when disarmed."""
        self._gated_value: Any = UNSET
        self._gated_x = 0.0
        """The x of the gated value: that of the last clock reading."""
        self._at_gate = _DISARMED
        """The same for explicit, increasing ``at=``."""
        self._gated_point: Any = UNSET
        """The latest ``(at, value)`` let through the ``at=`` gate."""
        self._last_at = _NO_AT
        """The latest ``at=`` this object reported or gated; ``inf`` when the ``at=`` gate is off."""
        self._series: Series | None = None
        """``throttle=None``, auto x: the series that values go straight to."""
        self._at_series: Series | None = None
        """``throttle=None``, explicit ``at=``: the same."""
        self._gate_state: KeyState | None = None
        """The key's state in the execution the gate was armed for."""
        self._gate_size = 1
        self._last_reading = float("-inf")
        """When the slow path or a refill last read the clock."""
        self._clock: Callable[[], float] = _unarmed_clock
        self._t0 = 0.0
        """The execution's start on ``_clock``: auto x is ``_clock() - _t0``."""

    def record(self, value: Any, *, at: Any = None) -> None:
        """Record ``value`` at x = ``at``, or at the seconds since the execution started.

        Raises ``TypeError`` for values that are not real numbers; NaN and
        infinities are kept (drawn as gaps) with one warning.
        """
        if at is None and type(value) is float:
            try:
                if self._auto_gate():
                    self._gated_value = value
                    return
            except IndexError:
                return self._refill(value)
            series = self._series
            if series is not None and value - value == 0.0:
                series.append(self._clock() - self._t0, value)
                return
        elif type(value) is float and (type(at) is int or type(at) is float) and self._last_at < at < _NO_AT:
            try:
                if self._at_gate():
                    self._last_at = at
                    self._gated_point = (at, value)
                    return
            except IndexError:
                pass
            series = self._at_series
            if series is not None and value - value == 0.0:
                self._last_at = at
                series.append(at, value)
                return
        self._record(value, at)

    def _record(self, value: Any, at: Any) -> None:
        """The slow path (``Metric._record``)."""
        raise NotImplementedError

    def _refill(self, value: float) -> None:
        """The auto gate ran out: inside the window arm it again, else take the slow path."""
        state = self._gate_state
        if state is not None and value - value == 0.0:
            with state.lock:
                # The flusher may have disarmed the gate since it ran out.
                if self._gate_state is state and self._auto_gate is not _DISARMED:
                    now = self._clock()
                    if now < state.deadline:
                        self._resize(now)
                        self._gated_x = now - self._t0
                        self._gated_value = value
                        self._auto_gate = ([True] * self._gate_size).pop
                        return
        self._record(value, None)

    def _arm(self, state: KeyState, now: float, x: float, *, auto: bool,
             clock: Callable[[], float], t0: float, armed: set[Gate]) -> None:
        """Open the fast path after a slow call that reported ``x`` at clock time ``now``.

        ``auto``: that call had no ``at=``. ``clock`` and ``t0`` give auto x;
        ``armed`` is the runtime's set of armed gates, which it disarms when
        records may go elsewhere. The caller holds ``state.lock``.
        """
        if auto and state.window == 0.0:  # throttle=None: straight to the series
            self._series, self._clock, self._t0 = state.series, clock, t0
            armed.add(self)
        elif auto and self._resize(now) > 1:
            self._gate_state, self._clock, self._t0 = state, clock, t0
            self._gated_x, self._gated_value = x, UNSET
            state.gated.add(self)
            armed.add(self)
            self._auto_gate = ([True] * self._gate_size).pop
        elif auto or state.mode != EXPLICIT:
            pass  # a gate of one call, or an at= ignored after auto x: nothing to open
        elif state.window == 0.0:  # throttle=None: straight to the series, in order
            self._gate_state, self._last_at, self._at_series = state, x, state.series
            state.gated.add(self)
            armed.add(self)
        elif self._resize(now) > 1:
            self._gate_state, self._last_at = state, x
            self._gated_value = self._gated_point = UNSET
            state.gated.add(self)
            armed.add(self)
            self._at_gate = ([True] * self._gate_size).pop

    def _resize(self, now: float) -> int:
        """The gate's new size, from the time since the clock was last read."""
        # k calls should span 50-200 µs: the x of a gated value is that of the
        # last clock reading, at most that long before it.
        elapsed = now - self._last_reading
        self._last_reading = now
        if elapsed < _SPAN_SHORT:
            self._gate_size = min(self._gate_size * 2, _SIZE_MAX)
        elif elapsed > _SPAN_LONG:
            self._gate_size = max(self._gate_size // 2, 1)
        return self._gate_size

    def _disarm(self) -> None:
        """Send the next call through the slow path; what the gate holds stays for it to take."""
        # _last_at stays too: the next slow call hands it to the state as the last at=.
        self._auto_gate = self._at_gate = _DISARMED
        self._series = self._at_series = None

    def _take_gated(self, state: KeyState) -> Point | None:
        """Disarm, and return the latest point gated for ``state``, if any.

        Explicit points also move ``state.last_at`` on, so that a later ``at``
        is checked against them. The caller holds ``state.lock``.
        """
        self._auto_gate = self._at_gate = _DISARMED
        self._at_series = None
        last_at, self._last_at = self._last_at, _NO_AT
        if self._gate_state is not state:
            return None
        if last_at != _NO_AT and (state.last_at is None or last_at > state.last_at):
            state.last_at = float(last_at)
        value, self._gated_value = self._gated_value, UNSET
        point, self._gated_point = self._gated_point, UNSET
        if point is not UNSET:
            return point  # type: ignore[no-any-return]
        if value is not UNSET:
            return (self._gated_x, value)
        return None

    def _leave_previous(self, state: KeyState) -> None:
        """Before recording into ``state``: a gate armed for another state leaves its point there."""
        previous = self._gate_state
        if previous is not None and previous is not state:
            with previous.lock:
                point = self._take_gated(previous)
                if point is not None:
                    previous.pending = point
