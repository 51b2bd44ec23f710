"""One thread that refreshes every live board, within a process-wide message budget.

Jupyter's server drops iopub messages past 1000/s (see DESIGN.md); every widget
update is one message. The ticker visits each board at most 10 times a second and
never sends more than ``rate`` (60) messages a second in all, leaving room under
the 100/s the board promises for widget opens and final pushes, however many metrics and
boards there are: a board that would exceed the budget keeps its changes for a
later tick, when they go out merged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

INTERVAL = 0.1
RATE = 60.0


class Tickable(Protocol):
    def tick(self, allowance: int) -> int:
        """Send at most ``allowance`` messages; return how many were sent."""

    @property
    def live(self) -> bool: ...


class Budget:
    """A token bucket of messages: ``rate`` per second, bursts up to one second's worth."""

    def __init__(self, rate: float = RATE, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        self.tokens = rate
        self.stamp = clock()
        self.sent = 0

    def available(self) -> int:
        """Messages that may go out now; negative after a burst (new widgets) until repaid."""
        now = self.clock()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return int(self.tokens)

    def spend(self, n: int) -> None:
        self.tokens -= n
        self.sent += n


class Ticker:
    """Visits registered boards every ``INTERVAL`` seconds from one daemon thread, and at once
    when woken."""

    def __init__(self, budget: Budget | None = None, *, thread: bool = True) -> None:
        self.budget = budget or Budget()
        self._boards: list[Tickable] = []
        self._round = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._use_thread = thread
        self._stopped = False

    def add(self, board: Tickable) -> None:
        """Visit ``board`` from now on, the first time at once."""
        with self._lock:
            self._boards.append(board)
        if self._use_thread and (self._thread is None or not self._thread.is_alive()):
            self._thread = threading.Thread(target=self._loop, name="cellflux-ticker", daemon=True)
            self._thread.start()
        self.wake()

    def wake(self) -> None:
        """Start the next round now rather than at the next interval (a new board or metric)."""
        self._wake.set()

    def visit(self, tick: Callable[[int], int]) -> int:
        """One visit from the calling thread (``tick`` sends at most the messages it is allowed),
        within the budget; returns messages sent."""
        allowance = self.budget.available()
        if allowance <= 0:
            return 0
        n = tick(allowance)
        self.budget.spend(n)
        return n

    def tick_all(self) -> int:
        """One round over every board; returns messages sent."""
        with self._lock:
            boards = list(self._boards)
            self._round += 1
        if boards:  # start each round at another board, so none starves the rest
            k = self._round % len(boards)
            boards = boards[k:] + boards[:k]
        sent = 0
        for board in boards:
            allowance = self.budget.available()
            if allowance <= 0:
                break
            n = board.tick(allowance)
            self.budget.spend(n)
            sent += n
        with self._lock:
            self._boards = [b for b in self._boards if b.live]
        return sent

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def _loop(self) -> None:
        # The thread waits before its first round: add() wakes it, and by the time the
        # thread has the GIL the caller has gone on to append the point it was adding.
        while not self._stopped:
            self._wake.wait(INTERVAL)
            self._wake.clear()  # before the round: a wake during it brings the next one forward
            self.tick_all()
            with self._lock:
                if not self._boards:
                    self._thread = None
                    return
