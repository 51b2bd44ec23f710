"""``LISTEN``/``NOTIFY``: watchers wake when a batch of their execution commits.

One listener per server and process: a thread with its own connection that
LISTENs on the channel and hands each payload (an execution id) to the
subscriptions following it. If the connection drops, the listener reconnects
with a growing pause; meanwhile a subscription's ``wait()`` simply times out,
and watchers read on their polling period, so nothing is missed, only later.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Collection
from typing import Any

from .. import forking
from .connect import Server

RECONNECT_MAX = 5.0


class NotifiedChanges:
    """A subscription: the executions followed, and an event set when one of them has news."""

    def __init__(self, listener: Listener, ids: Collection[str], interval: float, ignore: str | None) -> None:
        self.listener = listener
        self.ids = set(ids)
        self.ignore = ignore
        """An origin (``pid@host``) whose commits do not wake this subscription: its own process."""
        self.interval = interval
        self.event = threading.Event()
        self.notified = 0
        """Notifications received for the followed executions (the latency benchmark reads it)."""

    def follow(self, execution_id: str) -> None:
        with self.listener.lock:
            self.ids.add(execution_id)

    def wait(self, timeout: float) -> bool:
        """True as soon as a followed execution has a commit (or ``wake()``); False after ``timeout``."""
        if timeout <= 0:
            woken = self.event.is_set()
        else:
            woken = self.event.wait(min(timeout, self.interval))
        self.event.clear()
        return woken

    def wake(self) -> None:
        self.event.set()

    def close(self) -> None:
        self.listener.unsubscribe(self)
        self.event.set()


class Listener:
    """The LISTEN connection of one server in this process, and its subscriptions."""

    def __init__(self, server: Server, channel: str) -> None:
        self.server = server
        self.channel = channel
        self.lock = threading.Lock()
        self.subscriptions: weakref.WeakSet[NotifiedChanges] = weakref.WeakSet()
        self.listening = threading.Event()
        """Set while the connection listens (tests wait for it before they write)."""
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self._pid = os.getpid()

    def subscribe(self, ids: Collection[str], interval: float, ignore: str | None = None) -> NotifiedChanges:
        subscription = NotifiedChanges(self, ids, interval, ignore)
        with self.lock:
            self.subscriptions.add(subscription)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cellflux-listen", daemon=True)
                self._thread.start()
        return subscription

    def unsubscribe(self, subscription: NotifiedChanges) -> None:
        with self.lock:
            self.subscriptions.discard(subscription)

    def _run(self) -> None:
        pause = 0.1
        while True:
            with self.lock:
                if not self.subscriptions:  # checked under the lock that subscribe() takes
                    self._thread = None
                    return
            try:
                conn = self.server.connect(autocommit=True)
            except Exception:
                threading.Event().wait(pause)
                pause = min(pause * 2, RECONNECT_MAX)
                continue
            self._conn = conn
            try:
                conn.execute("LISTEN cellflux")
                pause = 0.1
                # Everything may have changed while no connection listened.
                self._dispatch(None)
                self.listening.set()
                while self.subscriptions and self._pid == os.getpid():
                    for note in conn.notifies(timeout=1.0):
                        self._dispatch(note.payload)
            except Exception:
                pass  # the connection died: listen again on a new one, after a pause
            finally:
                self.listening.clear()
                self._conn = None
                if self._pid == os.getpid():
                    try:
                        conn.close()
                    except Exception:
                        pass  # it is broken already
            threading.Event().wait(pause)

    def _dispatch(self, payload: str | None) -> None:
        execution_id, _, origin = (payload or "").partition(" ")
        with self.lock:
            for subscription in list(self.subscriptions):
                if payload is None or (execution_id in subscription.ids and origin != subscription.ignore):
                    subscription.notified += 1
                    subscription.event.set()


_listeners: dict[tuple[str, str], Listener] = {}
_registry_lock = threading.Lock()


def listener_for(server: Server, locator: str, channel: str) -> Listener:
    """This process's listener of the server at ``locator`` (made on first use)."""
    with _registry_lock:
        found = _listeners.get((locator, channel))
        if found is None:
            found = _listeners[(locator, channel)] = Listener(server, channel)
        return found


class _ForkGuard:
    def _after_fork_child(self) -> None:
        global _registry_lock
        # The listeners' threads did not survive the fork and their connections
        # are the parent's: the child starts afresh.
        _listeners.clear()
        _registry_lock = threading.Lock()


_guard = _ForkGuard()
forking.register(_guard)
