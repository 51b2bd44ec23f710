"""cellflux: Coflux's metrics API for Jupyter.

>>> import cellflux as cf
>>> loss = cf.Metric("loss", group="training")
>>> loss.record(0.5, at=0)
"""

from __future__ import annotations

from .config import configure
from .definitions import MetricGroup, MetricScale
from .execution import Execution
from .metric import Metric
from .progress import progress
from .runtime import get_runtime
from .tasks import current_execution, task, workflow
from .warn import CellfluxWarning

__version__ = "0.1.0"


def flush() -> None:
    """Deliver every pending throttled value to every sink, durably, then return."""
    get_runtime().flush()


__all__ = [
    "CellfluxWarning",
    "Execution",
    "Metric",
    "MetricGroup",
    "MetricScale",
    "configure",
    "current_execution",
    "flush",
    "progress",
    "task",
    "workflow",
]
