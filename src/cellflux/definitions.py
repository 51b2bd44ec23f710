"""Metric groups and scales: the axis configuration of a chart.

Fields left as ``None`` are *unspecified*: two configurations of the same name
are compatible when no field is specified in both with different values.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from .values import check_bound, check_height, check_text

_C = TypeVar("_C", "MetricGroup", "MetricScale")


@dataclass(frozen=True, init=False)
class MetricGroup:
    """A shared chart: its x-axis label (``units``) and bounds, and its ``height`` in pixels.

    >>> MetricGroup("training", units="epoch", height=400)
    MetricGroup('training', units='epoch', height=400)
    """

    name: str
    units: str | None
    lower: float | None
    upper: float | None
    height: int | None

    def __init__(
        self, name: str, *, units: str | None = None, lower: Any = None, upper: Any = None, height: Any = None
    ) -> None:
        owner = f"MetricGroup {name!r}"
        check_text("MetricGroup", "name", name, optional=False)
        if not name:
            raise ValueError("MetricGroup: name must not be empty")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "units", check_text(owner, "units", units))
        object.__setattr__(self, "lower", check_bound(owner, "lower", lower))
        object.__setattr__(self, "upper", check_bound(owner, "upper", upper))
        _check_order(owner, self.lower, self.upper)
        object.__setattr__(self, "height", check_height(owner, height))

    def __repr__(self) -> str:
        return _repr(self, self.name)


@dataclass(frozen=True, init=False)
class MetricScale:
    """A y-axis: metrics sharing a scale ``name`` within a group share the axis.

    An unnamed scale is private to its metric. ``progress=True`` renders the
    metric as a progress bar whose fraction is ``value / upper``. ``log=True`` draws
    the axis on a log scale (values <= 0 are left out of it).

    >>> MetricScale(units="%", lower=0, upper=100)
    MetricScale(units='%', lower=0.0, upper=100.0)
    >>> MetricScale("loss", log=True)
    MetricScale('loss', log=True)
    """

    name: str | None
    units: str | None
    progress: bool
    lower: float | None
    upper: float | None
    log: bool | None

    def __init__(
        self,
        name: str | None = None,
        *,
        units: str | None = None,
        progress: bool = False,
        lower: Any = None,
        upper: Any = None,
        log: bool | None = None,
    ) -> None:
        owner = f"MetricScale {name!r}" if name is not None else "MetricScale"
        object.__setattr__(self, "name", check_text("MetricScale", "name", name))
        object.__setattr__(self, "units", check_text(owner, "units", units))
        if not isinstance(progress, bool):
            raise TypeError(f"{owner}: progress must be a bool, got {type(progress).__name__}")
        object.__setattr__(self, "progress", progress)
        object.__setattr__(self, "lower", check_bound(owner, "lower", lower))
        object.__setattr__(self, "upper", check_bound(owner, "upper", upper))
        _check_order(owner, self.lower, self.upper)
        object.__setattr__(self, "log", _check_log(owner, log, progress, self.lower, self.upper))

    def __repr__(self) -> str:
        return _repr(self, self.name)


def _check_log(owner: str, log: Any, progress: bool, lower: float | None, upper: float | None) -> bool | None:
    if log is None:
        return None
    if not isinstance(log, bool):
        raise TypeError(f"{owner}: log must be a bool, got {type(log).__name__}")
    if log and progress:
        raise ValueError(f"{owner}: a progress bar has no log axis")
    if log and any(bound is not None and bound <= 0 for bound in (lower, upper)):
        raise ValueError(f"{owner}: the bounds of a log axis must be above 0, got lower={lower}, upper={upper}")
    return log


def _check_order(owner: str, lower: float | None, upper: float | None) -> None:
    if lower is not None and upper is not None and lower >= upper:
        raise ValueError(f"{owner}: lower ({lower}) must be below upper ({upper})")


def _repr(config: Any, name: str | None) -> str:
    parts = [repr(name)] if name is not None else []
    for f in fields(config):
        value = getattr(config, f.name)
        if f.name != "name" and value is not None and value is not False:
            parts.append(f"{f.name}={value!r}")
    return f"{type(config).__name__}({', '.join(parts)})"


def merge(existing: _C, new: _C, *, ignore: tuple[str, ...] = ()) -> _C | None:
    """The union of two compatible configurations, or None when they conflict."""
    changes: dict[str, Any] = {}
    for f in fields(existing):
        if f.name in ignore:
            continue
        old, value = getattr(existing, f.name), getattr(new, f.name)
        if value is None or value == old:
            continue
        if old is None:
            changes[f.name] = value
        else:
            return None
    return replace(existing, **changes) if changes else existing
