"""A worker process for the concurrency test: records into a shared store for a while.

    python concurrency_child.py STORE MODE SECONDS [HANDLE_JSON]

MODE ``attach``: records into the parent's execution (``cf.attach``) under keys
``p<pid>.<k>``; ``own``: records into an execution of its own (a task). Two
threads each record three unthrottled keys with explicit x, flushing now and then,
and the main thread reads the store back while they write. At the end it prints
one JSON line: the points recorded per key, the execution id, every warning and
every exception seen.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
import warnings
from typing import Any

import cellflux as cf
from cellflux.runtime import get_runtime
from cellflux.store import ExecutionHandle
from cellflux.store.sqlite import SQLiteStore

RATE = 4000
"""Points per second per key, about."""
LOCK_WAIT = float(os.environ.get("CELLFLUX_TEST_LOCK_WAIT") or 10.0)
"""How long this process's store writers wait for the file lock (test_concurrency.LOCK_WAIT)."""


def patient_writers() -> None:
    for sink in get_runtime().sinks:
        store = getattr(sink, "store", None)
        if isinstance(store, SQLiteStore):
            store.timeout = LOCK_WAIT  # read at each write


def record(keys: list[str], seconds: float, counts: dict[str, int], errors: list[str]) -> None:
    try:
        metrics = [cf.Metric(key, group="workers", throttle=None) for key in keys]
        end = time.monotonic() + seconds
        i = 0
        next_flush = time.monotonic() + 1.0
        while time.monotonic() < end:
            for _ in range(RATE // 20):
                for metric in metrics:
                    metric.record(float(i), at=i)
                i += 1
            for key in keys:
                counts[key] = i
            if time.monotonic() > next_flush:
                cf.flush()
                next_flush = time.monotonic() + 1.0
            time.sleep(0.05)
    except BaseException:  # reported to the parent, which fails the test
        errors.append(traceback.format_exc())


def main() -> None:
    store, mode, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    cf.configure(store=store, display=False)
    counts: dict[str, int] = {}
    errors: list[str] = []
    result: dict[str, Any] = {"pid": os.getpid(), "mode": mode}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        def body() -> None:
            patient_writers()  # here, inside attach() too, every store sink of the process exists
            result["execution"] = cf.current_execution().id
            prefix = f"p{os.getpid()}"
            threads = [
                threading.Thread(target=record, args=([f"{prefix}.{t}.{k}" for k in range(3)], seconds, counts, errors))
                for t in range(2)
            ]
            for thread in threads:
                thread.start()
            reads = 0
            while any(thread.is_alive() for thread in threads):
                try:
                    for run in cf.executions(store, limit=10):
                        run.store.read_points(run.id, 0, limit=50)
                    reads += 1
                except Exception:  # a reader must never see "database is locked"
                    errors.append(traceback.format_exc())
                time.sleep(0.2)
            for thread in threads:
                thread.join(seconds + 2 * LOCK_WAIT)
                if thread.is_alive():
                    errors.append("a recording thread hung")
            result["reads"] = reads

        if mode == "attach":
            handle = ExecutionHandle(**json.loads(sys.argv[4]))
            with cf.attach(handle):
                body()
        else:
            cf.task("worker")(body)()
        cf.flush()
    result["counts"] = counts
    result["warnings"] = [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)]
    result["errors"] = errors
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
