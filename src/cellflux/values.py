"""Validation and coercion of user input: values, ``at`` and ``throttle``.

Everything here runs off the hot path: ``Metric.record`` only calls it when a
value is not a finite ``float`` or when ``at`` is given.
"""

from __future__ import annotations

import math
from typing import Any

_REJECTED = (str, bytes, bytearray, complex, bool)


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def to_float(key: str, what: str, value: Any) -> float:
    """Return ``value`` as a float, or raise ``TypeError`` naming the metric.

    Accepts ints, floats, numpy scalars and 0-d arrays of numeric dtype, and any
    object with ``__float__`` (``Decimal``, ``Fraction``, one-element tensors).
    Rejects str, bytes, bool, None, complex and arrays with dimensions.
    """
    if type(value) is float:
        return value
    if value is None or isinstance(value, _REJECTED):
        raise TypeError(f"metric {key!r}: {what} must be a real number, got {_describe(value)}")
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        kind = getattr(dtype, "kind", "")
        if kind in ("b", "c", "U", "S", "O", "M", "m", "V"):
            raise TypeError(f"metric {key!r}: {what} must be a real number, got {_describe(value)}")
        shape = getattr(value, "shape", ())
        if shape not in ((), None):
            raise TypeError(
                f"metric {key!r}: {what} must be a single number, got an array of shape {tuple(shape)}"
            )
    try:
        result = float(value)
    except OverflowError:
        raise ValueError(f"metric {key!r}: {what} {_describe(value)} is too large for a float") from None
    except (TypeError, ValueError):
        raise TypeError(f"metric {key!r}: {what} must be a real number, got {_describe(value)}") from None
    return result


def to_at(key: str, at: Any) -> float:
    """Return an explicit x value as a finite float."""
    x = to_float(key, "at", at)
    if not math.isfinite(x):
        raise ValueError(f"metric {key!r}: at must be finite, got {x!r}")
    return x


def to_window(key: str, throttle: Any) -> float:
    """Return the throttle window in seconds (0.0 for ``throttle=None``)."""
    if throttle is None:
        return 0.0
    if isinstance(throttle, _REJECTED) or not isinstance(throttle, (int, float)) and not hasattr(throttle, "__float__"):
        raise TypeError(
            f"metric {key!r}: throttle must be a positive number of values per second or None, "
            f"got {_describe(throttle)}"
        )
    rate = to_float(key, "throttle", throttle)
    if math.isnan(rate) or rate <= 0:
        raise ValueError(
            f"metric {key!r}: throttle must be a positive number of values per second or None, got {rate!r}"
        )
    return 0.0 if math.isinf(rate) else 1.0 / rate


def check_bound(owner: str, name: str, value: Any) -> float | None:
    """Validate an axis bound (``lower``/``upper``) of a group or scale."""
    if value is None:
        return None
    x = to_float(owner, name, value)
    if not math.isfinite(x):
        raise ValueError(f"{owner}: {name} must be finite, got {x!r}")
    return x


def check_text(owner: str, name: str, value: Any, *, optional: bool = True) -> str | None:
    """Validate a text field (names, units): a ``str``, or None where optional."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{owner}: {name} must be a str, got {_describe(value)}")
    check_encodable(owner, name, value)
    return value


def check_encodable(owner: str, name: str, text: str) -> None:
    """Refuse text that cannot be stored as UTF-8 (a lone surrogate, from ``os.fsdecode`` say).

    Refused here, where it is given: once queued, it would fail every write of the store.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"{owner}: {name} {_describe(text)} is not valid Unicode text "
            f"({text[error.start]!r} at position {error.start} is a lone surrogate)"
        ) from None


MIN_HEIGHT, MAX_HEIGHT = 80, 4000
"""Chart heights accepted, in pixels."""


def check_height(owner: str, height: Any) -> int | None:
    """A chart height in pixels (``MetricGroup(height=)``, ``configure(chart_height=)``), or None."""
    if height is None:
        return None
    if isinstance(height, bool) or not isinstance(height, (int, float)):
        raise TypeError(f"{owner}: height must be a number of pixels, got {type(height).__name__}")
    if not MIN_HEIGHT <= height <= MAX_HEIGHT:
        raise ValueError(f"{owner}: height must be {MIN_HEIGHT} to {MAX_HEIGHT} pixels, got {height!r}")
    return int(round(height))
