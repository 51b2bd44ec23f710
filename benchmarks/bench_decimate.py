"""Decimation cost per board tick at 1,000 vs 10,000,000 points already held.

Two decimators, one holding 1k points and one holding 10M, receive the same
ticks (``TICK`` new points each, then ``points()`` as a board would read them),
alternately, so both are measured side by side under the same machine load.
Prints the per-tick cost of each and their ratio (target: at most 2x), plus
the elements touched per tick as counted by the decimator.
Run: ``python benchmarks/bench_decimate.py``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from cellflux.display.decimate import Decimator

SMALL, LARGE = 1_000, 10_000_000
TICK = 100
"""New points per tick: 1,000 records/s (unthrottled) at 10 ticks/s."""
TICKS = 2_000
ROUNDS = 5


def held(n: int, seed: int) -> Decimator:
    rng = np.random.default_rng(seed)
    d = Decimator(2000)
    for start in range(0, n, 1_000_000):
        stop = min(n, start + 1_000_000)
        d.extend(np.arange(start, stop, dtype=np.float64), rng.normal(size=stop - start))
    return d


def main() -> None:
    rng = np.random.default_rng(0)
    decimators = {"1k": held(SMALL, 1), "10M": held(LARGE, 2)}
    ticks = [rng.normal(size=TICK) for _ in range(64)]
    per_tick: dict[str, list[float]] = {name: [] for name in decimators}
    extend_only: dict[str, list[float]] = {name: [] for name in decimators}
    work: dict[str, list[float]] = {name: [] for name in decimators}
    clock = time.perf_counter
    for _ in range(ROUNDS):
        spent = dict.fromkeys(decimators, 0.0)
        spent_extend = dict.fromkeys(decimators, 0.0)
        touched = dict.fromkeys(decimators, 0)
        for t in range(TICKS):
            ys = ticks[t % len(ticks)]
            if decimators["1k"].count >= 2 * SMALL:  # keep "1k held" true: restart, untimed
                decimators["1k"] = held(SMALL, 1)
            for name, d in decimators.items():
                xs = np.arange(d.count, d.count + TICK, dtype=np.float64)
                w0 = d.work
                t0 = clock()
                d.extend(xs, ys)
                t1 = clock()
                d.points()
                t2 = clock()
                spent_extend[name] += t1 - t0
                spent[name] += t2 - t0
                touched[name] += d.work - w0
        for name in decimators:
            per_tick[name].append(spent[name] / TICKS)
            extend_only[name].append(spent_extend[name] / TICKS)
            work[name].append(touched[name] / TICKS)

    def best(values: dict[str, list[float]], name: str) -> float:
        return statistics.median(values[name])

    print(f"tick = extend({TICK} new points) + points(); {TICKS} ticks x {ROUNDS} rounds, median round")
    for name in decimators:
        print(
            f"  {name:>4} held: extend {best(extend_only, name) * 1e6:7.1f} us/tick, "
            f"extend+points {best(per_tick, name) * 1e6:7.1f} us/tick, "
            f"{best(work, name):7.0f} elements touched/tick"
        )
    print(f"ratio 10M/1k, extend:        {best(extend_only, '10M') / best(extend_only, '1k'):.2f}x (target <= 2x)")
    print(f"ratio 10M/1k, extend+points: {best(per_tick, '10M') / best(per_tick, '1k'):.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
