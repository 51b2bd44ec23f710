"""Property tests over the public API: every call follows DESIGN.md's semantics or raises
TypeError/ValueError naming the metric, and every point reported is the point stored and
the point the board sent to the front end.

Each example runs in a rig of its own (fake clock, a real SQLite file, a board over a
recording comm): see ``harness.py``. Examples are derandomized, so CI runs the same
cases every time; ``CELLFLUX_RELIABILITY_EXAMPLES`` sets how many.
"""

from __future__ import annotations

import itertools
import os
import math
import operator
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import cellflux as cf

from .conftest import env_int
from .harness import Rig
from .ledger import Ledger
from .oracle import ANYTHING, KEYS, VALUES, expect_at, expect_number

EXAMPLES = env_int("CELLFLUX_RELIABILITY_EXAMPLES", 100)
SHRINK = os.environ.get("CELLFLUX_RELIABILITY_SHRINK", "") not in ("", "0")
PROFILE = settings(
    max_examples=EXAMPLES,
    # Shrinking a failure here can take minutes (each example builds a store and a board):
    # CI reports the failing example as found; set CELLFLUX_RELIABILITY_SHRINK=1 to minimise it.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, *([Phase.shrink] if SHRINK else [])],
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
_dirs = itertools.count()


def _rig_path(tmp_path: Path) -> Path:
    return tmp_path / f"ex{next(_dirs)}" / "metrics.sqlite"


def _names_metric(error: BaseException, key: str) -> bool:
    return repr(key) in str(error)


def _warning_causes(caught: list[warnings.WarningMessage]) -> list[tuple[str, str]]:
    """CellfluxWarnings about metrics as (cause, message); any other CellfluxWarning fails the test."""
    out = []
    for w in caught:
        if not issubclass(w.category, cf.CellfluxWarning):
            continue
        text = str(w.message)
        if "non-finite" in text:
            cause = "nonfinite"
        elif "is not after the previous" in text:
            cause = "order"
        elif "at= ignored" in text or "recorded without at=" in text:
            cause = "mixed"
        else:
            raise AssertionError(f"unexpected warning: {text[:300]}")
        out.append((cause, text))
    return out


# -- 1. values, at, keys: throttle=None, so every accepted value is a point ---------------------

AT = st.one_of(st.none(), st.none(), st.none(), st.none(), st.integers(-2, 25), st.floats(-1, 30), ANYTHING)
RECORD = st.tuples(st.just("record"), st.integers(0, 2), st.integers(0, 1), VALUES, AT)
OPS = st.lists(
    st.one_of(
        RECORD, RECORD, RECORD, RECORD,
        st.tuples(st.just("advance"), st.sampled_from([0.0, 1e-6, 0.01, 0.4, 7.0, 250.0])),
        st.tuples(st.just("flush")),
    ),
    min_size=20,
    max_size=80,
)
GROUPS = [None, "g", cf.MetricGroup("h", units="step")]
SCALES = [None, cf.MetricScale(units="%"), cf.MetricScale("shared", units="s", lower=0)]


@dataclass
class KeyModel:
    """The semantics of one key, from DESIGN.md: modes, order, warnings."""

    points: list[tuple[float, float]] = field(default_factory=list)
    mode: str | None = None
    last_at: float | None = None
    causes: set[str] = field(default_factory=set)


def test_values_at_and_keys(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(1, "record(): values of every kind, `at`, keys (unicode, control chars, 20k chars)")
    tally: Counter[str] = Counter()

    @PROFILE
    @given(
        keys=st.lists(KEYS, min_size=1, max_size=3, unique=True),
        configs=st.lists(st.tuples(st.sampled_from(range(3)), st.sampled_from(range(3))), min_size=3, max_size=3),
        ops=OPS,
    )
    def check(keys: list[str], configs: list[tuple[int, int]], ops: list[Any]) -> None:
        rig = Rig(_rig_path(tmp_path))
        with rig.installed(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            metrics = [
                [cf.Metric(key, group=GROUPS[g], scale=SCALES[s], throttle=None) for _ in range(2)]
                for key, (g, s) in zip(keys, configs)
            ]
            models = {key: KeyModel() for key in keys}
            clock = rig.clock

            @cf.task("properties")
            def run() -> cf.Execution:
                exe = cf.current_execution()
                for op in ops:
                    if op[0] == "advance":
                        clock.advance(op[1])
                    elif op[0] == "flush":
                        cf.flush()
                    else:
                        _, k, which, value, at = op
                        k %= len(keys)
                        _record(metrics[k][which], models[keys[k]], value, at, clock() - exe.t0, tally)
                return exe

            exe = run()
            counts = rig.compare(exe)
        causes = _warning_causes(caught)
        for key, model in models.items():
            xs, ys = exe.buffers[key].read() if key in exe.buffers else (np.zeros(0), np.zeros(0))
            want = np.array(model.points, dtype=np.float64).reshape(-1, 2)
            assert xs.tobytes() == want[:, 0].tobytes(), f"{key!r}: x {xs[:5]} != {want[:5, 0]}"
            assert ys.tobytes() == want[:, 1].tobytes(), f"{key!r}: y {ys[:5]} != {want[:5, 1]}"
            for cause in ("nonfinite", "order", "mixed"):
                n = sum(1 for c, text in causes if c == cause and text.startswith(f"metric {key!r}: "))
                assert n == (cause in model.causes), f"{key!r}: {n} {cause} warnings, expected {cause in model.causes:d}"
            tally["points"] += counts.get(key, 0)
        tally["calls"] += sum(1 for op in ops if op[0] == "record")
        tally["examples"] += 1

    check()
    ledger.done(
        row,
        tried=f"{tally['examples']} runs, {tally['calls']} calls ({tally['rejected']} rejected as the table says)",
        lost=f"0 of {tally['points']} points (series = store = board)",
    )


def _record(metric: cf.Metric, model: KeyModel, value: Any, at: Any, now_x: float, tally: Counter[str]) -> None:
    key = metric.key
    want = expect_number(value)
    want_at = expect_at(at) if at is not None else None
    try:
        metric.record(value, at=at)
    except (TypeError, ValueError) as error:
        tally["rejected"] += 1
        assert _names_metric(error, key), f"the error does not name the metric: {error}"
        if want.ok and (want_at is None or want_at.ok):
            raise AssertionError(f"{value!r} at={at!r} should be accepted, raised {error!r}") from error
        expected = want.error if not want.ok else want_at.error  # type: ignore[union-attr]
        assert isinstance(error, expected), f"{value!r} at={at!r}: {error!r}, expected {expected}"
        if want.ok and not math.isfinite(want.value):  # type: ignore[arg-type]
            model.causes.add("nonfinite")  # warned before ``at`` was checked
        return
    assert want.ok and (want_at is None or want_at.ok), f"{value!r} at={at!r} accepted, expected an error"
    y = want.value
    assert y is not None
    if not math.isfinite(y):
        model.causes.add("nonfinite")
    if at is None:
        if model.mode == "explicit":
            model.causes.add("mixed")
        model.mode = "auto"
        model.points.append((now_x, y))
        return
    if model.mode == "auto":
        model.causes.add("mixed")
        model.points.append((now_x, y))
        return
    model.mode = "explicit"
    x = want_at.value  # type: ignore[union-attr]
    if model.last_at is not None and x <= model.last_at:  # type: ignore[operator]
        model.causes.add("order")
        return
    model.last_at = x
    model.points.append((x, y))  # type: ignore[arg-type]




# -- 2. the throttle: leading edge, latest per window, final value, within one window ----------

WINDOWS = {0.5: 2.0, 2.0: 0.5, 10: 0.1, 100: 0.01, math.inf: 0.0}
THROTTLE_RECORD = st.tuples(
    st.just("record"), st.integers(0, 1), st.integers(0, 1), st.sampled_from(["next"] * 6 + ["same", "back"])
)
"""Explicit keys: the next x is after the last (usually), the same, or before it (dropped, one warning)."""
THROTTLE_OPS = st.lists(
    st.one_of(
        THROTTLE_RECORD, THROTTLE_RECORD, THROTTLE_RECORD,
        st.tuples(st.just("advance"), st.sampled_from([0.0, 0.0, 1e-6, 1e-4, 0.003, 0.05, 0.1, 0.3, 0.7, 2.5])),
        st.tuples(st.just("run_due")),
        st.tuples(st.just("flush")),
    ),
    min_size=40,
    max_size=150,
)


@dataclass
class Emitted:
    x: float
    y: float
    by: str
    t: float


@dataclass
class Recorded:
    x: float
    y: float
    t: float


@pytest.mark.parametrize("objects", [1, 2])
def test_throttle(tmp_path: Path, ledger: Ledger, objects: int) -> None:
    """One Metric object per key; then two objects of the same key recording in turn."""
    name = "throttle: leading point, latest per window, final value, flusher within one window"
    row = ledger.scenario(1, name if objects == 1 else f"{name}; two Metric objects of one key")
    tally: Counter[str] = Counter()

    @PROFILE
    @given(
        throttles=st.lists(st.sampled_from(sorted(WINDOWS)), min_size=2, max_size=2),
        explicit=st.lists(st.booleans(), min_size=2, max_size=2),
        ops=THROTTLE_OPS,
    )
    def check(throttles: list[float], explicit: list[bool], ops: list[Any]) -> None:
        rig = Rig(_rig_path(tmp_path))
        keys = ["a", "b"]
        recorded: dict[str, list[Recorded]] = {k: [] for k in keys}
        emitted: dict[str, list[Emitted]] = {k: [] for k in keys}
        dropped: set[str] = set()
        with rig.installed(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clock = rig.clock
            rt = rig.runtime
            metrics = [[cf.Metric(k, throttle=th) for _ in range(objects)] * (3 - objects) for k, th in zip(keys, throttles)]
            values = itertools.count(1)
            holder: list[cf.Execution] = []

            def observe(by: str) -> None:
                exe = holder[0]
                for key in keys:
                    s = exe.buffers.get(key)
                    if s is None:
                        continue
                    xs, ys = s.read(len(emitted[key]))
                    emitted[key] += [Emitted(float(x), float(y), by, clock()) for x, y in zip(xs, ys)]

            @cf.task("throttle")
            def run() -> None:
                exe = cf.current_execution()
                holder.append(exe)
                for op in ops:
                    if op[0] == "advance":
                        clock.advance(op[1])
                    elif op[0] == "flush":
                        cf.flush()
                    elif op[0] == "run_due":
                        rt.flusher.run_due()
                        _check_fresh(recorded, emitted, keys, throttles, clock(), observe)
                    else:
                        _, k, which, step = op
                        key = keys[k]
                        y = float(next(values))
                        if explicit[k]:
                            last = recorded[key][-1].x if recorded[key] else 0.0
                            x = {"next": last + 2.0, "same": last, "back": last - 1.0}[step]
                        else:
                            x = clock() - exe.t0
                        metrics[k][which].record(y, at=x if explicit[k] else None)
                        if not explicit[k] or not recorded[key] or x > recorded[key][-1].x:
                            recorded[key].append(Recorded(x, y, clock()))
                        else:
                            dropped.add(key)
                    observe(op[0])

            run()
            observe("end")
            counts = rig.compare(holder[0])
        causes = _warning_causes(caught)
        for key in keys:
            drops = sum(1 for c, text in causes if c == "order" and text.startswith(f"metric {key!r}: "))
            assert drops == (key in dropped), f"{key}: {drops} warnings about dropped at=, expected {key in dropped:d}"
        assert all(c == "order" for c, _ in causes), causes
        for key, throttle in zip(keys, throttles):
            _check_throttled(key, WINDOWS[throttle], explicit[keys.index(key)], recorded[key], emitted[key])
            tally["recorded"] += len(recorded[key])
            tally["emitted"] += counts.get(key, 0)
        tally["examples"] += 1

    check()
    ledger.done(
        row,
        tried=f"{tally['examples']} runs, {tally['recorded']} records, 5 rates",
        lost=f"0: every final value delivered; {tally['emitted']} points reported = stored = on the board",
    )


def _check_fresh(
    recorded: dict[str, list[Recorded]], emitted: dict[str, list[Emitted]], keys: list[str],
    throttles: list[float], now: float, observe: Any,
) -> None:
    """Right after the flusher ran: a value older than one window is out (the latest of each key)."""
    observe("run_due")
    for key, throttle in zip(keys, throttles):
        rec = recorded[key]
        if rec and rec[-1].t <= now - WINDOWS[throttle]:
            got = emitted[key][-1].y if emitted[key] else None
            assert got == rec[-1].y, f"{key}: value {rec[-1].y} recorded at {rec[-1].t} still not out at {now}"


def _check_throttled(key: str, window: float, explicit: bool, rec: list[Recorded], out: list[Emitted]) -> None:
    if not rec:
        assert not out
        return
    by_y = {r.y: r for r in rec}
    ys = [e.y for e in out]
    assert all(y in by_y for y in ys), f"{key}: a point that was never recorded"
    assert ys == sorted(set(ys)), f"{key}: points out of order or repeated: {ys}"
    assert ys[0] == rec[0].y, f"{key}: the first value is not reported at once"
    assert ys[-1] == rec[-1].y, f"{key}: the final value {rec[-1].y} is not the last point ({ys[-1]})"
    if window == 0.0:
        assert [(e.x, e.y) for e in out] == [(r.x, r.y) for r in rec], f"{key}: unthrottled points differ"
    for e, prev in zip(out, [None, *out[:-1]]):
        r = by_y[e.y]
        if explicit:
            assert e.x == r.x, f"{key}: x {e.x} is not the at={r.x} recorded"
        else:
            assert rec[0].x <= e.x <= r.x + 1e-9, f"{key}: x {e.x} outside [{rec[0].x}, {r.x}]"
            assert prev is None or e.x >= prev.x, f"{key}: x goes back"
    windowed = [e.t for e in out if e.by in ("record", "run_due")]
    for t1, t2 in zip(windowed, windowed[1:]):
        assert t2 - t1 >= window - 1e-9, f"{key}: two points {t2 - t1} s apart in a {window} s window"


# -- 3. groups and scales: conflicts raise, naming both configurations ---------------------------

GROUP_SPECS: list[Any] = [
    None, "g1", cf.MetricGroup("g1", units="epoch"), cf.MetricGroup("g1", units="step"),
    cf.MetricGroup("g1", lower=0, upper=10), "g2", cf.MetricGroup("g2", units="epoch", lower=-1),
]
SCALE_SPECS: list[Any] = [
    None, "s1", cf.MetricScale("s1", units="%"), cf.MetricScale("s1", units="x"), cf.MetricScale(units="%"),
    cf.MetricScale(units="%", lower=0), cf.MetricScale("s2", lower=0, upper=1), cf.MetricScale("s2", progress=True),
]
_GROUP_FIELDS = ("units", "lower", "upper")
_SCALE_FIELDS = ("units", "progress", "lower", "upper")


def _fields(config: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(config, name) for name in names}


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """Two configurations of one name agree when no field is set in both to different values."""
    out = dict(old)
    for name, value in new.items():
        if value is None or value == old[name]:
            continue
        if old[name] is not None:
            return None
        out[name] = value
    return out


class ConfigModel:
    """Definitions within one execution; a call that raises changes nothing."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, Any]] = {}
        self.scales: dict[tuple[str, str], dict[str, Any]] = {}
        self.metrics: dict[str, tuple[Any, ...]] = {}

    def define(self, key: str, group: Any, scale: Any) -> str | None:
        """Register; return None, or the text the ValueError must contain (the conflicting config)."""
        g = cf.MetricGroup(group) if isinstance(group, str) else group
        s = cf.MetricScale(scale) if isinstance(scale, str) else scale
        groups, scales = dict(self.groups), dict(self.scales)
        if g is not None:
            merged = _merge(groups[g.name], _fields(g, _GROUP_FIELDS)) if g.name in groups else _fields(g, _GROUP_FIELDS)
            if merged is None:
                return repr(g)
            groups[g.name] = merged
        if s is not None and s.name is not None:
            slot = (g.name if g is not None else "\0" + key, s.name)
            merged = _merge(scales[slot], _fields(s, _SCALE_FIELDS)) if slot in scales else _fields(s, _SCALE_FIELDS)
            if merged is None:
                return repr(s)
            scales[slot] = merged
        if s is None:
            identity: tuple[Any, ...] = (None,)
        elif s.name is not None:
            identity = ("named", s.name)
        else:
            identity = ("private", *(_fields(s, _SCALE_FIELDS).values()))
        signature = (g.name if g is not None else None, identity)
        if key in self.metrics and self.metrics[key] != signature:
            return f"group={signature[0]!r}"
        self.metrics.setdefault(key, signature)
        self.groups, self.scales = groups, scales
        return None


def test_group_and_scale_configurations(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(1, "groups and scales: conflicting redefinitions raise ValueError naming both")
    tally: Counter[str] = Counter()

    @PROFILE
    @given(
        ops=st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, len(GROUP_SPECS) - 1), st.integers(0, len(SCALE_SPECS) - 1)),
            min_size=1,
            max_size=25,
        )
    )
    def check(ops: list[tuple[int, int, int]]) -> None:
        rig = Rig(_rig_path(tmp_path))
        model = ConfigModel()
        with rig.installed():

            @cf.task("configs")
            def run() -> cf.Execution:
                for i, (k, g, s) in enumerate(ops):
                    key = ["loss", "acc", "lr"][k]
                    conflict = model.define(key, GROUP_SPECS[g], SCALE_SPECS[s])
                    metric = cf.Metric(key, group=GROUP_SPECS[g], scale=SCALE_SPECS[s])
                    try:
                        metric.record(float(i), at=i)
                    except ValueError as error:
                        tally["rejected"] += 1
                        assert conflict is not None, f"op {i}: {key} {GROUP_SPECS[g]!r} {SCALE_SPECS[s]!r}: {error}"
                        assert _names_metric(error, key) and conflict in str(error), str(error)
                        assert "conflict" in str(error) or "cannot also have" in str(error)
                        continue
                    assert conflict is None, f"op {i}: {key} {GROUP_SPECS[g]!r} {SCALE_SPECS[s]!r} accepted"
                    tally["accepted"] += 1
                exe = cf.current_execution()
                for name, fields in model.groups.items():
                    assert _fields(exe.groups[name], _GROUP_FIELDS) == fields, name
                return exe

            exe = run()
            rig.compare(exe)
        tally["examples"] += 1

    check()
    ledger.done(
        row,
        tried=f"{tally['examples']} runs, {tally['accepted'] + tally['rejected']} definitions "
        f"({tally['rejected']} conflicts)",
        lost="0 (definitions stored = engine's)",
    )


# -- 4. constructors: Metric(throttle=, group=, scale=), MetricGroup, MetricScale, progress(total=) ---

CONFIG_VALUES = st.one_of(st.none(), ANYTHING, st.sampled_from([0, -1, 0.5, 1e-300, math.inf, -math.inf, math.nan]))


def _expect_window(throttle: Any) -> float | tuple[type[Exception], ...]:
    """DESIGN.md: a positive rate (inf: every value), None; 0, negative, NaN: ValueError; non-numbers: TypeError."""
    if throttle is None:
        return 0.0
    number = expect_number(throttle)
    if not number.ok:
        return (TypeError, ValueError) if number.error == (TypeError, ValueError) else number.error
    rate = number.value
    assert rate is not None
    if math.isnan(rate) or rate <= 0:
        return (ValueError,)
    return 0.0 if math.isinf(rate) else 1.0 / rate


def _expect_bound(value: Any) -> float | None | tuple[type[Exception], ...]:
    if value is None:
        return None
    number = expect_number(value)
    if not number.ok:
        return number.error
    assert number.value is not None
    return number.value if math.isfinite(number.value) else (ValueError,)


def _valid_total(total: Any) -> bool:
    """An item count: an integer (``__index__``), not negative, within the float range."""
    if total is None:
        return True
    try:
        n = operator.index(total)
    except TypeError:
        return False
    return 0 <= n <= sys.float_info.max


def test_constructors(ledger: Ledger) -> None:
    row = ledger.scenario(1, "constructors: Metric(throttle=, group=), MetricGroup/MetricScale units and bounds, progress(total=)")
    tally: Counter[str] = Counter()

    @settings(PROFILE, max_examples=EXAMPLES * 5)
    @given(
        key=KEYS,
        throttle=CONFIG_VALUES,
        group=st.one_of(st.none(), st.text(max_size=3), st.sampled_from([1, b"g", ["g"]])),
        lower=CONFIG_VALUES,
        upper=CONFIG_VALUES,
        units=st.one_of(st.none(), st.text(max_size=3), st.just(3)),
        total=st.one_of(st.none(), st.integers(-2, 5), ANYTHING),
    )
    def check(key: str, throttle: Any, group: Any, lower: Any, upper: Any, units: Any, total: Any) -> None:
        tally["examples"] += 1
        # Metric(throttle=, group=)
        window = _expect_window(throttle)
        group_error: tuple[type[Exception], ...] = ()
        if group is not None and not isinstance(group, str):
            group_error = (TypeError,)
        elif group == "":
            group_error = (ValueError,)
        try:
            metric = cf.Metric(key, group=group, throttle=throttle)
        except (TypeError, ValueError) as error:
            tally["refused"] += 1
            assert _names_metric(error, key), str(error)
            expected = group_error or window
            assert isinstance(expected, tuple) and isinstance(error, expected), (throttle, group, error)
        else:
            assert not group_error and not isinstance(window, tuple), f"accepted throttle={throttle!r} group={group!r}"
            assert metric._window == window and metric.throttle is throttle and metric.key == key
        # MetricScale(units=, lower=, upper=): the same rules as MetricGroup's
        lo, hi = _expect_bound(lower), _expect_bound(upper)
        errors = [e for e in (lo, hi) if isinstance(e, tuple)]
        if not isinstance(units, (str, type(None))):
            errors.insert(0, (TypeError,))
        if not errors and lo is not None and hi is not None and lo >= hi:  # type: ignore[operator]
            errors.append((ValueError,))
        for make, name in ((lambda: cf.MetricScale("s", units=units, lower=lower, upper=upper), "MetricScale 's'"),
                           (lambda: cf.MetricGroup("g", units=units, lower=lower, upper=upper), "MetricGroup 'g'")):
            try:
                config = make()
            except (TypeError, ValueError) as error:
                tally["refused"] += 1
                assert name in str(error), str(error)
                assert errors and isinstance(error, errors[0]), (units, lower, upper, error)
            else:
                assert not errors, f"{name} accepted units={units!r} lower={lower!r} upper={upper!r}"
                assert (config.lower, config.upper, config.units) == (lo, hi, units)
        # progress(total=)
        try:
            bar = cf.progress(range(3), key=key, total=total)
        except (TypeError, ValueError) as error:
            tally["refused"] += 1
            assert _names_metric(error, key), str(error)
            assert not _valid_total(total), f"progress(total={total!r}) refused: {error}"
        else:
            assert _valid_total(total), f"progress(total={total!r}) accepted"
            assert list(bar) == [0, 1, 2]

    from cellflux.runtime import Runtime, use_runtime

    with use_runtime(Runtime(flusher_thread=False)), warnings.catch_warnings():
        warnings.simplefilter("ignore", cf.CellfluxWarning)
        check()
    ledger.done(row, f"{tally['examples']} argument sets x 4 constructors ({tally['refused']} refused)", "n/a (validation)")
