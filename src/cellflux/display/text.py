"""Progress as one self-updating text line on a terminal, where no widget front end runs.

In an IPython terminal or a script whose stderr is a TTY, the progress bars of
the running executions show as one line, rewritten in place (carriage return)
at most ``1 / interval`` times a second by a timer thread::

    epoch 3/10 30% · 00:12<00:28 · 4.0 s/it | batch 37/100 37% · 00:01<00:02 · 37.0 it/s

When every bar on the line has finished (its loop ended, or its execution),
the final line stays, ended by a newline, and a later loop starts a new line.
Into a stream that is not a TTY (a log file, nbclient, a kernel's captured
stderr) nothing is written: :func:`make_text_sink` returns None. Each bar reads
as in the widget and the static snapshot (``bar_text.py``).

Why our own line rather than tqdm or rich: see ``docs/decisions.md``.
"""

from __future__ import annotations

import contextvars
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from .bar_text import ProgressTally, format_bar, progress_numbers
from .escape import printable

if TYPE_CHECKING:
    from ..execution import Execution
    from ..runtime import Runtime
    from ..series import Series

__all__ = ["TextProgress", "make_text_sink"]

INTERVAL = 0.1
"""Seconds between redraws: at most 10 updates a second."""
_SEPARATOR = " | "


@dataclass
class _Tracked:
    series: Series
    execution: Any
    tally: ProgressTally
    cursor: int = 0


class TextProgress:
    """A sink drawing every running progress bar on one terminal line.

    ``clock`` must be the runtime's clock (auto x values are measured with it).
    With ``thread=False`` nothing redraws by itself: call :meth:`tick` (tests).
    """

    fork_safe = False

    def __init__(
        self,
        stream: TextIO,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = INTERVAL,
        thread: bool = True,
        width: int | None = None,
    ) -> None:
        self.stream = stream
        self.clock = clock
        self.interval = interval
        self.width = width
        self._tracked: list[_Tracked] = []
        """Bars on the current line."""
        self._finished: list[_Tracked] = []
        """Bars whose final line was ended; a key looped over again comes back."""
        self._lock = threading.RLock()
        self._shown = ""
        """The text of the line on screen, not yet ended by a newline."""
        self._last_write = -math.inf
        self._wake = threading.Event()
        self._stopping = False
        self._use_thread = thread
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"TextProgress({len(self._tracked)} bars)"

    # -- Sink ------------------------------------------------------------------------------

    def execution_started(self, execution: Execution) -> None:
        pass

    def series_created(self, series: Series) -> None:
        if series.scale is None or not series.scale.progress:
            return
        with self._lock:
            self._tracked.append(_Tracked(series, series.execution, ProgressTally()))
        self._start_thread()
        self._wake.set()

    def execution_ended(self, execution: Execution) -> None:
        with self._lock:
            self._finished = [t for t in self._finished if t.execution is not execution]
            mine = [t for t in self._tracked if t.execution is execution]
            if mine and len(mine) == len(self._tracked):
                self._draw(force=True)  # every bar is now finished: the line ends
            else:
                # Others still run (a child task ended): its bars leave at the next redraw.
                self._tracked = [t for t in self._tracked if t.execution is not execution]

    def series_finished(self, series: Series) -> None:
        """A progress loop ended: draw its final state now, before what the program prints next.

        Not part of the Sink protocol yet; without it the line ends at the next redraw.
        """
        with self._lock:
            if any(t.series is series for t in self._tracked):
                self._draw(force=True)

    def flush(self) -> None:
        self.tick()

    def close(self) -> None:
        """Stop the timer thread; end the line if one is on screen."""
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1)
        with self._lock:
            if self._shown:
                self._write("\n")
                self._shown = ""

    # -- drawing ---------------------------------------------------------------------------

    def tick(self) -> None:
        """Redraw the line if it changed and the last redraw is ``interval`` old."""
        with self._lock:
            self._draw(force=False)

    def line(self) -> str:
        """The text the line shows now."""
        with self._lock:
            return self._compose()

    def _compose(self) -> str:
        parts = []
        for t in self._tracked:
            xs, ys = t.series.read(t.cursor)
            t.cursor += xs.size
            t.tally.add(xs, ys)
            scale = t.series.scale
            total = scale.upper if scale is not None else None
            state = t.series.state or "running"
            t0 = getattr(t.execution, "t0", None)
            now_x = self.clock() - t0 if isinstance(t0, (int, float)) else None
            count, total, elapsed, rate = progress_numbers(t.tally, total, state, now_x)
            parts.append(f"{printable(t.series.key)} {format_bar(count, total, elapsed, rate, state)}")
        return _fit(_SEPARATOR.join(parts), self._columns() - 1)

    def _draw(self, *, force: bool) -> None:
        again = [t for t in self._finished if t.series.state == "running"]
        if again:
            self._finished = [t for t in self._finished if t not in again]
            self._tracked += again
        if not self._tracked:
            return
        now = self.clock()
        if not force and now - self._last_write < self.interval:
            return
        text = self._compose()
        if text != self._shown:
            pad = " " * max(0, len(self._shown) - len(text))
            self._write(f"\r{text}{pad}")
            self._shown = text
            self._last_write = now
        if all(t.series.state not in ("running", None) for t in self._tracked):
            # Every loop on the line is over: leave its final state on screen.
            self._write("\n")
            self._shown = ""
            self._finished += self._tracked
            self._tracked = []

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal: stop drawing, keep training
            self._tracked = []

    def _columns(self) -> int:
        if self.width is not None:
            return self.width
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        return columns if columns > 10 else 80

    # -- timer thread ----------------------------------------------------------------------

    def _start_thread(self) -> None:
        if not self._use_thread or self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cellflux-text-progress", daemon=True)
                # Started from an empty context: the first bar appears inside a task, and a
                # thread started there would be counted as running inside that task.
                contextvars.Context().run(self._thread.start)

    def _run(self) -> None:
        while not self._stopping:
            # Idle (no bar) until a progress series appears, else one redraw per interval.
            self._wake.wait(self.interval if self._tracked else None)
            self._wake.clear()
            if self._stopping:
                return
            self.tick()


def _fit(text: str, columns: int) -> str:
    return text if len(text) <= columns else text[: max(0, columns - 1)] + "…"


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


def make_text_sink(runtime: Runtime, stream: TextIO | None = None) -> TextProgress | None:
    """A :class:`TextProgress` on ``stream`` (stderr) if it is a TTY and display is on, else None."""
    from ..config import display_enabled

    if display_enabled() is False:
        return None
    target = sys.stderr if stream is None else stream
    if target is None or not _is_tty(target):
        return None
    return TextProgress(target, clock=runtime.clock)


make_sink = make_text_sink
"""The default-sink factory form, ``(runtime) -> Sink | None`` (see wiring.py)."""
