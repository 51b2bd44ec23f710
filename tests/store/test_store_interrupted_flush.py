"""Ctrl-C during ``cf.flush()`` never stores a batch twice and never loses one.

Ctrl-C in Jupyter is SIGINT to the kernel's main thread: it raises KeyboardInterrupt
in whatever Python code runs there at the next bytecode. Here the signal is sent at
the worst instant the code allows, from inside the store or the sink's lock, so the
tests are deterministic: once just after a batch's COMMIT (before the sink could
note the batch as confirmed), once just after a timed wait for the send lock
returned (before the code that releases it was entered). After the interrupted
flush and a later one, every point must be in the store exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import cellflux as cf
from cellflux.store.records import Batch, Store

from .backends import Backend
from .conftest import MakeRuntime, run_task

POINTS = 500


@pytest.fixture(autouse=True)
def sigint_raises() -> Iterator[None]:
    # A child of a background job inherits SIGINT ignored: install Python's handler.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _ctrl_c() -> None:
    """What the user's Ctrl-C does: SIGINT to the main thread, whichever thread is running."""
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


class InterruptAfterCommit:
    """The store under test, but the first write after ``arm()`` is followed, once committed, by a Ctrl-C."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.armed = False
        self.fired = 0

    def arm(self) -> None:
        self.armed = True

    def write(self, batch: Batch) -> None:
        self.inner.write(batch)
        if self.armed:
            self.armed = False
            self.fired += 1
            _ctrl_c()  # raised here at once if this is the main thread: the batch is committed

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class InterruptAfterTimedAcquire:
    """A lock that, once armed, is followed by a Ctrl-C right after a timed ``acquire()`` takes it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.armed = False
        self.fired = 0

    def arm(self) -> None:
        self.armed = True

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = bool(self.inner.acquire(blocking, timeout))
        if got and self.armed and timeout >= 0 and threading.current_thread() is threading.main_thread():
            self.armed = False
            self.fired += 1
            _ctrl_c()  # raised at once: acquire() has returned, the caller's try: is not entered yet
        return got

    def release(self) -> None:
        self.inner.release()

    def locked(self) -> bool:
        return bool(self.inner.locked())

    def __enter__(self) -> bool:
        return bool(self.inner.__enter__())

    def __exit__(self, *exc: object) -> None:
        self.inner.__exit__(*exc)


def _record(metric: cf.Metric, start: int) -> None:
    for i in range(start, start + POINTS):
        metric.record(float(i), at=i)


def _stored_once(backend: Backend, exe: cf.Execution, expected: int) -> None:
    (run,) = cf.executions(backend.where, name="interrupted")
    xs, ys = run.series("loss")
    assert backend.count_points() == expected
    assert np.array_equal(np.asarray(xs), np.arange(expected, dtype=float)), "a point is stored twice or lost"
    assert np.array_equal(np.asarray(ys), np.arange(expected, dtype=float))
    assert backend.status(exe.id) == "succeeded"


def test_ctrl_c_right_after_the_commit_stores_the_batch_once(backend: Backend, make_runtime: MakeRuntime) -> None:
    rt, sink = make_runtime(backend.where, interval=3600.0)  # only flushes write
    store = InterruptAfterCommit(sink.store)
    sink.store = store
    metric = cf.Metric("loss", throttle=None)
    exe = run_task("interrupted", lambda: _record(metric, 0))

    store.arm()
    with pytest.raises(KeyboardInterrupt):
        cf.flush()
    assert store.fired == 1

    more = run_task("after", lambda: None)  # the process goes on; so does its store
    report = cf.flush()
    assert report.complete, report
    assert report.deliveries[0].delivered == POINTS
    _stored_once(backend, exe, POINTS)
    assert backend.status(more.id) == "succeeded"


