"""The live board's cost per tick, and the message rate under load, side by side in one run.

1. Python time and bytes sent by one tick that carries 100 new points, for a line
   already holding 1,000 points and one holding 10 million (target: at most 2x).
2. Bytes sent per chart per tick (target: at most 64 KiB).
3. 100 metrics recorded in a tight loop for 10 s with the real ticker thread:
   comm messages per second (target: at most 100/s), and every final value delivered.

Run: ``python benchmarks/bench_board.py [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import comm
import numpy as np
from comm.base_comm import BaseComm

import cellflux as cf
from cellflux.display.board import Board
from cellflux.display.board_sink import BoardSink
from cellflux.display.ticker import Ticker
from cellflux.runtime import Runtime, use_runtime


class CountingComm(BaseComm):
    messages: list[int] = []
    """Bytes of each comm message (JSON plus binary buffers)."""

    def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any) -> None:
        size = len(json.dumps(data, default=str)) + sum(len(memoryview(b).cast("B")) for b in buffers or ())
        CountingComm.messages.append(size)


def board_with(points: int) -> tuple[Board, Any]:
    exe = cf.current_execution()
    m = cf.Metric(f"line{points}", throttle=None)
    m.record(0.0)
    series = exe.buffers[m.key]
    xs = np.arange(points, dtype=float)
    ys = np.sin(xs / 1000)
    for x, y in zip(xs.tolist(), ys.tolist()):
        series.append(x, y)
    board = Board(exe, exe.runtime.clock)
    board.add_series(series)
    board.tick(1 << 30)  # lay out and take in the history once
    return board, series


def tick_cost(board: Board, series: Any, start: float, rounds: int = 30) -> tuple[float, float]:
    times, sizes = [], []
    x = start
    for _ in range(rounds):
        for _ in range(100):
            x += 1
            series.append(x, float(np.sin(x / 1000)))
        before = len(CountingComm.messages)
        t = time.perf_counter()
        board.tick(1 << 30)
        times.append(time.perf_counter() - t)
        sizes.append(sum(CountingComm.messages[before:]))
    return statistics.median(times), statistics.median(sizes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--big", type=int, default=10_000_000)
    args = parser.parse_args()
    comm.create_comm = lambda **kw: CountingComm(**kw)  # type: ignore[assignment]
    rt = Runtime()
    with use_runtime(rt):
        small, s_small = board_with(1_000)
        big, s_big = board_with(args.big)
        results = {"small": [], "big": []}  # interleave the two, several rounds
        for _ in range(5):
            results["small"].append(tick_cost(small, s_small, float(len(s_small)) + 1e9))
            results["big"].append(tick_cost(big, s_big, float(len(s_big)) + 1e9))
        t_small = statistics.median(r[0] for r in results["small"])
        t_big = statistics.median(r[0] for r in results["big"])
        b_small = statistics.median(r[1] for r in results["small"])
        b_big = statistics.median(r[1] for r in results["big"])
        print(f"tick with 100 new points: {t_small * 1e3:.2f} ms at 1,000 points, {t_big * 1e3:.2f} ms at {args.big:,}")
        print(f"  time ratio {t_big / t_small:.2f}x (target <= 2), bytes {b_small:,.0f} vs {b_big:,.0f}: ratio {b_big / b_small:.2f}x")
        print(f"bytes per chart per tick (10M-point line): {b_big / 1024:.1f} KiB (target <= 64 KiB)")

        CountingComm.messages.clear()
        sink = BoardSink(rt, display=lambda bundle, parent: None, update=lambda bundle, handle: None, ticker=Ticker())
        rt.add_sink(sink)
        metrics = [cf.Metric(f"m{i:03d}", group=f"g{i % 10}") for i in range(100)]

        @cf.task("load")
        def load() -> cf.Execution:
            end = time.monotonic() + args.seconds
            step = 0
            while time.monotonic() < end:
                step += 1
                for m in metrics:
                    m.record(float(step))
            return cf.current_execution()

        t0 = time.monotonic()
        exe = load()
        elapsed = time.monotonic() - t0
        n = len(CountingComm.messages)
        print(f"100 metrics in a tight loop for {elapsed:.1f} s: {n} comm messages, {n / elapsed:.1f}/s (target <= 100/s)")
        finals = {k: s.last() for k, s in exe.buffers.items()}
        ok = all(v is not None and v[1] == finals["m000"][1] for v in finals.values())
        print(f"every final value delivered to the series: {ok}")
        rt.close()


if __name__ == "__main__":
    main()
