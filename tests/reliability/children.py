"""A helper subprocess whose output is read as it comes, so that a test waits for its lines
(events), never for a guessed time, and a failure shows everything the child said.

The child runs with ``PYTHONFAULTHANDLER=1``: one that does not exit when told is sent
SIGABRT, and the stacks of all its threads land in its stderr, in the assertion message.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time

from .conftest import child_env

STUCK = 120.0
"""How long a child may take to print an awaited line or to exit before it is called stuck:
a deadlock detector, never a measure (a loaded machine may take seconds to start Python)."""


class Child:
    """A running helper process; ``lines`` fills as it prints (a line cut by a kill is dropped)."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(PYTHONFAULTHANDLER="1")
        )
        self.lines: list[str] = []
        self.arrived: list[float] = []
        """When each line came (time.monotonic())."""
        self._stderr: list[str] = []
        self._changed = threading.Condition()
        self._ended = False
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._drain_stderr, daemon=True),  # a full pipe would block the child
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                if not line.endswith("\n"):  # cut by a kill mid-line: never a confirmation
                    break
                with self._changed:
                    self.lines.append(line.strip())
                    self.arrived.append(time.monotonic())
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        self._stderr.extend(self.process.stderr)

    def first(self, word: str) -> int | None:
        """The index of the first line that starts with ``word``."""
        with self._changed:
            return next((i for i, line in enumerate(self.lines) if line.startswith(word)), None)

    def wait_for(self, word: str) -> bool:
        """Wait until a line starts with ``word`` (True), or stdout ends or the child is stuck (False)."""
        with self._changed:
            self._changed.wait_for(lambda: self._ended or self.first(word) is not None, STUCK)
        return self.first(word) is not None

    def stop(self, signum: int) -> bool:
        """Send ``signum`` and wait for the end; False (stacks dumped into stderr) when it did not end."""
        self.process.send_signal(signum)
        try:
            self.process.wait(STUCK)
            ended = True
        except subprocess.TimeoutExpired:
            ended = False
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(STUCK)
        for reader in self._readers:
            reader.join(STUCK)
        return ended

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def describe(self) -> str:
        with self._changed:
            lines = list(self.lines)
        return f"returncode {self.returncode}; {len(lines)} lines: {lines}; stderr: {self.stderr[-6000:]!r}"