def test_ctrl_c_in_a_later_flush_still_stores_every_point_once(backend: Backend, make_runtime: MakeRuntime) -> None:
    rt, sink = make_runtime(backend.where, interval=3600.0)
    store = InterruptAfterCommit(sink.store)
    sink.store = store
    metric = cf.Metric("loss", throttle=None)

    def body() -> None:
        _record(metric, 0)
        assert cf.flush().complete
        _record(metric, POINTS)
        store.arm()
        try:
            cf.flush()
        except KeyboardInterrupt:
            pass  # the user's Ctrl-C; the run goes on
        _record(metric, 2 * POINTS)

    exe = run_task("interrupted", body)
    assert store.fired == 1
    report = cf.flush()
    assert report.complete and report.deliveries[0].delivered == 3 * POINTS, report
    _stored_once(backend, exe, 3 * POINTS)


def test_ctrl_c_as_flush_takes_the_send_lock_leaves_it_free(backend: Backend, make_runtime: MakeRuntime) -> None:
    rt, sink = make_runtime(backend.where, interval=3600.0)
    sink.flush_wait = 1.0  # a server store's flush waits this long for the lock, at most
    lock = InterruptAfterTimedAcquire(sink._send_lock)
    sink._send_lock = lock  # type: ignore[assignment]
    metric = cf.Metric("loss", throttle=None)
    exe = run_task("interrupted", lambda: _record(metric, 0))

    lock.arm()
    try:
        cf.flush()
    except KeyboardInterrupt:
        pass
    report = cf.flush()
    assert not lock.locked(), "a Ctrl-C left the send lock held: the writer and the exit flush would wait for ever"
    assert report.complete, report
    _stored_once(backend, exe, POINTS)


AT_EXIT = """
import sys, cellflux as cf
from cellflux.runtime import get_runtime
from cellflux.store.locate import store_at
from cellflux.store.sink import StoreSink
cf.configure(store=False, display=False)
get_runtime().add_sink(StoreSink(store_at(sys.argv[1]), interval=3600.0))  # only a flush writes
metric = cf.Metric("loss", throttle=None)

@cf.task("interrupted")
def run(n):
    for i in range(n):
        metric.record(float(i), at=i)

run(int(sys.argv[2]))
# No cf.flush(): the exit flush hands the points to the writer, a daemon thread, and waits.
"""


def test_the_exit_flush_goes_through_the_daemon_writer(backend: Backend) -> None:
    env = {**os.environ, "CELLFLUX_DISPLAY": "0"}
    done = subprocess.run([sys.executable, "-c", AT_EXIT, backend.where, str(POINTS)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    (run,) = cf.executions(backend.where, name="interrupted")
    xs, _ = run.series("loss")
    assert backend.count_points() == POINTS
    assert np.array_equal(np.asarray(xs), np.arange(POINTS, dtype=float))
    assert run.status == "succeeded"


class FlushFromInside:
    """The store under test, whose first write calls ``flush()`` from inside the send (as a warning's hook could)."""

    def __init__(self, inner: Store, flush: Any) -> None:
        self.inner = inner
        self.flush = flush
        self.inner_reports: list[object] = []

    def write(self, batch: Batch) -> None:
        self.inner.write(batch)
        if not self.inner_reports:
            self.inner_reports.append(self.flush())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_flush_from_inside_the_writer_or_without_one_returns(backend: Backend, make_runtime: MakeRuntime) -> None:
    rt, sink = make_runtime(backend.where, interval=3600.0)
    store = FlushFromInside(sink.store, sink.flush)
    sink.store = store
    metric = cf.Metric("loss", throttle=None)
    exe = run_task("interrupted", lambda: _record(metric, 0))
    assert cf.flush().complete  # the writer's send calls flush() inside: it must not wait for itself
    assert len(store.inner_reports) == 1
    sink.close()  # the writer stops; a flush after it sends from the caller's thread
    more = run_task("after close", lambda: _record(metric, POINTS))
    assert sink.flush().complete
    assert backend.count_points() == 2 * POINTS
    for run, first in ((exe, 0), (more, POINTS)):
        xs, _ = cf.stored_execution(run.id, backend.where).series("loss")
        assert np.array_equal(np.asarray(xs), np.arange(first, first + POINTS, dtype=float))
        assert backend.status(run.id) == "succeeded"
