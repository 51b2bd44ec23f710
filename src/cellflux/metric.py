"""``Metric``: a named series of values recorded from a task or notebook cell."""

from __future__ import annotations

import itertools
from typing import Any, Callable

from .definitions import MetricGroup, MetricScale
from .execution import RUNNING, current
from .runtime import get_runtime
from .series import Series
from .throttle import AUTO, EXPLICIT, UNSET, KeyState
from .values import check_encodable, to_at, to_float, to_window
from .warn import warn

_DISARMED = itertools.repeat(False).__next__
# An armed gate is the bound pop() of a list of k Trues: a builtin method call is
# about 10 ns cheaper than a method-wrapper such as an iterator's __next__, and it
# raises IndexError when the k calls are used up.
_INF = float("inf")
_context = current.get


def _never() -> float:
    raise AssertionError("the direct path is used before it is armed")

_GATE_MAX = 4096
_GATE_FAST = 50e-6
_GATE_SLOW = 200e-6


class Metric:
    """A metric that records values, throttled to ``throttle`` values per second.

    >>> loss = Metric("loss", group="training")
    >>> loss.record(0.25, at=1)

    ``group`` (a name or a :class:`MetricGroup`) puts metrics on a shared chart;
    ``scale`` (a name or a :class:`MetricScale`) picks their y-axis.
    ``throttle=None`` reports every value.
    """

    __slots__ = (
        "_key", "_group", "_scale", "_throttle", "_groupdef", "_scaledef", "_window",
        "_tick", "_v", "_gst", "_gx", "_k", "_tslow", "_st", "_direct", "_clock", "_t0",
        "_etick", "_p", "_lat", "_direct_at",
        "__weakref__",
    )

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
        self._tick = _DISARMED
        self._v: Any = UNSET
        self._etick = _DISARMED
        self._p: Any = UNSET
        self._lat = _INF
        self._direct_at: Series | None = None
        self._gst: KeyState | None = None
        self._gx = 0.0
        self._k = 1
        self._tslow = float("-inf")
        self._st: KeyState | None = None
        self._direct: Series | None = None
        self._clock: Callable[[], float] = _never
        self._t0 = 0.0

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

    def record(self, value: Any, *, at: Any = None) -> None:
        """Record ``value`` at x = ``at``, or at the seconds since the execution started.

        Raises ``TypeError`` for values that are not real numbers; NaN and
        infinities are kept (drawn as gaps) with one warning.
        """
        # Fast path, taken inside a throttle window in a tight loop: the value only
        # replaces the pending one. The gate (_tick) is armed by the slow path for a
        # few calls and disarmed by the flusher, flush(), and any change of which
        # execution records go to, so this path needs no clock and no lookup.
        if at is None and type(value) is float:
            try:
                if self._tick():
                    self._v = value
                    return
            except IndexError:
                return self._rearm(value)
            # Unthrottled: straight to the series, under the same arming rules.
            series = self._direct
            if series is not None and value - value == 0.0:
                series.append(self._clock() - self._t0, value)
                return
        elif type(value) is float and (type(at) is int or type(at) is float) and self._lat < at < _INF:
            # The same for explicit, increasing x: the point itself waits.
            try:
                if self._etick():
                    self._lat = at
                    self._p = (at, value)
                    return
            except IndexError:
                pass
            series = self._direct_at
            if series is not None and value - value == 0.0:  # unthrottled
                self._lat = at
                series.append(at, value)
                return
        self._record(value, at)

    def _rearm(self, value: float) -> None:
        """The gate ran out: take the clock, and arm again if still inside the window."""
        st = self._gst
        if st is not None and value - value == 0.0:
            lock = st.lock
            lock.acquire()
            try:
                if self._gst is st and self._tick is not _DISARMED:
                    exe = st.execution
                    now = exe.runtime.clock()
                    if now < st.deadline:
                        self._adapt(now)
                        self._gx = now - exe.t0
                        self._v = value
                        self._tick = ([True] * self._k).pop
                        return
            finally:
                lock.release()
        self._record(value, None)

    def _record(self, value: Any, at: Any) -> None:
        st = self._st
        rt = get_runtime()
        if type(value) is float and value - value == 0.0:
            y = value
        else:
            y = to_float(self._key, "value", value)
        exe = rt.resolve()
        if st is None or st.execution is not exe:
            st = rt.state_for(exe, self._key, self._window, self._groupdef, self._scaledef)
            self._st = st
        old = self._gst
        if old is not None and old is not st:
            with old.lock:
                carried = self._take_gated(old)
                if carried is not None:
                    old.pending = carried
        with st.lock:
            # Gated points of this key (this object's, or another Metric object's of
            # the same key) are all older than this call: the latest waits as pending,
            # and this call's point replaces it, or follows it once the window closed.
            for metric in list(st.gated):
                gated = metric._take_gated(st)
                if gated is not None:
                    st.pending = gated
            if y - y != 0.0 and st.warn_once("nonfinite"):
                warn(f"metric {self._key!r}: non-finite value {y!r} kept and drawn as a gap", 3)
            now = rt.clock()
            if at is None:
                if st.mode == EXPLICIT and st.warn_once("mixed"):
                    warn(f"metric {self._key!r}: recorded without at= after explicit at= values; "
                         "x is seconds since the execution started from now on", 3)
                st.mode = AUTO
                st.series.x_auto = True
                x = now - exe.t0
            else:
                x_at = to_at(self._key, at)
                if st.mode == AUTO:
                    if st.warn_once("mixed"):
                        warn(f"metric {self._key!r}: at= ignored after values recorded without it; "
                             "x stays seconds since the execution started", 3)
                    x = now - exe.t0
                else:
                    st.mode = EXPLICIT
                    if st.series.x_auto is None:
                        st.series.x_auto = False
                    last = st.last_at
                    if last is not None and x_at <= last:
                        if st.warn_once("order"):
                            warn(f"metric {self._key!r}: at={x_at!r} is not after the previous "
                                 f"at={last!r}; value dropped (further drops are silent)", 3)
                        return
                    st.last_at = x_at
                    x = x_at
            st.offer(now, x, y, rt.flusher.schedule)
            if rt.can_gate:
                if at is None and st.window > 0.0:
                    self._arm(rt, st, now, x)
                elif at is None:
                    self._direct, self._clock, self._t0 = st.series, rt.clock, exe.t0
                    rt.armed.add(self)
                elif st.mode == EXPLICIT and st.window > 0.0:
                    self._arm_explicit(rt, st, now, x)
                elif st.mode == EXPLICIT:
                    self._gst, self._lat, self._direct_at = st, x, st.series
                    st.gated.add(self)
                    rt.armed.add(self)

    def _adapt(self, now: float) -> None:
        # Gate size adapts so that gated calls span 50-200 µs: x of a gated value is
        # the x of the last clock reading before it.
        elapsed = now - self._tslow
        self._tslow = now
        if elapsed < _GATE_FAST:
            self._k = min(self._k * 2, _GATE_MAX)
        elif elapsed > _GATE_SLOW:
            self._k = max(self._k // 2, 1)

    def _arm(self, rt: Any, st: KeyState, now: float, x: float) -> None:
        self._adapt(now)
        if self._k > 1:
            self._gst = st
            self._gx = x
            self._v = UNSET
            st.gated.add(self)
            rt.armed.add(self)
            self._tick = ([True] * self._k).pop

    def _arm_explicit(self, rt: Any, st: KeyState, now: float, x: float) -> None:
        self._adapt(now)
        if self._k > 1:
            self._gst = st
            self._v = self._p = UNSET
            self._lat = x
            st.gated.add(self)
            rt.armed.add(self)
            self._etick = ([True] * self._k).pop

    def _disarm(self) -> None:
        # _lat stays: the next slow call hands it to its state as the last at=.
        self._tick = self._etick = _DISARMED
        self._direct = self._direct_at = None

    def _take_gated(self, state: KeyState) -> tuple[float, float] | None:
        """Disarm, and return the latest gated point for ``state``, if any.

        Explicit points also move ``state.last_at`` on, so that a later ``at``
        is checked against them.
        """
        self._tick = self._etick = _DISARMED
        self._direct_at = None
        last_at, self._lat = self._lat, _INF
        if self._gst is not state:
            return None
        if last_at != _INF and (state.last_at is None or last_at > state.last_at):
            state.last_at = float(last_at)
        value, self._v = self._v, UNSET
        point, self._p = self._p, UNSET
        if point is not UNSET:
            return point  # type: ignore[no-any-return]
        if value is not UNSET:
            return (self._gx, value)
        return None
