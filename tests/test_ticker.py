"""The ticker: rounds over the live boards, woken at once for a new board or metric."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from cellflux.display import ticker as ticker_module
from cellflux.display.ticker import Budget, Ticker

from .fakes import FakeClock

WAIT = 10.0
"""Seconds a test waits for the ticker thread: far below the interval it sets, far above a round."""


class Board:
    """A tickable that counts its visits and sends ``cost`` messages each."""

    def __init__(self, cost: int = 1) -> None:
        self.cost = cost
        self.visits = 0
        self.visited = threading.Event()
        self.live = True

    def tick(self, allowance: int) -> int:
        self.visits += 1
        self.visited.set()
        return min(self.cost, allowance)


@pytest.fixture
def slow_ticker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Ticker]:
    """A threaded ticker whose interval is a minute: a prompt round can only come from a wake."""
    monkeypatch.setattr(ticker_module, "INTERVAL", 60.0)
    ticker = Ticker()
    yield ticker
    ticker.stop()


def test_a_board_added_to_a_running_ticker_is_visited_at_once(slow_ticker: Ticker) -> None:
    first, second = Board(), Board()
    slow_ticker.add(first)
    assert first.visited.wait(WAIT), "the first board was not visited when added"
    slow_ticker.add(second)  # the thread is alive and waiting out its minute
    assert second.visited.wait(WAIT), "a board added to a waiting ticker waited for the interval"


def test_wake_brings_the_next_round_forward(slow_ticker: Ticker) -> None:
    board = Board()
    slow_ticker.add(board)
    assert board.visited.wait(WAIT)
    board.visited.clear()
    slow_ticker.wake()  # e.g. a new metric on this board
    assert board.visited.wait(WAIT), "wake() did not start a round"
    assert board.visits == 2


def test_visit_from_the_calling_thread_spends_the_budget() -> None:
    clock = FakeClock()
    ticker = Ticker(Budget(rate=60.0, clock=clock), thread=False)
    board = Board(cost=25)
    assert ticker.visit(board.tick) == 25
    assert ticker.visit(board.tick) == 25
    assert ticker.visit(board.tick) == 10  # what is left of one second's burst
    assert ticker.visit(board.tick) == 0 and board.visits == 3  # spent: no visit until the budget refills
    clock.advance(0.5)
    assert ticker.visit(board.tick) == 25
