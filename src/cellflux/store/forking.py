"""Fork safety for objects that hold threads, locks or SQLite connections.

SQLite's rule is that no connection may be open across a ``fork()``: the
library keeps per-file lock state in process memory, so a child would share
(and believe it holds) its parent's locks, even with a connection of its own.
So stores close their file connections just before a fork (reopening lazily
afterwards), holding their lock through the fork so that no thread is inside
SQLite at that instant; and in the child, objects replace the locks and
threads they inherited.

Registered objects may define ``_before_fork()``, ``_after_fork_parent()``
and ``_after_fork_child()``.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

_objects: weakref.WeakSet[Any] = weakref.WeakSet()
_prepared: list[Any] = []
_registered = False
_lock = threading.Lock()


def register(obj: Any) -> None:
    """Call ``obj``'s fork hooks around every fork from now on."""
    global _registered
    with _lock:
        _objects.add(obj)
        if not _registered and hasattr(os, "register_at_fork"):
            os.register_at_fork(
                before=_before_fork, after_in_parent=_after_fork_parent, after_in_child=_after_fork_child
            )
            _registered = True


def _call(name: str, objects: list[Any]) -> None:
    for obj in objects:
        hook = getattr(obj, name, None)
        if hook is not None:
            hook()


def _before_fork() -> None:
    _lock.acquire()
    _prepared[:] = list(_objects)
    _call("_before_fork", _prepared)


def _after_fork_parent() -> None:
    objects = list(_prepared)
    _prepared.clear()
    _lock.release()
    _call("_after_fork_parent", objects)


def _after_fork_child() -> None:
    global _lock
    objects = list(_prepared)
    _prepared.clear()
    _lock = threading.Lock()
    _call("_after_fork_child", objects)
