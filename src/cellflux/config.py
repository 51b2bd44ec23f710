"""``cf.configure()``: where metrics are stored and whether boards are displayed.

Settings are read when the runtime is first used (at the first record), from
``configure()`` calls made before, else from the environment (``CELLFLUX_STORE``,
``CELLFLUX_DISPLAY``), else the defaults: the store ``.cellflux/metrics.sqlite``
under the current directory, and boards displayed when a notebook front end is
connected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_STORE = Path(".cellflux") / "metrics.sqlite"
_UNSET: Any = object()


@dataclass
class Settings:
    store: str | Path | None = None
    """Path of the SQLite store, ":memory:", or None (from the environment or default)."""
    store_enabled: bool = True
    display: bool | None = None
    """None: display when a widget front end is connected."""


settings = Settings()


def configure(*, store: Any = _UNSET, display: Any = _UNSET) -> None:
    """Choose the store (a path, ``":memory:"``, or ``False`` for none) and display.

    >>> configure(store=":memory:", display=False)
    """
    from .runtime import current_runtime

    if store is not _UNSET:
        if store is False or store is None:
            settings.store_enabled = False
            settings.store = None
        elif isinstance(store, (str, os.PathLike)):
            settings.store_enabled = True
            settings.store = os.fspath(store)
        else:
            raise TypeError(f"configure(): store must be a path, ':memory:' or False, got {type(store).__name__}")
    if display is not _UNSET:
        if not isinstance(display, bool):
            raise TypeError(f"configure(): display must be a bool, got {type(display).__name__}")
        settings.display = display
    rt = current_runtime()
    if rt is not None:
        rt.reconfigure()


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

