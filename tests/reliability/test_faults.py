"""Faults of the store and of the display while a loop records: the loop goes on, one warning
each, and nothing that ``flush()`` confirmed is lost.

Each scenario records with the real clock, the store's background writer running
(every 50 ms) and, for display faults, the board's ticker thread running, so the
fault hits the threads where it would in a notebook.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ipywidgets
import numpy as np
import pytest

import cellflux as cf

from .harness import Rig, integrity, static_documents
from .ledger import Ledger
from .parking import Parking

KEYS = ("loss", "acc", "lr")


@contextlib.contextmanager
def thread_errors() -> Iterator[list[str]]:
    """Exceptions that escape any thread (they would print a traceback into the cell)."""
    errors: list[str] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: errors.append(f"{args.thread.name if args.thread else '?'}: {args.exc_value!r}")
    try:
        yield errors
    finally:
        threading.excepthook = previous


def stored_points(path: Path) -> int:
    """Points in the store file; 0 when there is no store there (yet)."""
    if not path.is_file():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            return int(conn.execute("SELECT coalesce(sum(length(x)), 0) / 8 FROM points").fetchone()[0])
    except sqlite3.DatabaseError:
        return 0


class Loop:
    """A training loop: three unthrottled metrics with explicit x, and the points flush() confirmed."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.metrics = [cf.Metric(key, group="train", throttle=None) for key in KEYS]
        self.n = 0
        self.confirmed = 0
        self.longest = 0.0
        """Longest time one record() call took."""

    def steps(self, count: int) -> None:
        for _ in range(count):
            i = self.n
            for metric in self.metrics:
                start = time.perf_counter()
                metric.record(float(i), at=i)
                self.longest = max(self.longest, time.perf_counter() - start)
            self.n += 1

    def run_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.steps(200)
            time.sleep(0.002)  # a step of real work: lets the writer and ticker threads run

    def flush_confirmed(self) -> None:
        cf.flush()
        self.confirmed = self.n

    def check_everything_stored(self, exe: cf.Execution) -> None:
        metrics, stored = self.rig.stored(exe.id)
        for key in KEYS:
            x, y = stored[key]
            assert x.tolist() == list(range(self.n)), f"{key}: {len(x)} points stored of {self.n}"
            assert np.array_equal(x, y)
        assert self.rig.stored_execution(exe.id).status == "succeeded"


def _store_fault(
    tmp_path: Path,
    path: Path,
    inject: Callable[[Rig], None],
    repair: Callable[[Rig], None],
    match: str,
    *,
    healthy_start: bool = True,
) -> dict[str, Any]:
    """Record through a store fault; return what happened, asserting the rules on the way."""
    rig = Rig(path, clock=time.monotonic, board=False, interval=0.05, timeout=0.3)
    parking = Parking()
    store: Any = rig.store_sink.store  # type: ignore[union-attr]
    write = store.write

    def failing_write(batch: Any) -> None:
        try:
            write(batch)
        except Exception:
            parking.hit()  # the writer thread is held here, its write lock taken
            raise

    store.write = failing_write
    out: dict[str, Any] = {}
    with rig.installed(), warnings.catch_warnings(record=True) as caught, thread_errors() as errors:
        warnings.simplefilter("always")
        loop = Loop(rig)

        @cf.task("faulty")
        def run() -> cf.Execution:
            exe = cf.current_execution()
            if healthy_start:
                loop.steps(1000)
                loop.flush_confirmed()
                assert stored_points(path) == 3 * loop.confirmed
            inject(rig)
            parking.record_past(loop.steps, 5000)
            loop.run_for(0.6)
            cf.flush()  # returns, though the store cannot be written
            loop.run_for(0.2)
            cf.flush()
            out["during"] = stored_points(path)
            out["warnings_during"] = [str(w.message) for w in caught]
            repair(rig)
            loop.steps(500)
            loop.flush_confirmed()
            return exe

        exe = run()
        cf.flush()
        loop.check_everything_stored(exe)
        store_warnings = [str(w.message) for w in caught if issubclass(w.category, cf.CellfluxWarning)]
    assert errors == []
    assert len(store_warnings) == 1, store_warnings
    assert str(path) in store_warnings[0] and match in store_warnings[0], store_warnings[0]
    assert out["during"] <= 3 * (loop.n - 500)
    assert integrity(path) == "ok"
    out.update(points=3 * loop.n, confirmed_before=3 * 1000 if healthy_start else 0, longest=loop.longest)
    return out


