"""A training script for the crash tests: records hard into a store until it is killed.

    python crash_child.py STORE COUNTER MODE SEED

MODE ``kill``: four unthrottled metrics with explicit x (the same i for all), one
throttled metric and a progress bar; ``cf.flush()`` every ``batch`` steps, after
which it prints ``CONFIRMED <steps>``: every step below that is durable. The step
count is also written to the 8-byte file COUNTER at every step (shared memory),
so the parent knows how far the loop got when the SIGKILL came.

MODE ``interrupt-task`` / ``interrupt-script``: a progress loop over an endless
generator inside a task / at the top level, recording a throttled metric, until
SIGINT; the step reached is printed as ``LAST <i>`` and the KeyboardInterrupt
goes on up (the script dies of it, as a user's script would).
"""

from __future__ import annotations

import itertools
import mmap
import random
import struct
import sys

import cellflux as cf


def record_until_killed(counter: mmap.mmap, seed: int) -> None:
    rng = random.Random(seed)
    batch = rng.choice([500, 2000, 10_000, 40_000])
    metrics = [cf.Metric(f"m{k}", group="crash", throttle=None) for k in range(4)]
    throttled = cf.Metric("throttled", group="crash")

    @cf.task("crash")
    def run() -> None:
        print("READY", cf.current_execution().id, batch, flush=True)
        i = 0
        for _ in cf.progress(itertools.count(), key="steps"):
            x = float(i)
            for metric in metrics:
                metric.record(x, at=i)
            throttled.record(x)
            i += 1
            struct.pack_into("<q", counter, 0, i)
            if i % batch == 0:
                cf.flush()
                print("CONFIRMED", i, flush=True)

    run()


def interrupted(where: str) -> None:
    metric = cf.Metric("value", group="interrupt")
    last = [-1]

    def loop() -> None:
        print("READY", cf.current_execution().id, flush=True)
        for i in cf.progress(itertools.count(), key="steps", group="interrupt"):
            last[0] = i
            metric.record(float(i))
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
    store, counter_path, mode, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cf.configure(store=store, display=False)
    if mode == "kill":
        with open(counter_path, "r+b") as f:
            counter = mmap.mmap(f.fileno(), 8)
        record_until_killed(counter, seed)
    else:
        interrupted(mode.split("-", 1)[1])


if __name__ == "__main__":
    main()
