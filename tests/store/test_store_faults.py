"""A store that cannot be written warns once, keeps the points, and catches up.

The sinks here use a long writer interval so that only ``cf.flush()`` writes,
and warnings are raised in the test's own thread.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import cellflux as cf
from cellflux.store.sink import StoreSink

from .conftest import MakeRuntime, run_task


def _stored_points(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT coalesce(sum(length(x)), 0) / 8 FROM points").fetchone()[0])


@contextlib.contextmanager
def _no_store_warning() -> Iterator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    assert [str(w.message) for w in caught if "store" in str(w.message)] == []


def _failing_then_recovered(
    sink: StoreSink, store_path: Path, break_store: Callable[[], None], repair: Callable[[], None], match: str
) -> None:
    """Record through a fault: one warning, the loop goes on, everything lands after repair."""
    metric = cf.Metric("loss", throttle=None)
    flushed: list[int] = []

    def body() -> None:
        for i in range(1000):
            metric.record(float(i), at=i)
        cf.flush()
        flushed.append(_stored_points(store_path))
        break_store()
        for i in range(1000, 50_000):
            metric.record(float(i), at=i)
        with pytest.warns(cf.CellfluxWarning, match=match) as caught:
            cf.flush()  # returns, does not raise
        assert str(store_path) in str(caught[0].message)
        with _no_store_warning():
            for i in range(50_000, 60_000):
                metric.record(float(i), at=i)
            cf.flush()  # still failing: no second warning
        flushed.append(_stored_points(store_path))
        repair()
        with _no_store_warning():
            cf.flush()
        flushed.append(_stored_points(store_path))

    exe = run_task("faulty", body)
    cf.flush()
    assert flushed == [1000, 1000, 60_000]  # nothing confirmed was lost, nothing kept was dropped
    (run,) = cf.executions(store_path)
    assert run.id == exe.id and run.status == "succeeded"
    x, y = run.series("loss")
    assert x.tolist() == list(range(60_000)) and (x == y).all()


def test_store_locked_by_another_connection(make_runtime: MakeRuntime, store_path: Path) -> None:
    rt, sink = make_runtime(timeout=0.3, interval=60.0)
    blockers: list[sqlite3.Connection] = []
    took: list[float] = []

    def lock() -> None:
        blockers.append(sqlite3.connect(store_path, isolation_level=None))
        blockers[0].execute("BEGIN IMMEDIATE")
        took.append(time.monotonic())

    def unlock() -> None:
        took.append(time.monotonic() - took.pop())
        blockers[0].execute("ROLLBACK")

    try:
        _failing_then_recovered(sink, store_path, lock, unlock, "locked by another process for more than 0.3 s")
    finally:
        for blocker in blockers:
            blocker.close()
    assert 0.6 <= took[0] < 5.0  # each of the two flushes waited about 0.3 s, then gave up


def test_disk_full(make_runtime: MakeRuntime, store_path: Path) -> None:
    rt, sink = make_runtime(interval=60.0)

    def fill() -> None:
        conn = sink.store._conn  # type: ignore[attr-defined]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")

    def free() -> None:
        sink.store._conn.execute("PRAGMA max_page_count = 1000000000")  # type: ignore[attr-defined]

    _failing_then_recovered(sink, store_path, fill, free, "full")


def _unwritable(directory: Path) -> Callable[[], None]:
    """Make ``directory`` impossible to create files in; return the repair."""
    directory.mkdir()
    directory.chmod(0o555)
    try:
        (directory / "probe").touch()
    except PermissionError:
        return lambda: directory.chmod(0o755)
    # Root ignores permissions: put a file where the directory should be.
    directory.chmod(0o755)
    shutil.rmtree(directory)
    directory.write_text("not a directory")

    def repair() -> None:
        directory.unlink()
        directory.mkdir()

    return repair


def test_read_only_directory(make_runtime: MakeRuntime, tmp_path: Path) -> None:
    path = tmp_path / "ro" / ".cellflux" / "metrics.sqlite"
    repair = _unwritable(tmp_path / "ro")
    rt, sink = make_runtime(path, interval=60.0)
    metric = cf.Metric("loss", throttle=None)

    def body() -> None:
        for i in range(1000):
            metric.record(float(i), at=i)
        with pytest.warns(cf.CellfluxWarning, match="cannot write the store") as caught:
            cf.flush()
        assert str(path) in str(caught[0].message)
        with _no_store_warning():
            for i in range(1000, 2000):
                metric.record(float(i), at=i)
            cf.flush()
        assert not path.exists()
        repair()
        with _no_store_warning():
            cf.flush()
        assert _stored_points(path) == 2000

    exe = run_task("read-only", body)
    cf.flush()
    (run,) = cf.executions(path)
    assert run.id == exe.id and run.status == "succeeded"
    assert run.series("loss")[0].tolist() == list(range(2000))


def test_a_corrupt_store_file_warns_and_recovers_when_replaced(make_runtime: MakeRuntime, store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(b"garbage " * 1000)
    rt, sink = make_runtime(interval=60.0)
    metric = cf.Metric("m", throttle=None)

    def body() -> None:
        metric.record(1.0, at=0)
        with pytest.warns(cf.CellfluxWarning, match="not a cellflux store"):
            cf.flush()
        metric.record(2.0, at=1)
        store_path.unlink()
        cf.flush()

    run_task("corrupt", body)
    cf.flush()
    (run,) = cf.executions(store_path)
    assert run.series("m")[1].tolist() == [1.0, 2.0]
