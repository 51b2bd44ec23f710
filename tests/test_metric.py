"""Metric construction, value validation and the semantics table of DESIGN.md."""

from __future__ import annotations

import decimal
import fractions
import warnings
from typing import Any

import numpy as np
import pytest

import cellflux as cf
from cellflux.runtime import Runtime

from .conftest import FakeClock


def values(key: str) -> list[float]:
    return cf.current_execution().series(key)[1].tolist()


def test_signature_and_readable_attributes() -> None:
    group = cf.MetricGroup("training", units="epoch", lower=0, upper=10)
    scale = cf.MetricScale("acc", units="%", lower=0, upper=100)
    m = cf.Metric("accuracy", group=group, scale=scale, throttle=5)
    assert (m.key, m.group, m.scale, m.throttle) == ("accuracy", group, scale, 5)
    assert cf.Metric("loss", group="training").group == "training"
    assert repr(m) == (
        "Metric('accuracy', group=MetricGroup('training', units='epoch', lower=0.0, upper=10.0), "
        "scale=MetricScale('acc', units='%', lower=0.0, upper=100.0), throttle=5)"
    )


@pytest.mark.parametrize("throttle", [0, -1, -0.5, float("nan")])
def test_non_positive_throttle_is_a_value_error(throttle: float) -> None:
    with pytest.raises(ValueError, match="'m'.*throttle"):
        cf.Metric("m", throttle=throttle)


@pytest.mark.parametrize("throttle", ["10", True, [10], object()])
def test_non_numeric_throttle_is_a_type_error(throttle: object) -> None:
    with pytest.raises(TypeError, match="'m'.*throttle"):
        cf.Metric("m", throttle=throttle)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["", None, 3])
def test_bad_keys_are_rejected(key: object) -> None:
    with pytest.raises((TypeError, ValueError), match="key"):
        cf.Metric(key)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value, kind",
    [("1.5", "str"), (True, "bool"), (None, "NoneType"), (1 + 2j, "complex"), (b"1", "bytes"),
     (np.bool_(True), "bool"), (np.array([1.0, 2.0]), "array"), (object(), "object")],
)
def test_non_numbers_are_type_errors_naming_metric_and_type(rt: Runtime, value: object, kind: str) -> None:
    with pytest.raises(TypeError, match=f"metric 'loss'.*{kind}"):
        cf.Metric("loss").record(value)


@pytest.mark.parametrize(
    "value, expected",
    [(3, 3.0), (np.float32(0.5), 0.5), (np.int64(7), 7.0), (np.float64(2.5), 2.5), (np.array(4.0), 4.0),
     (decimal.Decimal("1.25"), 1.25), (fractions.Fraction(1, 4), 0.25), (np.uint8(255), 255.0)],
)
def test_numbers_of_every_kind_are_accepted_as_float(rt: Runtime, value: object, expected: float) -> None:
    cf.Metric("v", throttle=None).record(value)
    assert values("v") == [expected]


def test_objects_with_float_are_accepted(rt: Runtime) -> None:
    class Tensor:
        def __float__(self) -> float:
            return 0.75

    cf.Metric("t").record(Tensor())
    assert values("t") == [0.75]


def test_non_finite_values_are_kept_with_one_warning(rt: Runtime) -> None:
    m = cf.Metric("loss", throttle=None)
    with pytest.warns(cf.CellfluxWarning, match="'loss'.*non-finite") as caught:
        for v in (1.0, float("nan"), float("inf"), -float("inf"), 2.0):
            m.record(v)
    assert len(caught) == 1
    got = values("loss")
    assert got[0] == 1.0 and np.isnan(got[1]) and got[2:] == [float("inf"), -float("inf"), 2.0]


def test_non_increasing_at_is_dropped_with_one_warning(rt: Runtime) -> None:
    m = cf.Metric("loss", throttle=None)
    with pytest.warns(cf.CellfluxWarning, match="'loss'.*at=") as caught:
        for at in (0, 1, 1, 0, 2, 1.5, 3):
            m.record(float(at) * 10, at=at)
    assert len(caught) == 1
    x, y = cf.current_execution().series("loss")
    assert x.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("at", ["1", None.__class__, True, 1j])
def test_non_numeric_at_is_a_type_error(rt: Runtime, at: object) -> None:
    with pytest.raises(TypeError, match="'loss'.*at"):
        cf.Metric("loss").record(1.0, at=at)


def test_non_finite_at_is_a_value_error(rt: Runtime) -> None:
    with pytest.raises(ValueError, match="'loss'.*at"):
        cf.Metric("loss").record(1.0, at=float("nan"))


