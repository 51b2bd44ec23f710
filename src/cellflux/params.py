"""Hyperparameters of an execution: flat ``{name: scalar}`` tables.

Frameworks hand over their settings in many shapes (nested dicts, dataclasses,
enums, lists, tensors). They are kept as one flat table of JSON scalars, so
that every store can hold them and every board can show them as text: nested
mappings become dotted names, numbers and booleans stay what they are, and
anything else is kept as its ``str()``.

>>> flatten({"optimizer": {"name": "adam", "lr": 1e-3}, "layers": [64, 32], "seed": None})
{'optimizer.name': 'adam', 'optimizer.lr': 0.001, 'layers': '[64, 32]', 'seed': None}
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any, Union

Param = Union[str, int, float, bool, None]
"""A stored hyperparameter value: a JSON scalar."""

MAX_DEPTH = 4
"""Mappings nested deeper than this are kept as text."""


def flatten(params: Mapping[Any, Any], prefix: str = "", depth: int = 0) -> dict[str, Param]:
    """``params`` as a flat table of scalars (see the module's docstring)."""
    out: dict[str, Param] = {}
    for name, value in params.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping) and depth < MAX_DEPTH and value:
            out.update(flatten(value, f"{key}.", depth + 1))
        else:
            out[key] = to_param(value)
    return out


def to_param(value: Any) -> Param:
    """One value as a JSON scalar: numbers and booleans as they are, the rest as text."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return to_param(value.value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        # JSON has no NaN or infinity: keep them readable as text.
        return value if math.isfinite(value) else repr(value)
    item = getattr(value, "item", None)  # numpy scalars, one-element tensors
    shape = getattr(value, "shape", None)
    if callable(item) and shape in ((), None, (1,)):
        try:
            return to_param(item())
        except (TypeError, ValueError):
            pass  # not a number after all: kept as text below
    return str(value)
