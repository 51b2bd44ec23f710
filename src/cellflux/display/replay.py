"""``cf.show()`` and ``cf.watch()``: boards for stored executions.

``show`` draws a finished (or running) execution from the store, the same board
as the live one, after a kernel restart too, and overlays several executions on
shared charts. ``watch`` follows an execution that another process is writing:
new points are read by row id, never re-reading a series, when the store says
a batch committed (a PostgreSQL server notifies) or on its polling period (a
SQLite file: every half second), and the board finishes when the execution ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..definitions import MetricScale
from ..execution import Execution
from ..series import Series
from ..store.read import StoredExecution, StoreLike, open_store, stored_execution
from ..store.records import Floats
from .board import Board
from .kernel_output import kernel_shell, show_bundle, update_bundle
from .layout import PALETTE
from .ranks import colour_of, is_distributed, members, shared_scale, tagged
from .saved_board import static_bundle
from .ticker import Ticker

POLL = 0.5
MIN_GAP = 0.1


class _Stored:
    """What a board reads of an execution, for one read from a store."""

    def __init__(self, execution: StoredExecution, name: str | None = None) -> None:
        self.source = execution
        self.id = execution.id
        self.name = name or execution.name
        self.status = execution.status
        self.started_at = execution.started_at
        self.ended_at = execution.ended_at
        self.t0 = execution.started_at  # boards of stored runs tick on the wall clock
        self.params = execution.params

    def refresh(self) -> None:
        fresh = self.source.refresh()
        self.source = fresh
        self.status, self.ended_at, self.params = fresh.status, fresh.ended_at, fresh.params


def _resolve(target: Any, store: StoreLike) -> Execution | StoredExecution:
    if isinstance(target, (Execution, StoredExecution)):
        return target
    if isinstance(target, str):
        return stored_execution(target, store)
    raise TypeError(f"show(): expected an execution or an execution id, got {type(target).__name__}")


def _series_of(execution: StoredExecution, view: Any, rename: Callable[[str], str] = str) -> dict[str, Series]:
    out: dict[str, Series] = {}
    for key, definition in execution.metrics.items():
        # Overlaid runs (and ranks) share one y-axis per metric key.
        scale = definition.scale if rename is str else shared_scale(key, definition.scale)
        series = Series(rename(key), view, definition.group, scale)
        series.x_auto, series.state = definition.x_auto, definition.state
        xs, ys = execution.series(key)
        series.extend(xs, ys)
        out[series.key] = series
    return out


def board_for(targets: Sequence[Any], store: StoreLike = None) -> Board:
    """A finished board for one execution, or several overlaid (one colour per run)."""
    resolved = [_resolve(t, store) for t in targets]
    if len(resolved) == 1 and isinstance(resolved[0], StoredExecution) and is_distributed(resolved[0]):
        view = _Stored(resolved[0])
        colours: dict[str, str] = {}
        board = Board(view, time.time, colours=colours)
        for member, tag in members(resolved[0]):

            def tag_key(key: str, tag: str | None = tag) -> str:
                return tagged(key, tag)

            for key, series in _series_of(member, view, tag_key).items():
                colour_of(member.record, colours, key)
                board.add_series(series)
        return board
    if len(resolved) == 1:
        exe = resolved[0]
        if isinstance(exe, Execution):
            board = Board(exe, exe.runtime.clock)
            for series in exe.buffers.values():
                board.add_series(series)
        else:
            view = _Stored(exe)
            board = Board(view, time.time)
            for series in _series_of(exe, view).values():
                board.add_series(series)
    else:
        stored = [e if isinstance(e, StoredExecution) else stored_execution(e.id, store) for e in resolved]
        names = ", ".join(e.name for e in stored)
        view = _Stored(stored[0], name=f"{len(stored)} runs: {names}")
        view.status = "succeeded" if all(e.status == "succeeded" for e in stored) else "mixed"
        view.params = {}  # each run has its own: the overlay shows none rather than the first run's
        colours = {}
        board = Board(view, None, colours=colours)
        for i, exe in enumerate(stored):
            label = f"{exe.name} {exe.id[:6]}"

            def rename(key: str, label: str = label) -> str:
                return f"{key} · {label}"

            for key, series in _series_of(exe, view, rename).items():
                colours[key] = PALETTE[i % len(PALETTE)]
                board.add_series(series)
    return board


def show(target: Any, store: StoreLike = None) -> None:
    """Draw the board of an execution (an id, a stored or a live one), or overlay a list.

    >>> # cf.show(cf.executions(name="train")[0]);  cf.show(cf.executions(limit=3))
    """
    targets = list(target) if isinstance(target, (list, tuple)) else [target]
    if not targets:
        raise ValueError("show(): no execution given")
    board = board_for(targets, store)
    board.finish()
    bundle = board.mimebundle() if _has_front_end() else {}
    statics = static_bundle(board.execution, board.series)
    _display_outputs([bundle, statics] if bundle else [statics])


def watch(
    target: Any = None,
    *,
    store: StoreLike = None,
    name: str | None = None,
    interval: float | None = None,
    display: Callable[[dict[str, Any], Any], Any] | None = None,
    update: Callable[[dict[str, Any], Any], None] | None = None,
    ticker: Ticker | None = None,
) -> Watcher:
    """Follow an execution that another process writes into the store, live.

    ``target`` is an execution id or a stored execution; by default the newest
    running execution (named ``name``, if given). ``interval`` is how often it
    reads when nothing wakes it (None: the store's period). Returns the :class:`Watcher`.
    """
    db = open_store(store)
    if target is None:
        running = [r for r in db.list_executions(name=name) if r.status == "running"]
        if not running:
            raise LookupError(f"watch(): no running execution{f' named {name!r}' if name else ''} in {db!r}")
        target = running[0].id
    exe = target if isinstance(target, StoredExecution) else stored_execution(str(target), db)
    watcher = Watcher(exe, display or show_bundle, update or update_bundle, ticker or Ticker(), interval)
    watcher.start()
    return watcher


class Watcher:
    """Reads one execution from the store as it is written and feeds its board.

    A distributed run is watched with its parts (every rank, tagged by host and
    rank), and its board ends once every rank it knows of has ended.
    """

    def __init__(
        self,
        execution: StoredExecution,
        display: Callable[[dict[str, Any], Any], Any],
        update: Callable[[dict[str, Any], Any], None],
        ticker: Ticker,
        interval: float | None = None,
    ) -> None:
        self.view = _Stored(execution)
        self.store = execution.store
        self._display, self._update, self.ticker = display, update, ticker
        self.interval = interval if interval is not None else getattr(self.store, "poll_interval", POLL)
        self.changes = self.store.changes([execution.id])
        self.colours: dict[str, str] = {}
        self.board = Board(self.view, time.time, colours=self.colours)
        self.series: dict[str, Series] = {}
        self.cursors: dict[str, int] = {execution.id: 0}
        self._unplaced: dict[str, list[tuple[Floats, Floats]]] = {}
        """Points read before their metric's definition was: kept until its series exists."""
        self.done = threading.Event()
        self._handles: tuple[Any, Any] | None = None
        self._thread: threading.Thread | None = None

    def start(self, thread: bool = True) -> None:
        self.poll()
        self._handles = (
            self._display(self.board.mimebundle(), None),
            self._display(self.board.static_mimebundle(), None),
        )
        self.ticker.add(self.board)
        if thread:
            self._thread = threading.Thread(target=self._run, name="cellflux-watch", daemon=True)
            self._thread.start()

    @property
    def cursor(self) -> int:
        return self.cursors[self.view.id]

    def poll(self) -> bool:
        """Read what is new; returns False once the execution (and every rank of it) has ended."""
        members, running = self._refresh()
        for member, tag in members:
            batch = self.store.read_points(member.id, after=self.cursors[member.id])
            self.cursors[member.id] = batch.cursor
            for key, (xs, ys) in batch.series.items():
                self._unplaced.setdefault(tagged(key, tag), []).append((xs, ys))
        if any(name not in self.series for name in self._unplaced):
            # A batch that committed after the refresh above brought a metric's first
            # points (a metric commits with them): read the definitions again, now
            # that its points are read, so that none are dropped for want of a series.
            _, running = self._refresh()
        for name in [name for name in self._unplaced if name in self.series]:
            for xs, ys in self._unplaced.pop(name):
                self.series[name].extend(xs, ys)
        return running

    def _refresh(self) -> tuple[list[tuple[StoredExecution, str | None]], bool]:
        """Read the execution's ranks and metric definitions again; a series for each new metric."""
        self.view.refresh()
        running = False
        found = members(self.view.source)
        for member, tag in found:
            if member.id not in self.cursors:  # a rank that started since
                self.cursors[member.id] = 0
                self.changes.follow(member.id)
            running = running or member.status == "running"
            for key, definition in member.metrics.items():
                name = tagged(key, tag)
                series = self.series.get(name)
                if series is None:
                    scale = definition.scale if tag is None else shared_scale(key, definition.scale)
                    series = Series(name, self.view, definition.group, scale)
                    self.series[name] = series
                    if tag is not None:
                        colour_of(member.record, self.colours, name)
                    self.board.add_series(series)
                series.x_auto, series.state = definition.x_auto, definition.state
        return found, running

    def _run(self) -> None:
        while self.poll():
            # At most ten reads a second however often writers commit (each rank
            # of a job commits five times a second), then until woken or the period.
            if self.done.wait(MIN_GAP):
                return
            self.changes.wait(self.interval)
            if self.done.is_set():
                return
        self.finish()

    def finish(self) -> None:
        self.board.finish()
        if self._handles is not None:
            live, static = self._handles
            self._update(self.board.mimebundle(), live)
            self._update(self.board.static_mimebundle(), static)
        self.done.set()
        self.changes.close()

    def stop(self) -> None:
        self.done.set()
        self.changes.close()


def _has_front_end() -> bool:
    return kernel_shell() is not None


def _display_outputs(bundles: Iterable[dict[str, Any]]) -> None:
    if _has_front_end():
        for bundle in bundles:
            show_bundle(bundle, None)
    else:
        for bundle in bundles:
            text = bundle.get("text/plain")
            if text:
                print(text)
