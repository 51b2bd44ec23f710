"""Waiting for new data in a store that cannot notify: wake every ``interval`` seconds."""

from __future__ import annotations

import threading


class PolledChanges:
    """``Changes`` for a store read by polling: ``wait()`` sleeps ``interval`` and says "maybe"."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._woken = threading.Event()

    def follow(self, execution_id: str) -> None:
        """Every execution is polled alike."""

    def wait(self, timeout: float) -> bool:
        """True after ``interval`` (or ``timeout`` if shorter: then False), or at once when woken."""
        if timeout <= 0:
            return False
        woken = self._woken.wait(min(timeout, self.interval))
        self._woken.clear()
        return woken or timeout >= self.interval

    def wake(self) -> None:
        self._woken.set()

    def close(self) -> None:
        self._woken.set()
