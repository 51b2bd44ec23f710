"""Hammer one execution from several writer processes while a watcher tails it by cursor.

Used by the tailing race test, and by hand to show what the per-execution lock
prevents: ``python -m tests.reliability.tailing URL --naive`` runs the same
hammer with writers that take no lock (PostgresStore(serialise_writers=False)),
and counts the points the watcher never saw.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from cellflux.store.locate import store_at
from cellflux.store.records import Batch, ExecutionRecord, PointRun

POINTS = 4
"""Points per batch: small batches, many transactions, many chances to race."""


@dataclass
class Round:
    written: int
    seen: int
    duplicates: int
    missing: int
    reads: int


def _writer(where: str, execution_id: str, writer: int, batches: int, naive: bool, go: Any) -> None:
    if naive:
        from cellflux.store.postgres import PostgresStore

        store: Any = PostgresStore(where, serialise_writers=False)
    else:
        store = store_at(where)
    record = ExecutionRecord(execution_id, "race", "task", None, "running", 0.0, None, os.getpid())
    go.wait()
    for b in range(batches):
        ys = np.arange(POINTS, dtype=float) + writer * 1_000_000 + b * POINTS
        run = PointRun(execution_id, "k", np.zeros(POINTS), ys)
        store.write(Batch(visitors=[record], points=[run], writer=f"w{writer}-{execution_id}", seq=b + 1, host="h"))
    store.close()


def hammer(where: str, execution_id: str, *, writers: int = 6, batches: int = 150, naive: bool = False) -> Round:
    """One round: ``writers`` processes write ``batches`` batches each; the watcher tails all along."""
    ctx = multiprocessing.get_context("fork")
    go = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(where, execution_id, w, batches, naive, go)) for w in range(writers)]
    for p in procs:
        p.start()
    watcher = store_at(where)
    seen: Counter[float] = Counter()
    cursor, reads = 0, 0
    go.set()
    while True:
        running = any(p.is_alive() for p in procs)
        batch = watcher.read_points(execution_id, after=cursor)
        reads += 1
        cursor = batch.cursor
        for _, ys in batch.series.values():
            seen.update(ys.tolist())
        if not running:
            break  # this read started after every writer had committed and exited
    for p in procs:
        p.join(60)
        assert p.exitcode == 0, f"writer exit code {p.exitcode}"
    watcher.close()
    expected = {float(w * 1_000_000 + i) for w in range(writers) for i in range(batches * POINTS)}
    return Round(
        written=len(expected),
        seen=sum(seen.values()),
        duplicates=sum(n - 1 for n in seen.values() if n > 1),
        missing=len(expected - set(seen)),
        reads=reads,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--naive", action="store_true", help="writers take no per-execution lock")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    total_missing = 0
    for r in range(args.rounds):
        result = hammer(args.url, f"race-{os.getpid()}-{r}", naive=args.naive)
        total_missing += result.missing
        print(f"round {r}: {result}")
    print(f"{'naive' if args.naive else 'locked'}: {total_missing} points never seen by the watcher")


if __name__ == "__main__":
    main()
