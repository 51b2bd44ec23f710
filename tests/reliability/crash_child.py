"""A training script for the crash tests: records hard into a store until it is killed.

    python crash_child.py STORE SHARED MODE SEED

MODE ``kill``: four unthrottled metrics with explicit x (the same i for all), one
throttled metric and a progress bar; ``cf.flush()`` every ``batch`` steps, after
which it prints ``CONFIRMED <steps>``: every step below that is durable. It prints
``COMMITTED <steps>`` once, when it first sees that the store's writer thread
committed a batch on its own (without a flush). The loop's bookkeeping goes into
the 32-byte file SHARED (shared memory, ``SHARED_FIELDS``), so the parent knows
how far it got when the SIGKILL came.

MODE ``interrupt-task`` / ``interrupt-script``: a progress loop over an endless
generator inside a task / at the top level, recording a throttled metric, until
SIGINT. It prints ``READY <execution>`` once the first step is recorded, and the
step reached as ``LAST <i>`` when the KeyboardInterrupt comes, which goes on up
(the script dies of it, as a user's script would).
"""

from __future__ import annotations

import itertools
import mmap
import random
import signal
import struct
import sys

import cellflux as cf
from cellflux.runtime import get_runtime
from cellflux.store.sink import StoreSink


SHARED_FIELDS = ("begun", "commits", "safe", "flushes")
"""The little-endian int64 fields of SHARED, in order. ``begun``: steps whose recording
began (the count is written *before* step i is recorded, so a kill in the middle of a step
leaves it at most one step ahead of the store, never behind); ``commits``: batches the
store had committed when the loop last looked; ``safe``: steps that those commits must
hold (see ``_Commits``); ``flushes``: ``cf.flush()`` calls that returned."""


class _Commits:
    """Which steps the writer's committed batches must hold, from its count of commits.

    The writer reads every series inside its write lock, after the previous batch's
    commit counted: so once the loop has seen commit T, every step that was recorded
    before the loop last saw a count of T-2 or less is in the store. Events, not time:
    the bound holds however slowly a loaded machine runs the writer thread.
    """

    def __init__(self, sink: StoreSink) -> None:
        self.sink = sink
        self.seen = 0
        self.first = 0
        """The step at whose look the count ``seen`` was first seen."""
        self.safe = 0

    def look(self, step: int) -> bool:
        """Look at the count before recording ``step``; True when it moved."""
        count = self.sink.transactions
        if count == self.seen:
            return False
        # The last look that saw T-2 or less: the one before this when the count jumped
        # by two or more, else the one before the previous count was first seen.
        last_behind = step - 1 if count - self.seen >= 2 else self.first - 1
        self.safe = max(self.safe, last_behind, 0)
        self.seen, self.first = count, step
        return True


def record_until_killed(shared: mmap.mmap, seed: int) -> None:
    rng = random.Random(seed)
    batch = rng.choice([500, 2000, 10_000, 40_000])
    metrics = [cf.Metric(f"m{k}", group="crash", throttle=None) for k in range(4)]
    throttled = cf.Metric("throttled", group="crash")

    def put(field: str, value: int) -> None:
        struct.pack_into("<q", shared, 8 * SHARED_FIELDS.index(field), value)

    @cf.task("crash")
    def run() -> None:
        sink = next(s for s in get_runtime().sinks if isinstance(s, StoreSink))
        commits = _Commits(sink)
        print("READY", cf.current_execution().id, batch, flush=True)
        i = 0
        flushes = 0
        announced = False
        for _ in cf.progress(itertools.count(), key="steps"):
            if commits.look(i):
                put("safe", commits.safe)
                put("commits", commits.seen)
                if not announced and commits.seen > flushes:  # a commit that no flush made: the writer's own
                    print("COMMITTED", i, flush=True)
                    announced = True
            put("begun", i + 1)
            x = float(i)
            for metric in metrics:
                metric.record(x, at=i)
            throttled.record(x)
            i += 1
            if i % batch == 0:
                cf.flush()
                flushes += 1
                put("flushes", flushes)
                print("CONFIRMED", i, flush=True)

    run()


def interrupted(where: str) -> None:
    metric = cf.Metric("value", group="interrupt")
    last = [-1]

    def loop() -> None:
        for i in cf.progress(itertools.count(), key="steps", group="interrupt"):
            last[0] = i
            metric.record(float(i))
            if i == 0:  # from inside the loop: a SIGINT after this line lands in it
                print("READY", cf.current_execution().id, flush=True)
            for _ in range(200):  # a step of work
                pass

    try:
        if where == "task":
            cf.task("interrupted")(loop)()
        else:
            loop()
    except KeyboardInterrupt:
        print("LAST", last[0], flush=True)
        raise


def main() -> None:
    store, shared_path, mode, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cf.configure(store=store, display=False)
    if mode == "kill":
        with open(shared_path, "r+b") as f:
            shared = mmap.mmap(f.fileno(), 8 * len(SHARED_FIELDS))
        record_until_killed(shared, seed)
    else:
        # Python raises KeyboardInterrupt on SIGINT only if SIGINT was not ignored when it
        # started, and a child of a background job (``pytest &`` in a script, some CI runners)
        # inherits it ignored: then the SIGINT would go unseen and the test would hang.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        interrupted(mode.split("-", 1)[1])


if __name__ == "__main__":
    main()
