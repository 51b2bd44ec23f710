"""A runtime with the real store (SQLite in a temporary folder) and a board over a recording comm.

The frameworks' callbacks report into the process's runtime, so each test installs
one of its own: what a test trains is stored and displayed exactly as in a notebook,
and the test reads both back.
"""

from __future__ import annotations

import math
import os
import struct

os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras 3 on PyTorch: no second deep-learning framework

from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import comm  # noqa: E402
import pytest  # noqa: E402

import cellflux as cf  # noqa: E402
from cellflux.display.board import Board  # noqa: E402
from cellflux.display.board_sink import BoardSink  # noqa: E402
from cellflux.display.ticker import Budget, Ticker  # noqa: E402
from cellflux.runtime import Runtime, use_runtime  # noqa: E402
from cellflux.store.sink import StoreSink  # noqa: E402
from cellflux.store.sqlite import SQLiteStore  # noqa: E402

from ..fakes import Screen  # noqa: E402
from ..recording_comm import RecordingComm  # noqa: E402


@dataclass
class Harness:
    rt: Runtime
    store: Path
    screen: Screen
    boards: dict[str, Board] = field(default_factory=dict)
    """Every board displayed, by execution id (kept after the execution ends)."""

    def stored(self, execution: cf.Execution) -> cf.StoredExecution:
        self.rt.flush()
        return cf.stored_execution(execution.id, self.store)

    def board(self, execution: cf.Execution) -> Board:
        return self.boards[execution.id]

    def chart_lines(self, execution: cf.Execution) -> dict[str, list[str]]:
        """Chart title -> the keys of its lines, as displayed."""
        return {chart.spec.title: list(chart.lines) for chart in self.board(execution).charts}

    def bars(self, execution: cf.Execution) -> dict[str, tuple[str, float, float | None]]:
        """Bar label -> (state, count, total), as the board's bar widgets last showed them."""
        out: dict[str, tuple[str, float, float | None]] = {}
        for _, widget in self.board(execution).bars:
            numbers = struct.unpack(f"<{len(widget.data) // 8}d", widget.data)
            for i, (label, state) in enumerate(zip(widget.labels, widget.states)):
                count, total = numbers[4 * i], numbers[4 * i + 1]
                out[label] = (state, count, None if math.isnan(total) else total)
        return out


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(**kw))
    RecordingComm.log.clear()
    rt = Runtime(flusher_thread=False)
    path = tmp_path / "metrics.sqlite"
    store = StoreSink(SQLiteStore(path))
    screen = Screen()
    board_sink = BoardSink(rt, display=screen.display, update=screen.update, ticker=Ticker(Budget(), thread=False))
    h = Harness(rt, path, screen)
    created = board_sink.series_created

    def keep_boards(series: Any) -> None:
        created(series)
        h.boards.update(board_sink.boards)

    board_sink.series_created = keep_boards  # type: ignore[method-assign]
    rt.add_sink(store)
    rt.add_sink(board_sink)
    with use_runtime(rt):
        yield h
        rt.flush()
    store.close()
