"""An isolated cellflux engine with all three ends a point reaches: the series, the store, the board.

``Rig`` installs a runtime (fake clock, no flusher thread unless asked) with a
real :class:`SQLiteStore` on a temporary path and a :class:`BoardSink` whose
widgets talk through a :class:`~.wire.Wire`. After a run, :meth:`Rig.compare`
checks that every point the engine reported is the point stored (bit for bit,
read back by a fresh connection) and the point the front end received.
"""

from __future__ import annotations

import base64
import contextlib
import math
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import comm
import numpy as np

from cellflux.display.board import Board
from cellflux.display.board_sink import BoardSink
from cellflux.display.chart_line import MAX_POINTS
from cellflux.display.ticker import Budget, Ticker
from cellflux.execution import Execution
from cellflux.runtime import Runtime, use_runtime
from cellflux.store.sink import StoreSink
from cellflux.store.sqlite import SQLiteStore

from ..fakes import FakeClock, Screen
from .wire import Wire


class Rig:
    def __init__(
        self,
        path: Path,
        *,
        clock: Any = None,
        board: bool = True,
        store: bool = True,
        flusher_thread: bool = False,
        ticker_thread: bool = False,
        interval: float = 3600.0,
        timeout: float = 10.0,
        keep_log: bool = True,
    ) -> None:
        self.path = path
        self.clock = clock if clock is not None else FakeClock()
        self.runtime = Runtime(clock=self.clock, flusher_thread=flusher_thread)
        self.wire = Wire(keep_log=keep_log)
        self.screen = Screen()
        self.store_sink: StoreSink | None = None
        self.board_sink: BoardSink | None = None
        self.boards: dict[str, Board] = {}
        """Every board ever made, by execution id (the sink forgets them when they end)."""
        if store:
            self.store_sink = StoreSink(SQLiteStore(path, timeout=timeout), interval=interval)
            self.runtime.add_sink(self.store_sink)
        if board:
            budget_clock = self.clock if not ticker_thread else None
            ticker = Ticker(Budget(clock=budget_clock) if budget_clock else Budget(), thread=ticker_thread)
            self.board_sink = BoardSink(
                self.runtime, display=self.screen.display, update=self.screen.update, ticker=ticker
            )
            self.runtime.add_sink(self.board_sink)
            original = self.board_sink.series_created

            def remember(series: Any) -> None:
                original(series)
                board = self.board_sink.boards.get(series.execution.id)  # type: ignore[union-attr]
                if board is not None:
                    self.boards[series.execution.id] = board

            self.board_sink.series_created = remember  # type: ignore[method-assign]

    @contextlib.contextmanager
    def installed(self) -> Iterator[Rig]:
        with mock.patch.object(comm, "create_comm", self.wire.create_comm), use_runtime(self.runtime):
            try:
                yield self
            finally:
                self.close()

    def close(self) -> None:
        if self.board_sink is not None:
            self.board_sink.ticker.stop()
        if self.store_sink is not None:
            self.store_sink.close()
        self.runtime.flusher.stop()

    # -- reading back ----------------------------------------------------------------------

    def stored(self, execution_id: str) -> tuple[dict[str, Any], dict[str, tuple[np.ndarray, np.ndarray]]]:
        """Definitions and points of an execution, read by a new connection to the file."""
        store = SQLiteStore(self.path)
        try:
            metrics = store.read_metrics(execution_id)
            return metrics, {key: store.read_series(execution_id, key) for key in metrics}
        finally:
            store.close()

    def stored_execution(self, execution_id: str) -> Any:
        store = SQLiteStore(self.path)
        try:
            return store.read_execution(execution_id)
        finally:
            store.close()

    def sent_line(self, board: Board, key: str) -> tuple[np.ndarray, np.ndarray, float]:
        """The x and y of ``key``'s line as the front end holds them, and the time divisor."""
        for chart in board.charts:
            line = chart.lines.get(key)
            if line is not None:
                state = self.wire.model(line.mark)
                x = np.asarray(state.get("x", np.zeros(0)), dtype=np.float64)
                y = np.asarray(state.get("y", np.zeros(0)), dtype=np.float64)
                return x, y, chart.time_divisor
        raise AssertionError(f"no line for {key!r} on the board")

    def compare(self, exe: Execution, *, board: bool = True) -> dict[str, int]:
        """Series == store (bit for bit) == front end (each line that fits undecimated).

        Returns the number of points per key.
        """
        self.runtime.flush()
        metrics, stored = self.stored(exe.id)
        counts: dict[str, int] = {}
        series = exe.buffers
        assert set(metrics) == set(series), (sorted(metrics), sorted(series))
        for key, s in series.items():
            xs, ys = s.read()
            sx, sy = stored[key]
            assert sx.tobytes() == xs.tobytes(), f"{key!r}: stored x differs from reported x"
            assert sy.tobytes() == ys.tobytes(), f"{key!r}: stored y differs from reported y"
            definition = metrics[key]
            assert (definition.group, definition.scale) == (s.group, s.scale), key
            counts[key] = len(xs)
            if board and self.board_sink is not None and not (s.scale is not None and s.scale.progress):
                self._compare_line(exe, key, xs, ys)
        return counts

    def _compare_line(self, exe: Execution, key: str, xs: np.ndarray, ys: np.ndarray) -> None:
        board = self.boards[exe.id]
        bx, by, divisor = self.sent_line(board, key)
        line = next(c.lines[key] for c in board.charts if key in c.lines)
        assert line.count == len(xs), (key, line.count, len(xs))
        if len(ys):
            assert _same(line.last, float(ys[-1])), (key, line.last, ys[-1])
            finite = ys[np.isfinite(ys)]
            if finite.size:
                assert (line.min, line.max) == (float(finite.min()), float(finite.max()))
        if len(xs) <= MAX_POINTS // 2 - 5:  # undecimated: every point is on the line
            want_y = np.where(np.isfinite(ys), ys, np.nan)
            assert np.array_equal(bx, xs / divisor), f"{key!r}: x on the board differs"
            assert np.array_equal(by, want_y, equal_nan=True), f"{key!r}: y on the board differs"
        else:
            assert len(bx) <= MAX_POINTS and len(by) == len(bx)
            if len(xs):
                assert bx[0] == xs[0] / divisor and bx[-1] == xs[-1] / divisor


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


_IMAGE = re.compile(r'<img [^>]*src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


def static_documents(html: str) -> list[str]:
    """The static board's HTML and each SVG it embeds as an image (data URI)."""
    return [html, *(base64.b64decode(data).decode("utf-8") for data in _IMAGE.findall(html))]


def integrity(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
