"""What the semantics table of DESIGN.md says a call should do, written independently of cellflux.

Strategies for every kind of value a user may pass, and the expected outcome of
``record()`` for each: the float it is recorded as, or the error it raises.
"""

from __future__ import annotations

import decimal
import fractions
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# -- values -----------------------------------------------------------------------------------

NUMERIC_DTYPES = [
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "longdouble",
]
REJECTED_DTYPES = ["bool", "complex64", "complex128", "clongdouble", "datetime64[s]", "timedelta64[ms]", "U4", "S4"]


class WithFloat:
    """A tensor-like object: only ``__float__``."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"WithFloat({self.value!r})"


class WithIndex:
    def __index__(self) -> int:
        return 7

    def __repr__(self) -> str:
        return "WithIndex()"


class FakeTensor:
    """A 0-d tensor: a dtype without numpy's ``kind``, an empty shape, ``__float__``."""

    dtype = "torch.float32"
    shape = ()

    def __float__(self) -> float:
        return 0.25

    def __repr__(self) -> str:
        return "FakeTensor()"


class FloatRaises:
    def __init__(self, error: type[Exception]) -> None:
        self.error = error

    def __float__(self) -> float:
        raise self.error("no float for you")

    def __repr__(self) -> str:
        return f"FloatRaises({self.error.__name__})"


class FloatReturnsText:
    def __float__(self) -> Any:
        return "1.0"


OBJECTS = [
    object(), [1.0], (2.0,), {"v": 1.0}, {1.0}, WithFloat(2.5), WithFloat(float("nan")), WithIndex(),
    FakeTensor(), FloatRaises(ValueError), FloatRaises(TypeError), FloatReturnsText(), b"1.0", bytearray(b"2"),
    "1.0", "nan", np.array([1.0]), np.array([[1.0]]), np.array(1.0, dtype=object), np.array(2.0), np.array(3, dtype="int8"),
    np.array(True), np.array("x"), np.void(b"ab"), np.float64("nan"), 10**309, -(10**400), 2**1023 * 2 - 1,
]


def numpy_scalars(dtypes: list[str]) -> st.SearchStrategy[Any]:
    return st.sampled_from(dtypes).flatmap(lambda name: hnp.from_dtype(np.dtype(name)))


def zero_d(dtypes: list[str]) -> st.SearchStrategy[Any]:
    return numpy_scalars(dtypes).map(lambda v: np.array(v))


NUMBERS: st.SearchStrategy[Any] = st.one_of(
    st.floats(),
    st.floats(-1e6, 1e6),
    st.integers(),
    numpy_scalars(NUMERIC_DTYPES),
    zero_d(NUMERIC_DTYPES),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.fractions(),
)
"""Values the table accepts (some are NaN or infinite, kept with a warning)."""

ANYTHING: st.SearchStrategy[Any] = st.one_of(
    st.floats(),
    st.integers(min_value=-(2**1100), max_value=2**1100),
    numpy_scalars(NUMERIC_DTYPES),
    numpy_scalars(REJECTED_DTYPES),
    zero_d(NUMERIC_DTYPES),
    zero_d(REJECTED_DTYPES),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.fractions(),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
    st.complex_numbers(),
    st.sampled_from(OBJECTS),
)

VALUES: st.SearchStrategy[Any] = st.one_of(NUMBERS, NUMBERS, NUMBERS, ANYTHING)
"""Every kind of value ``record()`` may be given, three quarters of them numbers."""


@dataclass(frozen=True)
class Outcome:
    value: float | None = None
    error: tuple[type[Exception], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.error


TYPE = Outcome(error=(TypeError,))
EITHER = Outcome(error=(TypeError, ValueError))


def expect_number(value: Any) -> Outcome:
    """The semantics table: what ``record(value)`` keeps, or what it raises."""
    if value is None or isinstance(value, (bool, np.bool_, str, bytes, bytearray, complex, np.complexfloating)):
        return TYPE
    if isinstance(value, (np.str_, np.bytes_, np.datetime64, np.timedelta64, np.void)):
        return TYPE
    if isinstance(value, np.ndarray):
        if value.ndim != 0 or value.dtype.kind not in "iuf":
            return TYPE
        return Outcome(_float(value[()]))
    if isinstance(value, (np.integer, np.floating, float)):
        return Outcome(_float(value))
    if isinstance(value, int):
        try:
            return Outcome(float(value))
        except OverflowError:
            return Outcome(error=(ValueError,))
    if isinstance(value, decimal.Decimal):
        return EITHER if value.is_snan() else Outcome(float(value))
    if isinstance(value, fractions.Fraction):
        try:
            return Outcome(float(value))
        except OverflowError:
            return Outcome(error=(ValueError,))
    if isinstance(value, (WithFloat, FakeTensor)):
        return Outcome(float(value))
    if isinstance(value, WithIndex):
        return Outcome(7.0)
    return TYPE  # any other object: lists, dicts, objects whose __float__ fails


def expect_at(at: Any) -> Outcome:
    """``at``: a real number as above, and finite."""
    out = expect_number(at)
    if out.ok and not math.isfinite(out.value):  # type: ignore[arg-type]
        return Outcome(error=(ValueError,))
    return out


def _float(value: Any) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(value)


# -- text -------------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "'); DROP TABLE points; --",
    "\" OR 1=1 --",
    "]]><!-- -->",
    "${alert(1)}{{7*7}}",
    "line\nbreak\r\ttab\x00nul\x1b[31mred\x7f",
    "\u202eevil\u200b\ufeff",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 中文 عربى",
    "&amp; &lt; &#x3C;",
    "%s %n %x {0}",
    "x" * 20_000,
    ("<b>" * 2000) + "y" * 12_000,
]

KEYS: st.SearchStrategy[str] = st.one_of(
    st.text(min_size=1, max_size=12),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=40),
    st.sampled_from(HOSTILE),
)
"""Metric keys: any text SQLite can hold (no lone surrogates), hostile strings, 20,000 characters."""
