"""The long run: N points over 100 metrics with a live board, memory measured as it goes.

    python long_run_child.py POINTS

Runs in a process of its own so that its resident memory is its own. Records
``POINTS`` unthrottled values (auto x) over 100 metrics in 10 groups, the board
pulling what is new after every 0.1% of the run, as its ticker would, then prints
one JSON line: the resident memory growth against the points held by the series
buffers, and the memory the display path holds (decimators, marks, the front
end's copy) after the first tenth of the run and at the end.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from typing import Any
from unittest import mock

import comm
import numpy as np

import cellflux as cf
from cellflux.display.board_sink import BoardSink
from cellflux.display.ticker import Ticker
from cellflux.runtime import Runtime, use_runtime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tests.reliability.wire import Wire  # noqa: E402

METRICS = 100
ROUNDS = 10


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def display_bytes(sink: BoardSink, wire: Wire) -> tuple[int, int]:
    """Bytes of numpy data the display path holds, and the most points on one line."""
    total, longest = 0, 0
    for board in sink.boards.values():
        for chart in board.charts:
            for line in chart.lines.values():
                total += line.decimator.nbytes
                x, y = np.asarray(line.mark.x), np.asarray(line.mark.y)
                total += x.nbytes + y.nbytes
                longest = max(longest, len(x))
    for state in wire.models.values():
        total += sum(v.nbytes for v in state.values() if isinstance(v, np.ndarray))
    return total, longest


def main() -> None:
    points = int(sys.argv[1])
    per_round = points // (METRICS * ROUNDS)
    values = [float(i % 1000) * 0.5 for i in range(per_round)]
    wire = Wire(keep_log=False)
    rt = Runtime(flusher_thread=False)
    screen: list[Any] = []
    sink = BoardSink(rt, display=lambda b, p: screen.append(b), update=lambda b, h: None, ticker=Ticker(thread=False))
    rt.add_sink(sink)
    out: dict[str, Any] = {"points": 0}
    with mock.patch.object(comm, "create_comm", wire.create_comm), use_runtime(rt):
        metrics = [cf.Metric(f"m{k}", group=f"g{k // 10}", throttle=None) for k in range(METRICS)]

        @cf.task("long")
        def run() -> None:
            exe = cf.current_execution()
            gc.collect()
            base_rss = rss()
            # A first point each lays the board out (its widgets count as growth too).
            for metric in metrics:
                metric.record(0.0)
            sink.flush()
            start = time.perf_counter()
            for r in range(ROUNDS):
                for metric in metrics:
                    record = metric.record
                    for v in values:
                        record(v)
                    sink.ticker.tick_all()  # the board pulls what is new, as its ticker does
                if r == 0:
                    out["display_first_round"], _ = display_bytes(sink, wire)
            out["seconds"] = time.perf_counter() - start
            sink.flush()
            gc.collect()
            held = sum(len(s) for s in exe.buffers.values())
            out["points"] = held
            out["rss_growth"] = rss() - base_rss
            out["chunks"] = sum(len(s._xs) + len(s._ys) for s in exe.buffers.values())
            out["display_end"], out["longest_line"] = display_bytes(sink, wire)
            out["lines"] = sum(len(c.lines) for b in sink.boards.values() for c in b.charts)
            out["messages"] = wire.messages
            out["last_values_on_board"] = all(
                float(np.asarray(line.mark.y)[-1]) == values[-1]
                for b in sink.boards.values() for c in b.charts for line in c.lines.values()
            )

        run()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
