"""Progress as one self-updating text line on a terminal, where no widget front end runs.

In an IPython terminal or a script whose stderr is a TTY, the progress bars of
the running executions show as one line, rewritten in place (carriage return)
at most ``1 / interval`` times a second by a timer thread::

    epoch 3/10 30% · 00:12<00:28 · 4.0 s/it | batch 37/100 37% · 00:01<00:02 · 37.0 it/s

When every bar on the line has finished (its loop ended, or its execution),
the final line stays, ended by a newline, and a later loop starts a new line. Into a stream that is not a TTY (a log file, nbclient, a kernel's
captured stderr) nothing is written: :func:`make_text_sink` returns None.

The formatting helpers here are shared with the static snapshot and follow the
widget's (``js/src/progress.js``), so the three read alike.
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

import numpy as np

if TYPE_CHECKING:
    from ..execution import Execution
    from ..runtime import Runtime
    from ..series import Series

__all__ = [
    "ProgressTally",
    "TextProgress",
    "format_bar",
    "format_count",
    "format_rate",
    "format_time",
    "make_text_sink",
    "printable",
    "progress_numbers",
]

INTERVAL = 0.1
"""Seconds between redraws: at most 10 updates a second."""
_SEPARATOR = " | "


# -- formatting, shared with the static snapshot -------------------------------------------


def format_time(seconds: float | None) -> str:
    """``mm:ss``, or ``h:mm:ss`` from one hour on; ``?`` when unknown.

    >>> format_time(75.9), format_time(3725), format_time(None)
    ('01:15', '1:02:05', '?')
    """
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "?"
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def _amount(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.1f}M"
    if x >= 1e4:
        return f"{x / 1e3:.1f}k"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.1f}"


def format_rate(rate: float | None) -> str:
    """Items per second, or seconds per item when slower than one a second.

    >>> format_rate(3.14), format_rate(0.25), format_rate(None)
    ('3.1 it/s', '4.0 s/it', '? it/s')
    """
    if rate is None or not math.isfinite(rate) or rate < 0:
        return "? it/s"
    if 0 < rate < 1:
        return f"{_amount(1 / rate)} s/it"
    return f"{_amount(rate)} it/s"


def format_count(n: float | None) -> str:
    """An item count: whole numbers without a decimal point.

    >>> format_count(37.0), format_count(2.5), format_count(None)
    ('37', '2.5', '?')
    """
    if n is None or not math.isfinite(n):
        return "?"
    return str(int(n)) if float(n).is_integer() else f"{n:.4g}"


def format_bar(
    count: float, total: float | None, elapsed: float | None, rate: float | None, state: str
) -> str:
    """The text of a bar, e.g. ``37/100 37% · 00:12<00:20 · 3.1 it/s``.

    Without a total: ``37 · 00:12 · 3.1 it/s``. The ETA is shown while running;
    a bar that is not running ends with its state.

    >>> format_bar(37, 100, 12.0, 3.08, "running")
    '37/100 37% · 00:12<00:20 · 3.1 it/s'
    >>> format_bar(37, 100, 12.0, 3.08, "stopped")
    '37/100 37% · 00:12 · 3.1 it/s · stopped'
    """
    elapsed_text = format_time(elapsed)
    if total is None or not math.isfinite(total):
        text = f"{format_count(count)} · {elapsed_text} · {format_rate(rate)}"
    else:
        # count * 100 // total, not a rounded fraction: 29/100 reads 29%.
        percent = math.floor(count * 100 / total) if total > 0 else 100
        if state == "running":
            eta = max(0.0, total - count) / rate if rate else None
            elapsed_text = f"{elapsed_text}<{format_time(eta)}"
        text = f"{format_count(count)}/{format_count(total)} {percent}% · {elapsed_text} · {format_rate(rate)}"
    return text if state == "running" else f"{text} · {state}"


@dataclass
class ProgressTally:
    """What a bar shows, folded from a progress series' points as they arrive."""

    count: float = 0.0
    start: float | None = None
    """x of the latest reset to 0: where the current loop started."""
    last: float | None = None
    """x of the latest point."""
    points: int = 0

    def add(self, xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any]) -> None:
        if xs.size == 0:
            return
        if self.start is None:
            self.start = float(xs[0])
        zeros = np.flatnonzero(ys == 0)
        if zeros.size:
            self.start = float(xs[zeros[-1]])
        finite = np.flatnonzero(np.isfinite(ys))
        if finite.size:
            self.count = float(ys[finite[-1]])
        self.last = float(xs[-1])
        self.points += xs.size


def progress_numbers(
    tally: ProgressTally, total: float | None, state: str | None, now_x: float | None = None
) -> tuple[float, float | None, float | None, float | None]:
    """``(count, total, elapsed, rate)`` of a bar; ``now_x`` is the current x while running."""
    end = now_x if state == "running" and now_x is not None else tally.last
    elapsed = None
    if tally.start is not None and end is not None:
        elapsed = max(0.0, end - tally.start)
    rate = tally.count / elapsed if elapsed else None
    return tally.count, total, elapsed, rate


# -- the sink ------------------------------------------------------------------------------


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


def printable(text: str) -> str:
    """Control characters (newlines, escapes) shown escaped, so the line stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


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
