"""The built-in metric store: a SQLite file that keeps every run.

``Store`` is the interface a store implements; ``SQLiteStore`` the default.
The engine writes through :class:`~cellflux.store.sink.StoreSink`; users read
with :func:`executions` and :func:`stored_execution`, and workers record into a
parent's execution with :func:`attach`.
"""

from __future__ import annotations

from ..execution import ExecutionHandle
from .attach import attach
from .read import StoredExecution, executions, stored_execution
from .records import ExecutionRecord, MetricRecord, PointBatch, Store, StoreError
from .sqlite import SQLiteStore

__all__ = [
    "ExecutionHandle",
    "ExecutionRecord",
    "MetricRecord",
    "PointBatch",
    "SQLiteStore",
    "Store",
    "StoreError",
    "StoredExecution",
    "attach",
    "executions",
    "stored_execution",
]
