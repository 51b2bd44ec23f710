"""Settings: where metrics are stored and whether boards are displayed.

Plain data, set by ``cf.configure()`` (see wiring.py) and read by the default
sinks when the runtime makes them: at its first use (the first record), and
again at each ``configure()``. A setting left unset comes from the environment
(``CELLFLUX_STORE``, ``CELLFLUX_DISPLAY``), else from the defaults: the store
``.cellflux/metrics.sqlite`` under the current directory, and boards displayed
when a notebook front end is connected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .values import check_height

DEFAULT_STORE = Path(".cellflux") / "metrics.sqlite"
UNSET: Any = object()
"""A setting not given to ``update()``."""


@dataclass
class Settings:
    store: str | Path | None = None
    """Path of the SQLite store, ":memory:", or None (from the environment or default)."""
    store_enabled: bool = True
    display: bool | None = None
    """None: display when a widget front end is connected."""
    chart_height: int = 260
    """Pixels of a chart whose group sets no ``height``."""
    controls: bool = True
    """Whether charts have their controls (zoom, log scale, smoothing, save) and hover labels."""


settings = Settings()


def update(
    *, store: Any = UNSET, display: Any = UNSET, chart_height: Any = UNSET, controls: Any = UNSET
) -> None:
    """Change the settings given (see ``cf.configure``), after checking them."""
    if chart_height is not UNSET:
        height = check_height("configure()", chart_height)
        settings.chart_height = height if height is not None else Settings.chart_height
    if controls is not UNSET:
        if not isinstance(controls, bool):
            raise TypeError(f"configure(): controls must be a bool, got {type(controls).__name__}")
        settings.controls = controls
    if store is not UNSET:
        if store is False or store is None:
            settings.store_enabled = False
            settings.store = None
        elif isinstance(store, (str, os.PathLike)):
            settings.store_enabled = True
            settings.store = os.fspath(store)
        else:
            raise TypeError(f"configure(): store must be a path, ':memory:' or False, got {type(store).__name__}")
    if display is not UNSET:
        if not isinstance(display, bool):
            raise TypeError(f"configure(): display must be a bool, got {type(display).__name__}")
        settings.display = display


def store_path() -> str | None:
    """The store file to use now, or None when storing is off."""
    if not settings.store_enabled:
        return None
    if settings.store is not None:
        return os.fspath(settings.store)
    env = os.environ.get("CELLFLUX_STORE")
    if env is not None:
        return None if env.lower() in ("", "0", "off", "false", "none") else env
    return os.fspath(DEFAULT_STORE)


def display_enabled() -> bool | None:
    if settings.display is not None:
        return settings.display
    env = os.environ.get("CELLFLUX_DISPLAY")
    if env is not None:
        return env.lower() not in ("0", "off", "false", "no")
    return None

