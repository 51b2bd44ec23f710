"""The writer thread: durability of flush(), batching, incremental reads, several
processes on one file, and a writer killed with SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import cellflux as cf

from .backends import Backend
from .conftest import MakeRuntime, run_task


def test_flush_returns_when_everything_is_committed(backend: Backend, make_runtime: MakeRuntime) -> None:
    rt, sink = make_runtime(backend.where, interval=60.0)  # the writer thread never gets to it first
    metric = cf.Metric("m", throttle=None)
    counts: list[int] = []
    reports: list[cf.Flushed] = []

    def body() -> None:
        for i in range(30_000):
            metric.record(float(i), at=i)
        reports.append(cf.flush())
        counts.append(backend.count_points())
        metric.record(1.0, at=30_000)
        reports.append(cf.flush())
        counts.append(backend.count_points())

    exe = run_task("durable", body)
    cf.flush()
    assert counts == [30_000, 30_001]
    assert [(bool(r), r.pending, r.deliveries[0].delivered) for r in reports] == [(True, 0, 30_000), (True, 0, 30_001)]
    assert backend.status(exe.id) == "succeeded"


def test_points_from_a_tight_loop_arrive_in_few_transactions(backend: Backend, make_runtime: MakeRuntime) -> None:
    rt, sink = make_runtime(backend.where, interval=0.2)
    metric = cf.Metric("fast", throttle=None)
    recorded = [0]

    def body() -> None:
        start = time.monotonic()
        i = 0
        while time.monotonic() - start < 0.7 and i < 3_000_000:
            for _ in range(1000):
                metric.record(0.5)
            i += 1000
        recorded[0] = i

    started = time.monotonic()
    run_task("fast", body)
    cf.flush()
    elapsed = time.monotonic() - started
    assert backend.count_points() == recorded[0]
    # Every 200 ms at most (plus the final flush), and the writer did work while
    # the loop ran rather than leaving it all to flush().
    assert 2 <= sink.transactions <= elapsed / 0.2 + 2


def test_read_points_reads_only_what_is_new(backend: Backend, make_runtime: MakeRuntime) -> None:
    rt, sink = make_runtime(backend.where, interval=60.0)
    reader = backend.store()
    a, b = cf.Metric("a", throttle=None), cf.Metric("b", throttle=None)
    seen: dict[str, Any] = {}

    def body() -> None:
        exe_id = cf.current_execution().id
        a.record(1.0, at=0)
        a.record(2.0, at=1)
        b.record(5.0, at=0)
        cf.flush()
        first = reader.read_points(exe_id)
        a.record(3.0, at=2)
        cf.flush()
        second = reader.read_points(exe_id, after=first.cursor)
        third = reader.read_points(exe_id, after=second.cursor)
        mine = reader.read_points(exe_id, exclude_pid=os.getpid())
        stepped = [reader.read_points(exe_id, after=0, limit=1)]
        while stepped[-1].count:
            stepped.append(reader.read_points(exe_id, after=stepped[-1].cursor, limit=1))
        seen.update(first=first, second=second, third=third, mine=mine, stepped=stepped)

    run_task("incremental", body)
    first, second, third, mine, stepped = (seen[k] for k in ("first", "second", "third", "mine", "stepped"))
    assert {k: (x.tolist(), y.tolist()) for k, (x, y) in first.series.items()} == {
        "a": ([0.0, 1.0], [1.0, 2.0]),
        "b": ([0.0], [5.0]),
    }
    assert {k: y.tolist() for k, (_, y) in second.series.items()} == {"a": [3.0]}
    assert third.series == {} and third.cursor == second.cursor
    # Its own rows are skipped, but the cursor moves past them all the same.
    assert mine.series == {} and mine.cursor == second.cursor
    assert [p.count for p in stepped] == [2, 1, 1, 0]


WRITER = """
import sys, cellflux as cf
cf.configure(store=sys.argv[1], display=False)
metric = cf.Metric("k", throttle=None)

@cf.task("writer " + sys.argv[2])
def run(n):
    for i in range(n):
        metric.record(float(i), at=i)

run(int(sys.argv[3]))
cf.flush()
"""


def test_four_processes_write_one_store(backend: Backend) -> None:
    env = {**os.environ, "CELLFLUX_DISPLAY": "0"}
    store_path = backend.where
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, store_path, str(k), "100000"], env=env,
                         stderr=subprocess.PIPE, text=True)
        for k in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert "locked" not in err
    runs = cf.executions(store_path)
    assert sorted(r.name for r in runs) == [f"writer {k}" for k in range(4)]
    for run in runs:
        x, y = run.series("k")
        assert run.status == "succeeded"
        assert len(y) == 100_000 and x[-1] == 99_999 and (y == x).all()


KILLED = """
import sys, cellflux as cf
cf.configure(store=sys.argv[1], display=False)
metric = cf.Metric("k", throttle=None)

@cf.task("killed")
def run():
    i = 0
    while True:
        metric.record(float(i), at=i)
        i += 1
        if i == 200_000:
            cf.flush()
            print(i, flush=True)

run()
"""


def _stored_points(store_path: str) -> int:
    runs = cf.executions(store_path)
    return len(runs[0].series("k")[0]) if runs and "k" in runs[0].metrics else 0


def test_a_writer_killed_with_sigkill_leaves_a_store_that_opens(backend: Backend) -> None:
    store_path = backend.where
    proc = subprocess.Popen([sys.executable, "-c", KILLED, store_path], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "CELLFLUX_DISPLAY": "0"})
    try:
        assert proc.stdout is not None
        flushed = int(proc.stdout.readline())
        # Killed once a batch committed after the flush (the next may be half written):
        # waited for by reading the store, not by a sleep that a loaded machine outlasts.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _stored_points(store_path) <= flushed:
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    if backend.name == "sqlite":
        with contextlib.closing(sqlite3.connect(store_path)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    (run,) = cf.executions(store_path)
    assert run.status == "running"  # it never ended
    x, y = run.series("k")
    assert len(x) > flushed  # batches committed after the flush are there too
    assert (x == range(len(x))).all() and (y == x).all()  # no gap, no duplicate, no torn run


def test_connections_racing_to_create_a_new_store_all_succeed(tmp_path: Path, backend: Backend) -> None:
    # Each store object has its own connection; all open the same new file at
    # once, and each must see either no store or the whole store, never half.
    from cellflux.store.locate import store_at
    from cellflux.store.records import Batch, ExecutionRecord, Store

    attempts = 10 if backend.name == "sqlite" else 1  # one database per test on the server
    for attempt in range(attempts):
        path = tmp_path / f"race{attempt}.sqlite" if backend.name == "sqlite" else backend.where
        stores = [store_at(path) for _ in range(6)]
        barrier = threading.Barrier(len(stores))
        errors: list[BaseException] = []

        def write(store: Store, k: int, barrier: threading.Barrier, errors: list[BaseException]) -> None:
            record = ExecutionRecord(f"e{k}", "racer", "task", None, "running", float(k), None, os.getpid())
            barrier.wait()
            try:
                store.write(Batch(executions=[record]))
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=write, args=(s, k, barrier, errors)) for k, s in enumerate(stores)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for store in stores:
            store.close()
        assert errors == []
        assert len(cf.executions(path)) == len(stores)
