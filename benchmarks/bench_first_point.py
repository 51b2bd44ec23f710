"""A new board's first point, kernel side: from ``record()`` to the message that carries it.

A real ipykernel, driven by ``jupyter_client`` (no browser, so no front-end noise): each
round runs a task that shows a new board and records one value every 50 ms, and this
process notes when each IOPub message arrives. Two modes, interleaved round by round:

- quiet: the task sleeps between records;
- loaded: it spins a pure-Python loop between records (it holds the GIL, like a
  training step) while a second CPU-bound process runs.

Printed per mode: when the board's Figure was opened, when its display went out, when
the first point left the kernel (ms after its ``record()``), and the loaded / quiet ratio.
The browser's share of the latency is measured by ``tests/browser/test_latency.py``.

Run: ``python benchmarks/bench_first_point.py [--rounds 10]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
from jupyter_client.manager import start_new_kernel

RUN = '''
BUSY = {busy}


def pause(seconds):
    if not BUSY:
        time.sleep(seconds)
        return
    end, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        n = (n * 31 + 7) % 1000003


@cf.task()
def run(title, stamps):
    metric = cf.Metric("latency", group=cf.MetricGroup(title, units="step"))
    for step in range(20):
        stamps.append(time.time())
        metric.record(float(step), at=step)
        pause(0.05)


stamps = []
run({title!r}, stamps)
print("FIRST-RECORD", repr(stamps[0]))
'''
KEYS = ("figure opened", "board displayed", "first point out")


def one_board(client: Any, busy: bool, title: str) -> dict[str, float]:
    """Milliseconds from the first record() to each milestone of one new board."""
    msg_id = client.execute(RUN.format(busy=busy, title=title))
    arrivals: list[tuple[float, dict[str, Any]]] = []
    while True:
        msg = client.get_iopub_msg(timeout=120)
        now = time.time()
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        arrivals.append((now, msg))
    first = next(float(m["content"]["text"].split()[1]) for _, m in arrivals
                 if m["msg_type"] == "stream" and "FIRST-RECORD" in m["content"]["text"])
    milestones: dict[str, float] = {}
    for now, msg in arrivals:
        ms = (now - first) * 1000.0
        kind, content = msg["msg_type"], msg["content"]
        if kind == "comm_open" and content["data"]["state"].get("_model_name") == "FigureModel":
            milestones.setdefault("figure opened", ms)
        elif kind == "display_data":
            milestones.setdefault("board displayed", ms)
        elif kind == "comm_msg" and _carries_a_point(content, msg.get("buffers", [])):
            milestones.setdefault("first point out", ms)
    return milestones


def _carries_a_point(content: dict[str, Any], buffers: list[Any]) -> bool:
    paths = content["data"].get("buffer_paths", [])
    if ["y", "value"] not in paths:
        return False
    return len(np.frombuffer(buffers[paths.index(["y", "value"])], dtype=np.float64)) > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "CELLFLUX_DISPLAY"}
    env["CELLFLUX_STORE"] = ":memory:"
    results: dict[str, list[dict[str, float]]] = {"quiet": [], "loaded": []}
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        client.execute_interactive("import time\nimport cellflux as cf", timeout=120)
        for round_ in range(args.rounds):
            for mode in ("quiet", "loaded"):
                hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if mode == "loaded" else None
                try:
                    results[mode].append(one_board(client, mode == "loaded", f"{mode}{round_}"))
                finally:
                    if hog is not None:
                        hog.kill()
                        hog.wait()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    print(f"{args.rounds} boards per mode; load average now {os.getloadavg()[0]:.1f}")
    print(f"{'ms after the first record()':30} {'quiet median [max]':>20} {'loaded median [max]':>20} {'loaded / quiet':>15}")
    for key in KEYS:
        quiet = [r[key] for r in results["quiet"] if key in r]
        loaded = [r[key] for r in results["loaded"] if key in r]
        q, lo = statistics.median(quiet), statistics.median(loaded)
        print(f"{key:30} {q:12.1f} [{max(quiet):5.0f}] {lo:12.1f} [{max(loaded):5.0f}] {lo / q:14.1f}x")


if __name__ == "__main__":
    main()
