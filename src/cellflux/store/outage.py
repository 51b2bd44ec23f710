"""What the store's writer says while the store cannot be written, once per outage.

An outage starts at the first failed batch (one warning, with the cause) and
ends at the first batch committed after it; meanwhile the writer retries less
often (up to every ``MAX_PAUSE`` s), ``flush()`` stops waiting once it has
waited in vain, and points dropped at the backlog's bound are warned about
once when it happens, and counted again when the store is back.
"""

from __future__ import annotations

from ..warn import warn
from . import schema

MAX_PAUSE = 2.0
SERVER_FLUSH_WAIT = 5.0
"""How long ``flush()`` keeps trying a server store that does not answer (a restart takes ~1 s)."""


class Outage:
    """The writer's fault state for one store (``where`` as it may be shown)."""

    def __init__(self, where: str, bound: int | None, timeout: object) -> None:
        self.where = where
        self.bound = bound
        self.timeout = timeout
        self.failing = False
        self.failures = 0
        """Failed attempts in a row: the writer waits longer after each."""
        self.problem: str | None = None
        """The last failure's cause, for ``flush()``'s report."""
        self.gave_up = False
        """A flush waited in vain during this outage: the next ones try once and return."""
        self._dropped_before = 0
        self._warned_drops = False

    def pause(self, interval: float) -> float:
        """How long the writer waits before its next attempt."""
        return float(min(interval * (2 ** min(self.failures, 10)), max(MAX_PAUSE, interval)))

    def fault(self, error: Exception, dropped: int) -> None:
        """A batch failed; ``dropped`` is the sink's count of dropped points so far."""
        self.failures += 1
        if schema.is_busy(error):
            cause = f"it is locked by another process for more than {self.timeout} s"
        else:
            cause = getattr(error, "reason", None) or f"{type(error).__name__}: {error}"
        self.problem = cause
        if self.failing:
            return
        self.failing, self._dropped_before = True, dropped
        kept = "kept in memory" if self.bound is None else f"kept (up to {self.bound:,} points)"
        warn(f"cellflux: cannot write the store {self.where} ({cause}); points are {kept} and written "
             "when the store can be written again", 3)

    def dropped(self, dropped: int) -> None:
        """The backlog's bound dropped points (``dropped``: the sink's count so far)."""
        if self._warned_drops:
            return
        self._warned_drops = True
        warn(f"cellflux: the store {self.where} is still unreachable and {self.bound:,} points wait for it: "
             f"the oldest {dropped - self._dropped_before:,} points not yet stored were dropped (more may "
             "follow; flush() reports the count)", 3)

    def recovered(self, dropped: int) -> None:
        """A batch committed: the outage, if any, is over."""
        if self._warned_drops:
            warn(f"cellflux: the store {self.where} is written again; {dropped - self._dropped_before:,} points "
                 "were dropped while it could not be", 3)
        self.failing, self.failures, self.problem, self.gave_up, self._warned_drops = False, 0, None, False, False
