"""Worker processes: record into the parent's execution through the store.

A live :class:`~cellflux.execution.Execution` pickles as an
:class:`~cellflux.execution.ExecutionHandle` (its id, name and the store path
that the store sink gives it, see ``StoreSink.handle``), so it can be passed to
a ``multiprocessing`` worker, forked or spawned. There, ``with attach(handle):``
runs a stand-in execution that carries the parent's id: whatever the worker
records lands in the store under the parent's execution, tagged with the
worker's pid, and the parent's board reads it from there. The stand-in never
writes the execution's status, which stays the parent's to write.

>>> import cellflux as cf
>>> def work(handle, n):
...     with cf.attach(handle):
...         for i in range(n):
...             cf.Metric("worker.loss").record(1 / (i + 1), at=i)
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from .. import execution as ex
from ..execution import Execution, ExecutionHandle
from ..runtime import Runtime, get_runtime
from . import routes
from .locate import locator, store_at
from .records import ExecutionRecord
from .sink import StoreSink


def handle(execution: Execution) -> ExecutionHandle:
    """The picklable handle of a live execution (what it pickles as)."""
    return execution.runtime.handle(execution)


@contextlib.contextmanager
def attach(target: ExecutionHandle | Execution) -> Iterator[Execution]:
    """Record into ``target`` (an execution of this or another process) inside the block.

    In the process that owns the execution, records simply go to it. Elsewhere
    they go through the store (a file, or a PostgreSQL server that the worker
    may reach from another host), flushed when the block exits. Raises
    ``ValueError`` when the execution's process has no store file.
    """
    if not isinstance(target, (ExecutionHandle, Execution)):
        raise TypeError(f"attach(): expected an execution or its handle, got {type(target).__name__}")
    rt = get_runtime()
    if isinstance(target, Execution) and target.runtime is rt and target.pid == os.getpid():
        with _inside(rt, target):
            yield target
        return
    h = target if isinstance(target, ExecutionHandle) else handle(target)
    if h.store is None:
        raise ValueError(
            f"attach(): execution {h.name!r} ({h.id}) has no store file, so other processes cannot "
            "record into it; configure(store=PATH) in the parent, not ':memory:' or False"
        )
    where = locator(h.store)
    sink = _enter_sink(rt, where)
    routes.enter(where, _record_of(h))
    try:
        exe = rt.start(h.name, h.kind, None, id=h.id)
        # Auto x (seconds since the start) counts from the parent's start.
        exe.t0 = rt.clock() - max(0.0, rt.wall() - h.started_at)
        status = ex.SUCCEEDED
        try:
            with _inside(rt, exe):
                yield exe
        except BaseException as error:
            status = ex.status_after(error)
            raise
        finally:
            rt.end(exe, status)
            sink.flush()
    finally:
        routes.leave(h.id)
        _leave_sink(rt, sink)


def _record_of(h: ExecutionHandle) -> ExecutionRecord:
    """The execution's row, for a worker to create if its parent has not written it yet."""
    return ExecutionRecord(h.id, h.name, h.kind, h.parent, ex.RUNNING, h.started_at, None, h.pid)


_extra_sinks: dict[StoreSink, int] = {}
"""Sinks that ``attach()`` added to the runtime -> open blocks using each."""
_extra_lock = threading.Lock()


def _reset_lock() -> None:
    global _extra_lock
    _extra_lock = threading.Lock()  # a parent thread may have held it at the fork


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock)


def _enter_sink(rt: Runtime, path: str) -> StoreSink:
    """The runtime's sink for the store at ``path``, added for the block if it has none."""
    with _extra_lock:
        for sink in rt.sinks:
            if isinstance(sink, StoreSink) and sink.store.locator == path:
                if sink in _extra_sinks:
                    _extra_sinks[sink] += 1
                return sink
        sink = StoreSink(store_at(path), attached_only=True)
        _extra_sinks[sink] = 1
        rt.add_sink(sink)
        return sink


def _leave_sink(rt: Runtime, sink: StoreSink) -> None:
    with _extra_lock:
        users = _extra_sinks.get(sink)
        if users is None:
            return  # one of the runtime's own sinks
        if users > 1:
            _extra_sinks[sink] = users - 1
            return
        del _extra_sinks[sink]
        if sink in rt.sinks:
            rt.sinks.remove(sink)
    sink.close()


@contextlib.contextmanager
def _inside(rt: Runtime, exe: Execution) -> Iterator[None]:
    """Make ``exe`` the execution of this context, as a task call does."""
    token = ex.current.set(exe)
    rt.task_entered(False)
    try:
        yield
    finally:
        try:
            ex.current.reset(token)
        except ValueError:  # left from another context (a generator resumed elsewhere)
            ex.current.set(None)
        rt.task_exited(False)
