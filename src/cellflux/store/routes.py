"""Executions attached from another process, and the store each must go to.

``attach()`` runs a stand-in execution with the parent's id in a worker; the
store sinks of the worker consult this table so that only the sink of the
parent's store writes it, and writes it as a visitor: points and definitions,
never the execution's status, which belongs to the parent.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from .records import ExecutionRecord


@dataclass
class Route:
    store: str
    """The locator of the store the execution lives in (see ``locate.locator``)."""
    record: ExecutionRecord
    """The row to create if the parent has not written it yet."""
    users: int = 0
    """Open ``attach()`` blocks of this execution in this process."""


routes: dict[str, Route] = {}
lock = threading.Lock()


def _reset_lock() -> None:
    global lock
    lock = threading.Lock()  # a parent thread may have held it at the fork


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock)


def enter(store: str, record: ExecutionRecord) -> None:
    with lock:
        route = routes.setdefault(record.id, Route(store, record))
        route.users += 1


def leave(execution_id: str) -> None:
    with lock:
        route = routes.get(execution_id)
        if route is not None:
            route.users -= 1
            if route.users <= 0:
                del routes[execution_id]


def route_of(execution_id: str) -> Route | None:
    return routes.get(execution_id)
