"""A fault that holds the background thread it strikes until the training loop has recorded on.

That is how the fault tests show, without a clock, that ``record()`` never waits for the
store writer or the board's ticker: with one of them held inside a failing write or widget
update, the loop records thousands of points more. Had a ``record()`` waited for it, the
loop would stall until ``STUCK`` let the thread go, and the test fails saying so. A timed
bound ("no record() took over 250 ms") would say the same on an idle machine and fail
on a loaded one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .children import STUCK


class Parking:
    """Call :meth:`hit` where the fault strikes; :meth:`record_past` drives the loop."""

    def __init__(self) -> None:
        self.loop = threading.current_thread()
        """The training loop's thread (the test's)."""
        self.recording = False
        """True while the loop is inside record() calls (``recording_steps``)."""
        self.armed = False
        self.parked = threading.Event()
        self.release = threading.Event()
        self.held_too_long = False
        self.hits_in_record = 0
        """Faults the loop's own thread ran into inside record(): it touched the failing part."""

    def hit(self) -> None:
        if threading.current_thread() is self.loop:
            self.hits_in_record += self.recording  # a flush() may meet the fault: it is meant to wait
            return
        if self.armed and not self.parked.is_set():
            self.parked.set()
            self.held_too_long = not self.release.wait(STUCK)

    def record_past(self, steps: Callable[[int], None], count: int) -> None:
        """Record until a background thread is held in the fault, then ``count`` steps more."""
        self.armed = True
        deadline = time.monotonic() + STUCK  # a deadlock detector, not a measure
        try:
            while not self.parked.wait(0.002):  # the pause lets the writer and ticker threads run
                assert time.monotonic() < deadline, "no background thread met the fault"
                self._steps(steps, 200)
            self._steps(steps, count)
        finally:
            self.release.set()
        assert not self.held_too_long, "record() waited for the thread held in the fault"
        assert self.hits_in_record == 0, "record() ran into the fault itself (it did the thread's work)"

    def _steps(self, steps: Callable[[int], None], count: int) -> None:
        self.recording = True
        try:
            steps(count)
        finally:
            self.recording = False
