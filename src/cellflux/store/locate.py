"""Which store a setting names: a PostgreSQL URL picks the server, anything else is a SQLite file.

>>> is_server("postgresql://ml@db.example/metrics"), is_server("runs/metrics.sqlite")
(True, False)
"""

from __future__ import annotations

import os

from .records import Store
from .sqlite import SQLiteStore

SCHEMES = ("postgresql://", "postgres://")


def is_server(where: str) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return where[:13].lower().startswith(SCHEMES)


def locator(where: str | os.PathLike[str]) -> str:
    """The form two settings of the same store compare equal in: a URL as given, a path made absolute."""
    text = os.fspath(where)
    if is_server(text) or text == ":memory:":
        return text
    return os.path.abspath(text)


def store_at(where: str | os.PathLike[str], *, timeout: float = 10.0) -> Store:
    """The store at ``where``; nothing is opened before the first read or write.

    A PostgreSQL URL needs the ``postgresql`` extra (``pip install
    'cellflux[postgresql]'``): psycopg is imported here, only then.
    """
    text = os.fspath(where)
    if is_server(text):
        from .postgres import PostgresStore

        return PostgresStore(text, timeout=timeout)
    return SQLiteStore(text, timeout=timeout)
