"""How soon a watcher's board sees a point after ``record()``: PostgreSQL (NOTIFY) against SQLite (polled).

A writer process records one point every 100 ms whose value is the wall-clock
time of the ``record()``; ``cf.watch`` in this process reads the run as it is
written, and the delay is the time at which each value reaches the board's
series minus that value. Both include the writer thread's 200 ms batching.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from typing import Any

from cellflux.display.replay import watch
from cellflux.display.ticker import Ticker


def _writer(where: str, n: int, ids: Any, go: Any) -> None:
    import cellflux as cf

    cf.configure(store=where, display=False)
    stamp = cf.Metric("stamp", throttle=None)

    @cf.task("latency")
    def run() -> None:
        stamp.record(time.time(), at=0)
        cf.flush()
        ids.put(cf.current_execution().id)
        go.wait()
        for i in range(1, n + 1):
            stamp.record(time.time(), at=i)
            time.sleep(0.1)

    run()
    cf.flush()


def watch_latency(where: str, n: int) -> tuple[float, float]:
    """Median and 90th percentile of the delays, in seconds, over ``n`` points."""
    ctx = multiprocessing.get_context("spawn")
    ids, go = ctx.Queue(), ctx.Event()
    writer = ctx.Process(target=_writer, args=(where, n, ids, go))
    writer.start()
    execution_id = ids.get(timeout=120)
    delays: list[float] = []
    seen = [1]

    def noop(bundle: dict[str, Any], handle: Any) -> int:
        return 0

    watcher = watch(execution_id, store=where, display=noop, update=noop, ticker=Ticker(thread=False))
    original = watcher.poll

    def poll() -> bool:
        running = original()
        now = time.time()
        series = watcher.series.get("stamp")
        if series is not None and len(series) > seen[0]:
            _, ys = series.read(seen[0])
            delays.extend(now - y for y in ys.tolist())
            seen[0] = len(series)
        return running

    watcher.poll = poll  # type: ignore[method-assign]
    go.set()
    writer.join(600)
    watcher.done.wait(120)
    watcher.stop()
    delays.sort()
    return statistics.median(delays), delays[int(len(delays) * 0.9)]