def _row_text(out: dict[str, Any]) -> tuple[str, str]:
    return (
        f"{out['points']} points, writer every 50 ms through the fault; 5000 steps recorded while it was "
        "held in a failing write",
        f"0 (of {out['confirmed_before']} confirmed before the fault; all {out['points']} stored after repair); "
        f"1 warning; longest record() {out['longest'] * 1e3:.1f} ms",
    )


def _unwritable(directory: Path) -> Callable[[Rig], None]:
    """Make ``directory`` impossible to create; return the repair. Root ignores modes:
    then a file stands where the directory should be."""
    directory.mkdir()
    directory.chmod(0o555)
    try:
        (directory / "probe").touch()
    except PermissionError:
        return lambda rig: directory.chmod(0o755)
    directory.chmod(0o755)
    shutil.rmtree(directory)
    directory.write_text("not a directory")

    def repair(rig: Rig) -> None:
        directory.unlink()
        directory.mkdir()

    return repair


def test_read_only_directory(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(2, "store in a read-only directory (cannot be created), repaired mid-run")
    path = tmp_path / "ro" / ".cellflux" / "metrics.sqlite"
    repair = _unwritable(tmp_path / "ro")
    out = _store_fault(tmp_path, path, lambda rig: None, repair, "cannot write the store", healthy_start=False)
    assert out["during"] == 0
    ledger.done(row, *_row_text(out))


def test_disk_full(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(2, "disk full (SQLite max_page_count) mid-run, then space freed")
    path = tmp_path / "full" / "metrics.sqlite"

    def fill(rig: Rig) -> None:
        store: Any = rig.store_sink.store  # type: ignore[union-attr]
        with store._lock:
            pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
            store._conn.execute(f"PRAGMA max_page_count = {pages}")

    def free(rig: Rig) -> None:
        store: Any = rig.store_sink.store  # type: ignore[union-attr]
        with store._lock:
            store._conn.execute("PRAGMA max_page_count = 1073741823")

    out = _store_fault(tmp_path, path, fill, free, "full")
    assert out["during"] <= 3000 + 3 * 1000  # at most what fitted in the last free pages
    ledger.done(row, *_row_text(out))


def test_locked_by_another_connection(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(2, "store locked by another connection (BEGIN EXCLUSIVE) past the 0.3 s timeout")
    path = tmp_path / "locked" / "metrics.sqlite"
    blockers: list[sqlite3.Connection] = []

    def lock(rig: Rig) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        blockers.append(conn)

    def unlock(rig: Rig) -> None:
        blockers[0].execute("ROLLBACK")
        blockers[0].close()

    out = _store_fault(tmp_path, path, lock, unlock, "locked by another process")
    assert out["during"] == 3000
    ledger.done(row, *_row_text(out))


@pytest.mark.parametrize("content", ["garbage", "foreign"])
def test_corrupt_store_file(tmp_path: Path, ledger: Ledger, content: str) -> None:
    what = "bytes that are not SQLite" if content == "garbage" else "an SQLite database of another program"
    row = ledger.scenario(2, f"corrupt store file ({what}), moved away mid-run")
    path = tmp_path / "corrupt" / "metrics.sqlite"
    path.parent.mkdir()
    if content == "garbage":
        path.write_bytes(b"\x00garbage\xff" * 4096)
        match = "not a cellflux store"
    else:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("CREATE TABLE points (id INTEGER, payload TEXT)")
            conn.execute("INSERT INTO points VALUES (1, 'theirs')")
            conn.commit()
        match = "not a cellflux store"
    original = path.read_bytes()

    def move_away(rig: Rig) -> None:
        path.rename(path.with_suffix(".bad"))

    out = _store_fault(tmp_path, path, lambda rig: None, move_away, match, healthy_start=False)
    assert path.with_suffix(".bad").read_bytes() == original, "the foreign file was modified"
    ledger.done(row, f"{out['points']} points", f"0 of {out['points']}; the bad file left untouched; 1 warning")


# -- the display ---------------------------------------------------------------------------------


def _display_fault(
    tmp_path: Path, inject: Callable[[Rig, Any], None], parking: Parking | None = None
) -> dict[str, Any]:
    rig = Rig(tmp_path / "display" / "metrics.sqlite", clock=time.monotonic, ticker_thread=True, interval=0.05)
    if parking is not None:
        rig.wire.on_fail = parking.hit  # the ticker thread is held in its failing update, board locked
    out: dict[str, Any] = {}
    with rig.installed(), warnings.catch_warnings(record=True) as caught, thread_errors() as errors:
        warnings.simplefilter("always")
        loop = Loop(rig)

        @cf.task("displayed")
        def run() -> cf.Execution:
            exe = cf.current_execution()
            loop.run_for(0.5)
            loop.flush_confirmed()
            board = rig.boards[exe.id]
            assert board.charts, "the board shows nothing before the fault"
            inject(rig, board)
            if parking is not None:
                parking.record_past(loop.steps, 5000)
            loop.run_for(0.5)
            cf.Metric("late", group="other", throttle=None).record(1.0)  # the board must grow
            loop.run_for(0.3)
            loop.flush_confirmed()
            return exe

        exe = run()
        shown_before = len(rig.screen.shown)

        @cf.task("next")
        def later() -> None:
            cf.Metric("after", throttle=None).record(2.0)

        later()
        cf.flush()
        loop.check_everything_stored(exe)
        board_warnings = [str(w.message) for w in caught if issubclass(w.category, cf.CellfluxWarning)]
        out["next_board"] = len(rig.screen.shown) > shown_before
        static = [b for h, b in rig.screen.updated if h == 1]
        out["static"] = bool(static) and any(
            'class="cellflux-chart"' in doc for doc in static_documents(static[-1]["text/html"])
        )
    out.update(warnings=board_warnings, errors=errors, points=3 * loop.n, longest=loop.longest)
    return out


def _display_row(out: dict[str, Any]) -> str:
    return (
        f"0 of {out['points']} points; {len(out['warnings'])} warning; final static board still written; "
        "the next run gets a board"
    )


def test_widget_update_raises(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(2, "a widget update raises (broken comm transport) while the ticker thread pushes")

    def break_marks(rig: Rig, board: Any) -> None:
        for chart in board.charts:
            for line in chart.lines.values():
                rig.wire.fail_on.add(line.mark.comm.comm_id)

    out = _display_fault(tmp_path, break_marks, Parking())
    assert out["errors"] == [], "an exception escaped a thread (a traceback in the cell)"
    assert len(out["warnings"]) == 1 and "stopped updating" in out["warnings"][0], out["warnings"]
    assert out["static"] and out["next_board"]
    ledger.done(
        row,
        f"{out['points']} points, ticker at 10 Hz, 5000 steps recorded while it was held in a failing update",
        _display_row(out) + f"; longest record() {out['longest'] * 1e3:.1f} ms",
    )


def test_comm_closed_mid_run(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(2, "widget comms closed from the kernel mid-run (Widget.close_all()) while the board ticks")
    out = _display_fault(tmp_path, lambda rig, board: ipywidgets.Widget.close_all())
    assert out["errors"] == []
    assert len(out["warnings"]) == 1 and "closed" in out["warnings"][0], out["warnings"]
    assert out["static"] and out["next_board"]
    ledger.done(row, f"{out['points']} points, ticker at 10 Hz", _display_row(out))


def test_comm_closed_by_the_front_end(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(2, "comms closed by the front end mid-run (output cleared): updates go nowhere")

    def front_end_closes(rig: Rig, board: Any) -> None:
        for widget in [board.box, *(c.figure for c in board.charts)]:
            widget.comm.handle_close({"content": {"comm_id": widget.comm.comm_id, "data": {}}})
            widget.comm._closed = True

    out = _display_fault(tmp_path, front_end_closes)
    assert out["errors"] == [] and out["warnings"] == []
    assert out["static"] and out["next_board"]
    ledger.done(row, f"{out['points']} points", f"0 of {out['points']} points; no warning needed (nothing failed)")
