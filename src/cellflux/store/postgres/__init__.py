"""The PostgreSQL store (``pip install 'cellflux[postgresql]'``): imported only for a ``postgresql://`` URL."""

from __future__ import annotations

from .store import PostgresStore

__all__ = ["PostgresStore"]
