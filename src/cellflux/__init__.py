"""cellflux: Coflux's metrics API for Jupyter.

>>> import cellflux as cf
>>> loss = cf.Metric("loss", group="training")
>>> loss.record(0.5, at=0)
"""

from __future__ import annotations

from .counter import Progress
from .definitions import MetricGroup, MetricScale
from .execution import Execution
from .identity import ProcessIdentity, process_identity, set_identity
from .metric import Metric
from .progress import progress
from .runs import Run, run
from .runtime import get_runtime
from .sink import Delivery, Flushed
from .store import SQLiteStore, StoredExecution, StoreError, attach, executions, stored_execution
from .tasks import current_execution, task, workflow
from .views import show, watch
from .warn import CellfluxWarning
from .wiring import configure

__version__ = "0.1.0"


def flush() -> Flushed:
    """Deliver every pending throttled value to every sink, durably, then return.

    The result is true when everything reported so far is stored; otherwise it
    says how many points are pending (a PostgreSQL server that is down: they
    are kept and sent when it is back) or were dropped, and why.
    """
    return get_runtime().flush()


__all__ = [
    "CellfluxWarning",
    "Delivery",
    "Execution",
    "Flushed",
    "Metric",
    "MetricGroup",
    "MetricScale",
    "ProcessIdentity",
    "Progress",
    "Run",
    "SQLiteStore",
    "StoreError",
    "StoredExecution",
    "attach",
    "configure",
    "current_execution",
    "executions",
    "flush",
    "process_identity",
    "progress",
    "set_identity",
    "run",
    "show",
    "stored_execution",
    "task",
    "watch",
    "workflow",
]
