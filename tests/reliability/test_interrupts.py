"""KeyboardInterrupt at any moment of a recording loop never leaves one of cellflux's locks held.

Ctrl-C (or the notebook's Interrupt) raises KeyboardInterrupt in the main thread at the
next point where CPython runs signal handlers, which includes the instant just after a
call returns. A lock taken by ``lock.acquire()`` followed by ``try:`` is then held for
good, and the next ``record()`` into that metric, or the end of the interrupted execution,
hangs the kernel. Here the loop is interrupted hundreds of times at random moments, and
after each interrupt every lock must be free.
"""

from __future__ import annotations

import random
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import numpy as np
import pytest

import cellflux as cf
from cellflux.runtime import Runtime, use_runtime
from cellflux.store.sink import StoreSink
from cellflux.store.sqlite import SQLiteStore

from .children import STUCK
from .ledger import Ledger

INTERRUPTS = 300
"""Before the fix, about 1 interrupt in 12 left a series' lock held: 300 miss it with
probability below 1e-10."""


class Lock(Protocol):
    def acquire(self, blocking: bool = ..., timeout: float = ...) -> bool: ...
    def release(self) -> None: ...


class Interrupter:
    """Sends the main thread one SIGINT per :meth:`arm`, after a random short delay."""

    def __init__(self, seed: int) -> None:
        self.main = threading.get_ident()
        self.rng = random.Random(seed)
        self.go = threading.Event()
        self.sent = threading.Event()
        self.done = False
        self.thread = threading.Thread(target=self._run, name="interrupter", daemon=True)

    def _run(self) -> None:
        while True:
            self.go.wait()
            if self.done:
                return
            self.go.clear()
            threading.Event().wait(self.rng.uniform(0.0, 0.002))  # the random moment
            signal.pthread_kill(self.main, signal.SIGINT)
            self.sent.set()

    def arm(self) -> None:
        self.sent.clear()
        self.go.set()


@pytest.fixture
def interrupter() -> Iterator[Interrupter]:
    # A child of a background job inherits SIGINT ignored: install Python's handler.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    sender = Interrupter(seed=0)
    sender.thread.start()
    try:
        yield sender
    finally:
        sender.done = True
        sender.go.set()
        sender.thread.join(STUCK)
        signal.signal(signal.SIGINT, previous)


def _interrupt_many_times(interrupter: Interrupter, loop: Callable[[], None], locks: Callable[[], list[Lock]]) -> int:
    """Run ``loop`` over and over, sent INTERRUPTS SIGINTs; after each, every one of ``locks()``
    must be free, or taken by another thread only for a while: one still held after ``STUCK``
    was left held by the interrupt. Returns how many SIGINTs raised
    KeyboardInterrupt in the loop: CPython drops one that lands in a finalizer ("Exception
    ignored in ..."), and a loop that saw its SIGINT sent and still ran 50 times goes on."""
    raised = 0
    for n in range(INTERRUPTS):
        try:
            interrupter.arm()  # inside the try: the interrupt may come at once
            after = 0
            while after < 50:
                loop()
                after += interrupter.sent.is_set()
        except KeyboardInterrupt:
            raised += 1
        for lock in locks():
            free = lock.acquire(timeout=STUCK)  # a deadlock detector, not a measure
            lock.release()
            assert free, f"SIGINT {n + 1} of {INTERRUPTS} left a lock held: the next record() would hang"
    assert raised >= INTERRUPTS // 2, f"only {raised} of {INTERRUPTS} SIGINTs raised KeyboardInterrupt in the loop"
    return raised


def test_an_interrupt_never_leaves_a_series_locked(rt: Runtime, interrupter: Interrupter, ledger: Ledger) -> None:
    row = ledger.scenario(3, "KeyboardInterrupt at random moments of an unthrottled record() loop, 300 times")
    auto = cf.Metric("auto", throttle=None)
    explicit = cf.Metric("explicit", throttle=None)
    throttled = cf.Metric("throttled")
    step = [0]

    def loop() -> None:
        i = step[0] = step[0] + 1
        auto.record(float(i))
        explicit.record(float(i), at=i)
        throttled.record(float(i))

    exe = cf.current_execution()

    def locks() -> list[Lock]:
        return [series._lock for series in exe.buffers.values()]

    raised = _interrupt_many_times(interrupter, loop, locks)
    ledger.done(row, f"{raised} interrupts, {step[0]:,} steps x 3 metrics", "0 locks left held")



def test_an_interrupt_during_flush_never_stores_a_point_twice_nor_loses_one(
    interrupter: Interrupter, ledger: Ledger, tmp_path: Path
) -> None:
    # Before flush() handed the sending to the writer thread, 473 of 485 points were
    # stored twice here: an interrupt between a batch's COMMIT and its confirmation.
    row = ledger.scenario(3, "KeyboardInterrupt at random moments of a record() + cf.flush() loop (SQLite), 300 times")
    rt = Runtime(flusher_thread=False)
    sink = StoreSink(SQLiteStore(tmp_path / "metrics.sqlite"), interval=3600.0)  # only the flushes write
    rt.add_sink(sink)
    with use_runtime(rt):
        metric = cf.Metric("loss", throttle=None)
        step, raised = [0], [0]

        def loop() -> None:
            i = step[0] = step[0] + 1
            metric.record(float(i), at=i)
            cf.flush()

        @cf.task("interrupted flushes")
        def body() -> cf.Execution:
            raised[0] = _interrupt_many_times(interrupter, loop, lambda: [sink._send_lock, sink._queue_lock])
            return cf.current_execution()

        exe = body()
        report = cf.flush()
        sink.close()
    assert report.complete, report
    xs, ys = exe.series("loss")
    stored_xs, stored_ys = cf.stored_execution(exe.id, str(tmp_path / "metrics.sqlite")).series("loss")
    assert len(stored_xs) == len(xs), f"{len(stored_xs) - len(xs):+,} points stored (twice, or lost) of {len(xs):,}"
    assert np.array_equal(stored_xs, xs) and np.array_equal(stored_ys, ys)
    ledger.done(row, f"{raised[0]} interrupts, {step[0]:,} steps, each flushed", "0 points stored twice, 0 lost")
