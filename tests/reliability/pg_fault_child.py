"""A training loop that records into a PostgreSQL store while the test breaks the server.

Usage: ``pg_fault_child.py URL STOP_FILE``. It records ``loss`` and ``acc`` at
every step (throttle=None, about 2,000 steps a second), checkpoints with
``cf.flush()`` every 200 steps, and prints one JSON line per checkpoint; when
STOP_FILE appears it ends its task, flushes and prints a summary line. Any
exception leaves through a non-zero exit code: the loop must never raise.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

import cellflux as cf

FLUSH_EVERY = 200


def main() -> None:
    url, stop_file = sys.argv[1], sys.argv[2]
    cf.configure(store=url, display=False)
    loss, acc = cf.Metric("loss", throttle=None), cf.Metric("acc", throttle=None)
    longest = [0.0, 0.0]  # a record() call, a flush() call

    @cf.task("faulty")
    def run() -> int:
        step = 0
        while not os.path.exists(stop_file):
            started = time.perf_counter()
            loss.record(float(step), at=step)
            acc.record(float(-step), at=step)
            longest[0] = max(longest[0], time.perf_counter() - started)
            step += 1
            if step % FLUSH_EVERY == 0:
                started = time.perf_counter()
                report = cf.flush()
                took = time.perf_counter() - started
                longest[1] = max(longest[1], took)
                print(json.dumps({"step": step, "complete": bool(report), "pending": report.pending,
                                  "dropped": report.dropped, "flush_s": round(took, 3)}), flush=True)
            time.sleep(0.0004)
        return step

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        steps = run()
        final = cf.flush()
    print(json.dumps({"final": True, "steps": steps, "complete": bool(final), "pending": final.pending,
                      "dropped": final.dropped, "longest_record_ms": round(longest[0] * 1000, 2),
                      "longest_flush_s": round(longest[1], 2),
                      "warnings": [str(w.message) for w in caught if issubclass(w.category, cf.CellfluxWarning)]}),
          flush=True)


if __name__ == "__main__":
    main()
