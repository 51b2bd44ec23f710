"""Stand-ins shared by the test tiers: a clock that moves when told, a recorded display."""

from __future__ import annotations

from typing import Any


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Screen:
    """Stands in for IPython's display: records bundles shown, and updates by handle."""

    def __init__(self) -> None:
        self.shown: list[dict[str, Any]] = []
        self.updated: list[tuple[int, dict[str, Any]]] = []

    def display(self, bundle: dict[str, Any], parent: Any) -> int:
        self.shown.append(bundle)
        return len(self.shown) - 1

    def update(self, bundle: dict[str, Any], handle: int) -> None:
        self.updated.append((handle, bundle))
