"""record() and progress() overhead, measured side by side in one run.

Prints each loop's per-iteration cost over a bare loop, as a ratio to a no-op
method with record()'s signature (and, for progress, to tqdm writing to a null
file). Run: ``python benchmarks/bench_record.py``.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable

import cellflux as cf

N = 1_000_000
REPEATS = 7


class NoOp:
    def record(self, value: float, *, at: float | None = None) -> None:
        pass


def bare(n: int) -> None:
    v = 0.5
    for _ in range(n):
        pass


def noop(n: int, m: NoOp = NoOp()) -> None:
    v = 0.5
    for _ in range(n):
        m.record(v)


def throttled(n: int) -> None:
    m = cf.Metric("bench.throttled")
    v = 0.5
    for _ in range(n):
        m.record(v)


def unthrottled(n: int) -> None:
    m = cf.Metric("bench.unthrottled", throttle=None)
    v = 0.5
    for _ in range(n):
        m.record(v)


_next_at = {"throttled": 0, "unthrottled": 0}
"""Each run goes on from the last at= of its key: a repeated at= would be dropped."""


def throttled_at(n: int) -> None:
    m = cf.Metric("bench.throttled_at")
    v = 0.5
    start = _next_at["throttled"]
    for i in range(start, start + n):
        m.record(v, at=i)
    _next_at["throttled"] = start + n


def unthrottled_at(n: int) -> None:
    m = cf.Metric("bench.unthrottled_at", throttle=None)
    v = 0.5
    start = _next_at["unthrottled"]
    for i in range(start, start + n):
        m.record(v, at=i)
    _next_at["unthrottled"] = start + n


def iterate_bare(n: int) -> None:
    for _ in range(n):
        pass


def iterate_progress(n: int) -> None:
    for _ in cf.progress(range(n), key="bench.progress"):
        pass


def iterate_tqdm(n: int) -> None:
    from tqdm import tqdm

    for _ in tqdm(range(n), file=io.StringIO(), mininterval=0.1):
        pass


def per_item(fn: Callable[[int], None], n: int) -> list[float]:
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        fn(n)
        times.append((time.perf_counter() - t) / n * 1e9)
    return times


def main() -> None:
    # The engine alone: the store's writer thread is measured by bench_store.py.
    cf.configure(store=False)
    loops: dict[str, Callable[[int], None]] = {
        "bare": bare, "noop": noop, "throttled": throttled, "unthrottled": unthrottled,
        "throttled_at": throttled_at, "unthrottled_at": unthrottled_at,
        "iterate_bare": iterate_bare, "progress": iterate_progress,
    }
    try:
        import tqdm  # noqa: F401

        loops["tqdm"] = iterate_tqdm
    except ImportError:
        print("tqdm not installed: progress ratio to tqdm not measured")
    samples: dict[str, list[float]] = {name: [] for name in loops}
    # Interleave: every round runs every loop once, so drift hits all alike.
    for _ in range(REPEATS):
        for name, fn in loops.items():
            samples[name] += per_item(fn, N)[:1]
    med = {name: statistics.median(v) for name, v in samples.items()}
    over = lambda name, base: med[name] - med[base]  # noqa: E731
    print(f"per-iteration medians over {REPEATS} interleaved runs of {N:,} (ns):")
    for name, value in med.items():
        print(f"  {name:12s} {value:7.1f}")
    noop_over = over("noop", "bare")
    print(f"throttled record() overhead / no-op overhead: {over('throttled', 'bare') / noop_over:.2f}x (budget <= 3.0)")
    rate = 1e9 / med["unthrottled"]
    print(f"throttle=None: {rate / 1e6:.2f} M records/s (target >= 2)")
    # record(v, at=step), as the Coflux docs' examples call it: no target yet, shown
    # next to the auto-x path it is compared with.
    print(f"throttled record(v, at=i) overhead / no-op overhead: {over('throttled_at', 'bare') / noop_over:.2f}x")
    print(f"throttle=None, at=i: {1e9 / med['unthrottled_at'] / 1e6:.2f} M records/s")
    if "tqdm" in med:
        ratio = over("progress", "iterate_bare") / over("tqdm", "iterate_bare")
        print(f"progress() overhead / tqdm overhead: {ratio:.2f}x (target <= 0.5)")
    cf.flush()


if __name__ == "__main__":
    sys.exit(main())
