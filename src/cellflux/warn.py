"""Warnings cellflux gives, each at most once per cause."""

from __future__ import annotations

import warnings


class CellfluxWarning(UserWarning):
    """A value was dropped or changed, or a sink failed and was set aside."""


def warn(message: str, stacklevel: int = 2) -> None:
    warnings.warn(message, CellfluxWarning, stacklevel=stacklevel + 1)
