"""PostgreSQL next to SQLite, and next to MLflow's tracking store on the same server, in one run.

1. points persisted per second by one writer process and by 8 at once: the
   batches the writer thread commits (4 metrics x 25,000 points, float64 loss
   curves), through ``Store.write()``, into PostgreSQL, into SQLite, into
   PostgreSQL with the chunk columns left compressible (``STORAGE EXTENDED``,
   to measure what ``EXTERNAL`` saves), and MLflow's ``log_batch`` (1,000
   metrics a call, its maximum) into its tables on the same server;
2. reading one series of 1,000,000 points back into numpy from each;
3. how soon a watcher sees a point after ``record()``: ``cf.watch`` of a
   PostgreSQL run (woken by NOTIFY) against the same of a SQLite file (polled).

The server is started for the run by scripts/pg.sh with fsync on, on a Unix
socket. Run: ``.venv/bin/python benchmarks/bench_postgres.py`` (needs the
``postgresql`` and ``bench`` extras); ``--write`` also rewrites
benchmarks/results-postgres.md (``--quick``: smaller runs, nothing written).
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pg_peers import mlflow_read, mlflow_setup, mlflow_writer  # noqa: E402
from benchmarks.pg_watch import watch_latency  # noqa: E402
from cellflux.store.locate import store_at  # noqa: E402
from cellflux.store.records import Batch, ExecutionRecord, PointRun  # noqa: E402

KEYS, PER_KEY = 4, 25_000
"""A batch as the writer thread makes it from a loop recording 4 metrics at 500,000 points/s."""


def curve(start: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    xs = np.arange(start, start + n, dtype=np.float64)
    ys = np.exp(-xs / 1e6) + 0.01 * np.random.default_rng(seed).standard_normal(n)
    return xs, ys


def _writer(where: str, index: int, batches: int, barrier: Any, times: Any) -> None:
    store = store_at(where)
    eid = f"bench-{os.getpid()}"
    record = ExecutionRecord(eid, "bench", "task", None, "running", time.time(), None, os.getpid())
    store.write(Batch(executions=[record], writer=eid, seq=0, host="bench"))  # connect and create first
    data = [[PointRun(eid, f"m{k}", *curve(b * PER_KEY, PER_KEY, index * 1000 + b * KEYS + k)) for k in range(KEYS)]
            for b in range(batches)]
    barrier.wait()
    started = time.perf_counter()
    for b, runs in enumerate(data):
        for attempt in range(100):  # as the writer thread does: a failed batch is sent again
            try:
                store.write(Batch(points=runs, writer=eid, seq=b + 1, host="bench"))
                break
            except Exception as error:
                print(f"writer {index}: batch {b} attempt {attempt}: {error}", file=sys.stderr)
    times.put((started, time.perf_counter(), batches * KEYS * PER_KEY))
    store.close()


def persisted(where: str, writers: int, size: int, target: Any = _writer, method: str = "fork") -> float:
    """Points per second from ``writers`` processes at once (each ``target(where, i, size, barrier, times)``
    puts its start, end and points written), from the first start to the last end."""
    ctx = multiprocessing.get_context(method)
    barrier, times = ctx.Barrier(writers), ctx.Queue()
    procs = [ctx.Process(target=target, args=(where, i, size, barrier, times)) for i in range(writers)]
    for p in procs:
        p.start()
    spans: list[tuple[float, float, int]] = []
    while len(spans) < writers:
        try:
            spans.append(times.get(timeout=5))
        except Exception:  # queue.Empty: still writing, unless one died
            dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if dead or all(p.exitcode is not None for p in procs):
                raise RuntimeError(f"a writer process died (exit codes {dead})") from None
    for p in procs:
        p.join(60)
    elapsed = max(end for _, end, _ in spans) - min(start for start, _, _ in spans)
    return sum(n for _, _, n in spans) / elapsed


def read_1m(where: str) -> float:
    """Seconds to read a 1,000,000-point series into numpy with a fresh store object (median of 5)."""
    store = store_at(where)
    store.write(Batch(executions=[ExecutionRecord("read1m", "read", "task", None, "succeeded", 0.0, 1.0, 1)],
                      points=[PointRun("read1m", "loss", *curve(0, 1_000_000, 7))], writer="read", seq=1))
    store.close()
    took = []
    for _ in range(5):
        reader = store_at(where)
        reader.list_executions()  # the connection, opened before the clock starts
        start = time.perf_counter()
        xs, ys = reader.read_series("read1m", "loss")
        took.append(time.perf_counter() - start)
        assert len(ys) == 1_000_000
        reader.close()
    return statistics.median(took)


class Server:
    def __init__(self) -> None:
        out = subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "start"], capture_output=True, text=True,
                             env={**os.environ, "PG_FSYNC": "on"}, check=True)
        found = dict(re.findall(r"export (\w+)='([^']*)'", out.stdout))
        self.url, self.dir = found["CELLFLUX_TEST_PG"], found["CELLFLUX_TEST_PGDIR"]

    def database(self, name: str, *, compressible: bool = False) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # type: ignore[call-overload]  # a constant of this script
        url = self.url.replace("/postgres?", f"/{name}?")
        if compressible:
            store_at(url).write(Batch(writer="setup", seq=1))  # creates the tables
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("ALTER TABLE cellflux.points ALTER COLUMN x SET STORAGE EXTENDED, "
                             "ALTER COLUMN y SET STORAGE EXTENDED")
        return url

    def stop(self) -> None:
        subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "stop", self.dir], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite benchmarks/results-postgres.md")
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    args = parser.parse_args()
    one, eight, ml_points = (4, 2, 2_000) if args.quick else (20, 10, 20_000)
    server = Server()
    rows: list[tuple[str, str]] = []

    def row(what: str, value: str) -> None:
        print(f"{what:<72} {value}", flush=True)
        rows.append((what, value))

    try:
        with tempfile.TemporaryDirectory() as tmp:
            stores = {
                "PostgreSQL": server.database("bench_pg"),
                "SQLite": os.path.join(tmp, "bench.sqlite"),
                "PostgreSQL, chunks compressible (EXTENDED)": server.database("bench_ext", compressible=True),
            }
            # Rounds interleave the stores, so that the load of the machine (shared) favours none.
            runs: dict[tuple[str, int], list[float]] = {}
            for _ in range(1 if args.quick else 3):
                for label, where in stores.items():
                    for n in (1, 8):
                        runs.setdefault((label, n), []).append(persisted(where, n, one if n == 1 else eight))
            rates = {label: {n: statistics.median(runs[(label, n)]) for n in (1, 8)} for label in stores}
            for label in stores:
                for n in (1, 8):
                    row(f"points persisted/s, {n} writer{'s' if n > 1 else ''}: {label} (median of "
                        f"{len(runs[(label, n)])})", f"{rates[label][n]:,.0f}")
            ml_url = mlflow_setup(server.url, server.dir)
            # Spawned, not forked: MLflow's connection pool in this process must not cross a fork.
            ml = {n: persisted(ml_url, n, ml_points // (1 if n == 1 else 2), mlflow_writer, "spawn") for n in (1, 8)}
            for n in (1, 8):
                row(f"points persisted/s, {n} writer{'s' if n > 1 else ''}: MLflow log_batch on PostgreSQL",
                    f"{ml[n]:,.0f} ({rates['PostgreSQL'][n] / ml[n]:,.0f}x fewer than cellflux)")
            for n in (1, 8):
                pg, lite, ext = rates["PostgreSQL"][n], rates["SQLite"][n], rates[
                    "PostgreSQL, chunks compressible (EXTENDED)"][n]
                row(f"ratios, {n} writer(s): PostgreSQL / SQLite, EXTERNAL / EXTENDED", f"{pg / lite:.2f}x, {pg / ext:.2f}x")
            pg_read, lite_read = read_1m(server.database("bench_read")), read_1m(os.path.join(tmp, "read.sqlite"))
            row("read 1,000,000 points into numpy: PostgreSQL", f"{pg_read:.3f} s")
            row("read 1,000,000 points into numpy: SQLite", f"{lite_read:.3f} s (PostgreSQL takes "
                f"{pg_read / lite_read:.1f}x as long)")
            # 100,000, not 1,000,000: MLflow logs about a thousand points a second here, so 1 M would
            # take a quarter of an hour to log (its read time is reported per point, next to ours).
            ml_read, ml_n = mlflow_read(ml_url, 20_000 if args.quick else 100_000)
            row(f"read {ml_n:,} points: MLflow get_metric_history on PostgreSQL",
                f"{ml_read:.2f} s (per point, {ml_read / pg_read * 1_000_000 / ml_n:,.0f}x cellflux on PostgreSQL)")
            for label, where in (("PostgreSQL (NOTIFY)", server.database("bench_watch")),
                                 ("SQLite (polled)", os.path.join(tmp, "watch.sqlite"))):
                median, p90 = watch_latency(where, 40 if args.quick else 100)
                row(f"record() to a watcher's board series, median / p90: {label}", f"{median * 1e3:.0f} / {p90 * 1e3:.0f} ms")
    finally:
        server.stop()
    if args.write and not args.quick:
        _write(rows)


def _write(rows: list[tuple[str, str]]) -> None:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# PostgreSQL benchmark", "",
             f"Written by `.venv/bin/python benchmarks/bench_postgres.py --write` on {now}, Python "
             f"{platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end; "
             "PostgreSQL 15 on a Unix socket with fsync on. See the script's docstring for what each row measures.",
             "", "| what | measured |", "|---|---|"]
    lines += [f"| {what} | {value} |" for what, value in rows]
    (ROOT / "benchmarks" / "results-postgres.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
