"""Settings: where metrics are stored and whether boards are displayed.

Plain data, set by ``cf.configure()`` (see wiring.py) and read by the default
sinks when the runtime makes them: at its first use (the first record), and
again at each ``configure()``. A setting left unset comes from the environment
(``CELLFLUX_STORE``, ``CELLFLUX_DISPLAY``), else from the defaults: the store
``.cellflux/metrics.sqlite`` under the current directory, and boards displayed
when a notebook front end is connected.

The store is a SQLite file path (the default), ``":memory:"``, or a PostgreSQL
URL (``postgresql://user@host/db``): its password, when the URL holds one, is
never shown (see :func:`masked`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_STORE = Path(".cellflux") / "metrics.sqlite"
UNSET: Any = object()
"""A setting not given to ``update()``."""


@dataclass
class Settings:
    store: str | Path | None = field(default=None, repr=False)
    """Path of the SQLite store, ":memory:", a PostgreSQL URL, or None (from the
    environment or default). Not in the repr: a URL may hold a password."""
    store_enabled: bool = True
    display: bool | None = None
    """None: display when a widget front end is connected."""


settings = Settings()


def update(*, store: Any = UNSET, display: Any = UNSET) -> None:
    """Change the settings given (see ``cf.configure``), after checking them."""
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


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:@/]*):(.*)@", re.DOTALL)
_PASSWORD_PARAM = re.compile(r"(?i)(\bpassword=)([^&\s]*)")


def masked(where: str) -> str:
    """``where`` (a path or a URL) as it may be shown: a URL's password replaced by ``***``.

    The user part runs to the URL's *last* ``@``, so a password that holds an
    unescaped ``@`` or ``/`` is masked whole; a ``password=`` parameter too.

    >>> masked("postgresql://ml:s3cret@db.example:5432/metrics?sslmode=require")
    'postgresql://ml:***@db.example:5432/metrics?sslmode=require'
    >>> masked("postgresql:///metrics?host=/tmp&password=s3cret")
    'postgresql:///metrics?host=/tmp&password=***'
    """
    text = _USERINFO.sub(r"\1:***@", where, count=1)
    return _PASSWORD_PARAM.sub(r"\1***", text) if "://" in text else text


def display_enabled() -> bool | None:
    if settings.display is not None:
        return settings.display
    env = os.environ.get("CELLFLUX_DISPLAY")
    if env is not None:
        return env.lower() not in ("0", "off", "false", "no")
    return None

