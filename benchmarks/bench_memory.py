"""Memory per stored point in the series buffer, measured with tracemalloc.

Target: at most 16 bytes per point (x and y float64) at 10 million points.
Run: ``python benchmarks/bench_memory.py [--points N]``.
"""

from __future__ import annotations

import argparse
import tracemalloc

import cellflux as cf
from cellflux.runtime import Runtime, use_runtime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=10_000_000)
    args = parser.parse_args()
    cf.configure(store=False)  # the series buffer alone
    with use_runtime(Runtime()):
        m = cf.Metric("memory", throttle=None)
        m.record(0.0)  # the execution and series exist before we measure
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        v = 0.5
        for _ in range(args.points - 1):
            m.record(v)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        n = len(cf.current_execution().buffers["memory"])
    per_point = (after - before) / n
    print(f"{n:,} points held: {(after - before) / 2**20:.1f} MiB, {per_point:.2f} bytes per point (target <= 16)")


if __name__ == "__main__":
    main()
