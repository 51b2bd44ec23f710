"""The display sink in a Jupyter kernel: a live board in the cell of each execution.

At the first metric of an execution, :class:`BoardSink` lays out a :class:`~.board.Board`
and displays it in the output of the cell where the execution started; the process's
:class:`~.ticker.Ticker` pushes new points to it; at the end of the execution it pushes
the final values and replaces the display with a bundle that also carries a static
rendering, for saved notebooks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import config
from .board import Board
from .kernel_output import kernel_shell, parent_header, show_bundle, update_bundle
from .remote import feed_for
from .ticker import Ticker

if TYPE_CHECKING:
    from ..execution import Execution
    from ..runtime import Runtime
    from ..series import Series


class BoardSink:
    """The display sink: one board per execution that records something."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        display: Callable[[dict[str, Any], Any], Any],
        update: Callable[[dict[str, Any], Any], None],
        capture_parent: Callable[[], Any] = lambda: None,
        ticker: Ticker | None = None,
    ) -> None:
        self.runtime = runtime
        self._display = display
        self._update = update
        self._capture_parent = capture_parent
        self.ticker = ticker or Ticker()
        self.boards: dict[str, Board] = {}
        self._parents: dict[str, Any] = {}
        self._handles: dict[str, Any] = {}
        self._lock = threading.Lock()

    def execution_started(self, execution: Execution) -> None:
        self._parents[execution.id] = self._capture_parent()

    def series_created(self, series: Series) -> None:
        exe = series.execution
        with self._lock:
            board = self.boards.get(exe.id)
            new = board is None
            if board is None:
                board = Board(exe, self.runtime.clock)
                self.boards[exe.id] = board
        board.add_series(series)
        if not new:
            self.ticker.wake()  # lay the new metric out now, not at the next tick
            return
        # Lay the new board out here, then show it: the front end gets its widgets in one
        # stream and draws them in one pass. Left to the ticker thread, the layout (some 25
        # widget messages) waited for the GIL behind a training loop that holds it: up to
        # hundreds of ms under load (benchmarks/bench_first_point.py). Its first point
        # follows from here too, at series_started.
        try:
            self.ticker.visit(board.tick_here)
        finally:  # shown and handed to the ticker whatever happened in the layout
            board.feed = feed_for(self.runtime, exe)
            parent = self._parents.get(exe.id)
            live = self._display(board.mimebundle(), parent)
            static = self._display(board.static_mimebundle(), parent)
            self._handles[exe.id] = (live, static)
            self.ticker.add(board)

    def series_started(self, series: Series) -> None:
        board = self.boards.get(series.execution.id)
        if board is not None and not board.drawn:
            self.ticker.visit(board.tick_here)  # the board's first point: at once, from this thread
        if board is None or not board.drawn:  # the ticker thread was visiting it, or its budget was spent
            self.ticker.wake()

    def execution_ended(self, execution: Execution) -> None:
        self._parents.pop(execution.id, None)
        board = self.boards.pop(execution.id, None)
        if board is None:
            return
        board.finish()
        handles = self._handles.pop(execution.id, None)
        if handles is not None:
            live, static = handles
            if not board.broken and board.box.comm is not None:  # not closed from the kernel side
                self._update(board.mimebundle(), live)
            self._update(board.static_mimebundle(), static)

    def flush(self) -> None:
        for board in list(self.boards.values()):
            board.tick(1 << 30, final=True)


def make_sink(runtime: Runtime) -> BoardSink | None:
    """The board sink when a notebook front end can show widgets, else None."""
    enabled = config.display_enabled()
    if enabled is False:
        return None
    shell = kernel_shell()
    if shell is None:
        return None
    return BoardSink(
        runtime, display=show_bundle, update=update_bundle, capture_parent=lambda: parent_header(shell)
    )
