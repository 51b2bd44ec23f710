"""The store's costs, measured side by side in one run.

1. the recording thread's cost per unthrottled record with the store sink
   attached vs without any sink (ratio), and the persisted throughput;
2. ``flush()`` of 100,000 pending points, next to the time taken to record them;
3. reading a 1,000,000-point series back into numpy vs the same rows read
   through the ``sqlite3`` module row by row (``SELECT x, y``), and the file
   size per point, for that bulk series and for throttled metrics.

Run: ``python benchmarks/bench_store.py``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np

import cellflux as cf
from cellflux.runtime import Runtime, use_runtime
from cellflux.store.sink import StoreSink
from cellflux.store.sqlite import SQLiteStore

N_RECORD = 2_000_000
REPEATS = 5


def _in_task(fn: Callable[[], None]) -> None:
    cf.task("bench")(fn)()


def record_loop(n: int) -> float:
    """Seconds the recording thread spends on ``n`` unthrottled records."""
    metric = cf.Metric("bench.loss", throttle=None)
    took = [0.0]

    def body() -> None:
        v = 0.5
        start = time.perf_counter()
        for _ in range(n):
            metric.record(v)
        took[0] = time.perf_counter() - start

    _in_task(body)
    return took[0]


def bench_overhead(directory: str) -> None:
    bare: list[float] = []
    stored: list[float] = []
    persisted: list[float] = []

    def without_sink() -> None:
        with use_runtime(Runtime(flusher_thread=False)):
            bare.append(record_loop(N_RECORD))

    def with_sink() -> None:
        rt = Runtime(flusher_thread=False)
        sink = StoreSink(SQLiteStore(os.path.join(directory, f"overhead{len(stored)}.sqlite")))
        rt.add_sink(sink)
        with use_runtime(rt):
            start = time.perf_counter()
            stored.append(record_loop(N_RECORD))
            cf.flush()
            persisted.append(time.perf_counter() - start)
        sink.close()
        transactions.append(sink.transactions)

    transactions: list[int] = []
    for k in range(REPEATS):  # alternate which goes first, so drift favours neither
        for run in (without_sink, with_sink) if k % 2 == 0 else (with_sink, without_sink):
            run()
    b, s, p = statistics.median(bare), statistics.median(stored), statistics.median(persisted)
    print(f"record(), no sink:          {b / N_RECORD * 1e9:7.1f} ns/record")
    print(f"record(), store sink:       {s / N_RECORD * 1e9:7.1f} ns/record   ratio {s / b:.2f}x (target <= 1.5x)")
    print(f"persisted throughput:       {N_RECORD / p:,.0f} points/s (record + background writes + final flush; "
          "target >= 500,000)")
    print(f"  transactions per run: {transactions}")


def bench_flush(directory: str) -> None:
    flushes, records = [], []
    for k in range(REPEATS):
        rt = Runtime(flusher_thread=False)
        sink = StoreSink(SQLiteStore(os.path.join(directory, f"flush{k}.sqlite")), interval=3600.0)
        rt.add_sink(sink)
        metric = cf.Metric("bench.flush", throttle=None)

        def body(metric: cf.Metric = metric) -> None:
            start = time.perf_counter()
            for i in range(100_000):
                metric.record(0.5, at=i)
            records.append(time.perf_counter() - start)
            start = time.perf_counter()
            cf.flush()
            flushes.append(time.perf_counter() - start)

        with use_runtime(rt):
            _in_task(body)
        sink.close()
    f, r = statistics.median(flushes), statistics.median(records)
    print(f"flush() of 100,000 points:  {f * 1e3:7.1f} ms   ({f / r:.2f}x the time to record them: {r * 1e3:.1f} ms)")


def bench_read(directory: str) -> None:
    path = os.path.join(directory, "read.sqlite")
    n = 1_000_000
    rt = Runtime(flusher_thread=False)
    sink = StoreSink(SQLiteStore(path))
    rt.add_sink(sink)
    metric = cf.Metric("bench.read", throttle=None)
    ids: list[str] = []

    def body() -> None:
        ids.append(cf.current_execution().id)
        for i in range(n):
            metric.record(float(i) * 0.5, at=i)

    with use_runtime(rt):
        _in_task(body)
        cf.flush()
    sink.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        size = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
        # The baseline: the same points as one row each, the obvious schema.
        conn.execute("CREATE TABLE baseline (metric_id INTEGER, x REAL, y REAL)")
        conn.executemany("INSERT INTO baseline VALUES (1, ?, ?)", ((float(i), float(i) * 0.5) for i in range(n)))
        conn.commit()

    store = SQLiteStore(path)
    ours, rows = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        x, y = store.read_series(ids[0], "bench.read")
        ours.append(time.perf_counter() - start)
        assert len(x) == n and y[-1] == (n - 1) * 0.5
        with contextlib.closing(sqlite3.connect(path)) as conn:
            start = time.perf_counter()
            xs, ys = [], []
            for bx, by in conn.execute("SELECT x, y FROM baseline WHERE metric_id = 1 ORDER BY rowid"):
                xs.append(bx)
                ys.append(by)
            arrays = np.array(xs), np.array(ys)
            rows.append(time.perf_counter() - start)
        assert len(arrays[0]) == n
    o, r = statistics.median(ours), statistics.median(rows)
    print(f"read 1M points into numpy:  {o * 1e3:7.1f} ms   vs row by row {r * 1e3:.1f} ms: {r / o:.0f}x faster "
          "(target >= 5x)")
    print(f"store size:                 {size / n:7.1f} bytes/point (target <= 40)")


def bench_size_throttled(directory: str) -> None:
    """Bytes per point when batches are small: 10 metrics throttled to 10/s, a batch per 200 ms."""
    path = os.path.join(directory, "throttled.sqlite")
    now = [0.0]
    rt = Runtime(clock=lambda: now[0], flusher_thread=False)
    sink = StoreSink(SQLiteStore(path), interval=3600.0)
    rt.add_sink(sink)
    metrics = [cf.Metric(f"throttled.{k}", group="g") for k in range(10)]

    def body() -> None:
        for step in range(60 * 100):  # one simulated minute of records at 100/s
            now[0] += 0.01
            for m in metrics:
                m.record(0.5)
            rt.flusher.run_due()
            if step % 20 == 19:
                sink.flush()

    with use_runtime(rt):
        _in_task(body)
        cf.flush()
    sink.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        points = conn.execute("SELECT sum(length(x)) / 8 FROM points").fetchone()[0]
        size = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    print(f"store size, throttled:      {size / points:7.1f} bytes/point ({points:,} points, 2 per row)")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        bench_overhead(directory)
        bench_flush(directory)
        bench_read(directory)
        bench_size_throttled(directory)


if __name__ == "__main__":
    main()