def test_mixing_auto_and_explicit_at_is_sticky_auto_with_one_warning(rt: Runtime, clock: FakeClock) -> None:
    m = cf.Metric("loss", throttle=None)
    m.record(1.0)
    clock.advance(1.0)
    with pytest.warns(cf.CellfluxWarning, match="at= ignored") as caught:
        m.record(2.0, at=100)
        m.record(3.0, at=200)
    assert len(caught) == 1
    x, _ = cf.current_execution().series("loss")
    assert x.tolist() == [0.0, 1.0, 1.0]


def test_same_key_with_another_group_raises_naming_both(rt: Runtime) -> None:
    cf.Metric("loss", group="train").record(1.0)
    with pytest.raises(ValueError, match="'loss'.*'train'.*'eval'"):
        cf.Metric("loss", group="eval").record(1.0)


def test_same_key_with_another_scale_raises(rt: Runtime) -> None:
    cf.Metric("loss", scale=cf.MetricScale(units="nats")).record(1.0)
    with pytest.raises(ValueError, match="'loss'.*nats.*bits"):
        cf.Metric("loss", scale=cf.MetricScale(units="bits")).record(1.0)


def test_same_key_with_the_same_config_is_fine(rt: Runtime) -> None:
    cf.Metric("loss", group="train").record(1.0)
    cf.Metric("loss", group=cf.MetricGroup("train", units="epoch")).record(2.0)


def test_group_redefined_with_conflicting_units_raises(rt: Runtime) -> None:
    cf.Metric("a", group=cf.MetricGroup("train", units="epoch")).record(1.0)
    with pytest.raises(ValueError, match="group 'train'.*epoch.*step"):
        cf.Metric("b", group=cf.MetricGroup("train", units="step")).record(1.0)


def test_named_scale_is_checked_within_its_group_only(rt: Runtime) -> None:
    cf.Metric("a", group="g1", scale=cf.MetricScale("y", units="%")).record(1.0)
    cf.Metric("b", group="g2", scale=cf.MetricScale("y", units="s")).record(1.0)
    with pytest.raises(ValueError, match="scale 'y'.*'%'.*'s'"):
        cf.Metric("c", group="g1", scale=cf.MetricScale("y", units="s")).record(1.0)


def test_redefinition_in_another_execution_is_allowed(rt: Runtime) -> None:
    @cf.task
    def one() -> None:
        cf.Metric("loss", group="train").record(1.0)

    @cf.task
    def two() -> None:
        cf.Metric("loss", group="eval").record(1.0)

    one()
    two()


def test_group_and_scale_validation() -> None:
    with pytest.raises(ValueError, match="lower"):
        cf.MetricGroup("g", lower=5, upper=1)
    with pytest.raises(TypeError, match="units"):
        cf.MetricScale(units=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="progress"):
        cf.MetricScale(progress="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="group"):
        cf.Metric("m", group=3)  # type: ignore[arg-type]


def test_recording_outside_any_task_goes_to_an_implicit_execution(rt: Runtime) -> None:
    cf.Metric("loose").record(1.0)
    exe = cf.current_execution()
    assert exe.kind == "process" and exe.status == "running"
    assert exe.series("loose")[1].tolist() == [1.0]


def test_no_warning_for_ordinary_use(rt: Runtime) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = cf.Metric("loss", group="training")
        for epoch in range(5):
            m.record(1.0 / (epoch + 1), at=epoch)


class StartWatcher:
    """A sink that notes, at each series_started, how many points the series holds."""

    def __init__(self) -> None:
        self.started: list[tuple[str, int]] = []

    def execution_started(self, execution: cf.Execution) -> None: ...
    def series_created(self, series: Any) -> None: ...
    def execution_ended(self, execution: cf.Execution) -> None: ...
    def flush(self) -> None: ...

    def series_started(self, series: Any) -> None:
        self.started.append((series.key, len(series)))


@pytest.mark.parametrize("throttle", [10, None])
@pytest.mark.parametrize("at", [True, False])
def test_sinks_hear_of_each_series_once_its_first_point_is_in(rt: Runtime, throttle: float | None, at: bool) -> None:
    watcher = StartWatcher()
    rt.add_sink(watcher)
    a, b = cf.Metric("a", throttle=throttle), cf.Metric("b", throttle=throttle)
    for step in range(20):
        a.record(float(step), at=step if at else None)
        if step >= 5:
            b.record(float(step), at=step if at else None)
    assert watcher.started == [("a", 1), ("b", 1)]
