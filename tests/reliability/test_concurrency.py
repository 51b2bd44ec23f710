"""32 threads and 4 processes record into one store at once, for 30 s (CELLFLUX_CONCURRENCY_SECONDS).

No deadlock (every join has a timeout), no lost point (throttle=None, every value
checked in the store), no "database is locked" or any other warning or exception
reaching the user, in the threads, the readers or the worker processes.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import threading
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

import cellflux as cf
from cellflux.store.attach import handle as handle_of
from cellflux.store.sqlite import SQLiteStore

from .children import STUCK
from .conftest import HELPERS, PYTHON, child_env, env_int
from .harness import Rig, integrity
from .ledger import Ledger

SECONDS = env_int("CELLFLUX_CONCURRENCY_SECONDS", 30)
THREADS = 32
OWN_KEYS = 24
"""Threads 0..23 record a key each with explicit x; the others share two keys, auto x."""
BURST = 250
"""Records per thread per 50 ms: about 5,000 a second per thread."""
LOCK_WAIT = STUCK
"""How long each store writer here may wait for the file lock before it warns. The default
(10 s) is a policy for users; on a loaded 2-core machine, five processes committing with
fsync kept one writer out that long (a warning, so a failure, at load ~10): slowness, not a
fault. Only a writer kept out for good (a lock never released) fails the test now."""
HUNG = 2 * STUCK
"""A thread or process not done this long after it should be is deadlocked; a flush in it
may itself wait up to ``LOCK_WAIT`` for the lock."""


def test_threads_and_processes_into_one_store(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(4, f"{THREADS} threads + 4 processes (2 attached to the run, 2 runs of their own) into one store")
    path = tmp_path / "shared" / "metrics.sqlite"
    rig = Rig(
        path, clock=time.monotonic, flusher_thread=True, ticker_thread=True, interval=0.2, keep_log=False,
        timeout=LOCK_WAIT,
    )
    errors: list[str] = []
    counts: Counter[str] = Counter()
    shared_values: dict[str, list[float]] = {"shared0": [], "shared1": []}
    lock = threading.Lock()
    stop = threading.Event()
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(f"{args.thread}: {args.exc_value!r}")
    children: list[subprocess.Popen[str]] = []
    results: list[dict[str, Any]] = []
    try:
        with rig.installed(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")

            def worker(t: int) -> None:
                try:
                    own = t < OWN_KEYS
                    key = f"t{t}" if own else f"shared{t % 2}"
                    metric = cf.Metric(key, group="threads", throttle=None)
                    i = 0
                    mine: list[float] = []
                    next_flush = time.monotonic() + 1.0 + t * 0.1
                    while not stop.is_set():
                        for _ in range(BURST):
                            if own:
                                metric.record(float(i), at=i)
                            else:
                                value = t * 1e7 + i
                                metric.record(value)
                                mine.append(value)
                            i += 1
                        if t % 8 == 0 and time.monotonic() > next_flush:  # some threads flush, concurrently
                            cf.flush()
                            next_flush = time.monotonic() + 2.0
                        time.sleep(0.05)
                    with lock:
                        counts[key] += i
                        if not own:
                            shared_values[key] += mine
                except BaseException:
                    errors.append(traceback.format_exc())

            def reader() -> None:
                store = SQLiteStore(path)
                try:
                    cursor = 0
                    while not stop.is_set():
                        for run in cf.executions(path, limit=10):
                            run.refresh()
                        exe_id = holder[0].id if holder else None
                        if exe_id is not None:
                            cursor = store.read_points(exe_id, cursor, limit=500).cursor
                        with lock:
                            counts["reads"] += 1
                        time.sleep(0.1)
                except BaseException:
                    errors.append(traceback.format_exc())
                finally:
                    store.close()

            holder: list[cf.Execution] = []

            @cf.task("concurrency")
            def run() -> None:
                exe = cf.current_execution()
                holder.append(exe)
                cf.flush()  # the execution row exists before the workers attach
                handle = json.dumps(dataclasses.asdict(handle_of(exe)))
                for mode in ("attach", "attach", "own", "own"):
                    args = [PYTHON, str(HELPERS / "concurrency_child.py"), str(path), mode, str(SECONDS)]
                    children.append(
                        subprocess.Popen(
                            args + ([handle] if mode == "attach" else []),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_env(CELLFLUX_TEST_LOCK_WAIT=str(LOCK_WAIT)),
                        )
                    )
                threads = [threading.Thread(target=worker, args=(t,), name=f"rec{t}") for t in range(THREADS)]
                threads += [threading.Thread(target=reader, name=f"read{r}") for r in range(2)]
                for thread in threads:
                    thread.start()
                time.sleep(SECONDS)
                stop.set()
                for thread in threads:
                    thread.join(HUNG)
                hung = [thread.name for thread in threads if thread.is_alive()]
                assert not hung, f"deadlock: {hung} still running {HUNG:.0f} s after stop"
                for child in children:
                    out, err = child.communicate(timeout=SECONDS + HUNG)
                    assert child.returncode == 0, err[-3000:]
                    results.append(json.loads(out.strip().splitlines()[-1]))

            run()
            done = threading.Event()

            def final_flush() -> None:
                cf.flush()
                done.set()

            flusher = threading.Thread(target=final_flush, daemon=True)
            flusher.start()
            assert done.wait(HUNG), "deadlock: cf.flush() did not return"
            # (bqplot's import-time DeprecationWarning aside: not ours, not the user's concern)
            user_warnings = [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)]
            exe = holder[0]
            metrics, stored = rig.stored(exe.id)
    finally:
        threading.excepthook = previous_hook
        stop.set()
        for child in children:
            if child.poll() is None:
                child.kill()
    assert errors == [], errors[:3]
    assert user_warnings == [], user_warnings[:3]
    total = 0
    for t in range(OWN_KEYS):
        x, y = stored[f"t{t}"]
        assert x.tolist() == list(range(counts[f"t{t}"])), f"t{t}: {len(x)} stored of {counts[f't{t}']}"
        assert np.array_equal(x, y)
        total += len(x)
    for key, values in shared_values.items():
        x, y = stored[key]
        assert sorted(y.tolist()) == sorted(values), f"{key}: {len(y)} stored of {len(values)}"
        assert (np.diff(x) >= 0).all(), f"{key}: auto x goes back"
        total += len(y)
    # The workers: every point each one recorded, in the right execution.
    store = SQLiteStore(path)
    for result in results:
        assert result["errors"] == [], result["errors"][:2]
        assert result["warnings"] == [], result["warnings"][:3]
        target = exe.id if result["mode"] == "attach" else result["execution"]
        for key, n in result["counts"].items():
            x, y = store.read_series(target, key)
            assert x.tolist() == list(range(n)), f"{result['mode']} {key}: {len(x)} stored of {n}"
            assert np.array_equal(x, y)
            total += len(x)
    own_runs = [r for r in cf.executions(path) if r.name == "worker"]
    assert len(own_runs) == 2 and all(r.status == "succeeded" for r in own_runs)
    parent_row = rig.stored_execution(exe.id)
    assert parent_row.status == "succeeded" and parent_row.name == "concurrency"
    assert integrity(path) == "ok"
    reads = sum(r["reads"] for r in results)
    ledger.done(
        row,
        f"{SECONDS} s: {total:,} points from {THREADS} threads and 4 processes, "
        f"concurrent flush() from 4 threads, {reads + counts['reads']} reads while writing",
        f"0 of {total:,}; 0 warnings, 0 exceptions, no deadlock",
    )
