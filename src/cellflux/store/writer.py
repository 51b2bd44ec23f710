"""The store sink's writer thread, and the flushes handed to it: the caller only waits.

Ctrl-C (SIGINT) raises KeyboardInterrupt in the main thread only, in whatever
Python code runs there. When ``flush()`` sent batches from the caller's thread,
an interrupt landing between a batch's COMMIT and the backlog's note that it is
confirmed left the batch to be sent, and stored, twice (a file store has no
batch id to recognise it); one landing just after a timed wait took the send
lock left the lock held; one inside the taking of a batch could lose its
points. The writer thread is never interrupted, so it takes, commits and
confirms together, and an interrupted ``flush()`` only stops waiting.

A flush asks the writer (an :class:`Ask` with its deadline) and waits for the
answer. A writer that has not taken the ask by the deadline has it withdrawn,
as the old timed wait for the send lock gave up; once taken, an attempt is
waited for to its end, as before.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

CHECK_EVERY = 1.0
"""How often a waiting flush checks that the writer thread still lives."""
TAKE_GRACE = 0.1
"""How long a flush with no time to wait (the store is known to be down) gives an idle writer to take
it: waking a thread is not instant on a busy machine, and that flush should still make one attempt."""


@dataclass(eq=False)
class Ask:
    """One flush waiting for the writer."""

    deadline: float | None
    """Until when the store is retried (``time.monotonic()``); None: one attempt."""
    posted: float = field(default_factory=time.monotonic)
    answer: queue.SimpleQueue[None] = field(default_factory=queue.SimpleQueue)
    """Put by the writer, which never blocks on it, whatever the waiting thread is doing."""


class Asks:
    """The flushes waiting for the writer thread, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[Ask] = []

    def __bool__(self) -> bool:
        return bool(self._waiting)

    def post(self, deadline: float | None) -> Ask:
        ask = Ask(deadline)
        with self._lock:
            self._waiting.append(ask)
        return ask

    def take(self) -> list[Ask]:
        """The writer takes every waiting ask: from now on it answers them."""
        with self._lock:
            taken, self._waiting = self._waiting, []
        return taken

    def withdraw(self, ask: Ask) -> bool:
        """True if the writer had not taken ``ask`` (it never will now)."""
        with self._lock:
            if ask in self._waiting:
                self._waiting.remove(ask)
                return True
        return False


def _deadline_of(asks: list[Ask]) -> float | None:
    """The deadline of a pass that answers ``asks`` together: the latest (None only if all are None)."""
    deadlines = [a.deadline for a in asks if a.deadline is not None]
    return max(deadlines) if deadlines else None


def _answer(asks: list[Ask]) -> None:
    for ask in asks:
        ask.answer.put(None)


def _wait(asks: Asks, ask: Ask, alive: Callable[[], bool]) -> bool:
    """Wait for the writer's answer to ``ask``; False if the writer died without answering.

    Returns True also when the deadline passed before the writer took ``ask``:
    the flush then reports what is confirmed so far.
    """
    give_up = None if ask.deadline is None else max(ask.deadline, ask.posted + TAKE_GRACE)
    while True:
        left = CHECK_EVERY if give_up is None else min(CHECK_EVERY, give_up - time.monotonic())
        try:
            ask.answer.get(timeout=max(left, 0.001))
            return True
        except queue.Empty:
            pass
        if give_up is not None and time.monotonic() >= give_up:
            if asks.withdraw(ask):
                return True
            give_up = None  # taken: its attempt is waited for to its end
        if not alive():
            asks.withdraw(ask)
            return False


class WriterThread:
    """The one thread that writes a sink's batches: on its timer, when poked, and for flushes.

    ``has_work()``: whether the timer is due; ``pause()``: the timer's period now;
    ``write()``: send what is due; ``flush(deadline)``: take everything and send it,
    retried until ``deadline`` (None: once); ``fault(error)``: either raised.
    """

    def __init__(
        self, has_work: Callable[[], bool], pause: Callable[[], float], write: Callable[[], None],
        flush: Callable[[float | None], None], fault: Callable[[Exception], None],
    ) -> None:
        self._has_work, self._pause, self._write, self._flush, self._fault = has_work, pause, write, flush, fault
        self.stopping = False
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = False
        self._asks = Asks()

    def poke(self) -> None:
        """Make sure the thread will look within its period, without waking it each time."""
        if self.thread is None:
            self._start()
        elif self._idle:
            self._wake.set()

    def is_current(self) -> bool:
        return self.thread is threading.current_thread()

    def flush(self, deadline: float | None) -> bool:
        """Have the thread flush, and wait; False if there is no thread to do it (the caller must)."""
        if self.thread is None and not self.stopping:
            try:
                self._start()
            except RuntimeError:  # threads cannot start any more (interpreter shutdown)
                return False
        thread = self.thread
        if thread is None or not thread.is_alive() or self.stopping:
            return False
        ask = self._asks.post(deadline)
        self._wake.set()
        return _wait(self._asks, ask, thread.is_alive)

    def stop(self) -> None:
        """Stop the thread (after the flushes that asked already) and wait for it, unless it is this one."""
        self.stopping = True
        self._wake.set()
        thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _start(self) -> None:
        with self._lock:
            if self.thread is None and not self.stopping:
                thread = threading.Thread(target=self._run, name="cellflux-store", daemon=True)
                thread.start()  # raises at interpreter shutdown: then there is still no thread
                self.thread = thread

    def _run(self) -> None:
        # When the timer's next write is due: flushes answered meanwhile leave it as it is,
        # so the thread still writes on its own between frequent flushes, as it did before.
        due: float | None = None
        try:
            while not self.stopping:
                # Idle is announced before looking for work, so a callback that adds
                # work after the look sees it and wakes us; otherwise callbacks leave
                # the timer alone, and points are batched.
                self._idle = True
                idle = not (self._asks or self._has_work())
                self._idle = idle
                if idle:
                    due = None
                elif due is None:
                    due = time.monotonic() + self._pause()
                self._wake.wait(None if due is None else max(0.0, due - time.monotonic()))
                self._idle = False
                self._wake.clear()
                if self.stopping:
                    return
                if self._asks:
                    self._serve()
                elif not idle:  # the timer is due (only flushes and stop() wake a busy thread)
                    due = None
                    try:
                        self._write()
                    except Exception as error:  # keep the thread alive: the next batch may do
                        self._fault(error)
        finally:
            self._serve()  # the flushes that asked as it stopped

    def _serve(self) -> None:
        """Answer the flushes waiting, with one pass for them all."""
        asks = self._asks.take()
        if asks:
            try:
                self._flush(_deadline_of(asks))
            except Exception as error:  # keep the thread alive; the flushes report what is confirmed
                self._fault(error)
            finally:
                _answer(asks)
