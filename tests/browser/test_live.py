"""Boards update while the cell is still running: from the main thread and from a background thread."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from .driver import NotebookPage, Snapshot

pytestmark = pytest.mark.browser

SAMPLE_EVERY = 0.8
"""Seconds between samples: several ticks of the board (10/s), so each sample sees new points."""

SETUP = "import math\nimport threading\nimport time\n\nimport cellflux as cf"

LIVE = '''
group = cf.MetricGroup("live", units="step")
loss = cf.Metric("loss", group=group)


@cf.task()
def train(steps):
    for step in cf.progress(range(steps), key="steps", group=group):
        loss.record(1.0 / (1 + step), at=step)
        time.sleep(0.05)


train(120)  # about 6 s
print("live-" + "done")
'''

THREADS = '''
heartbeat = cf.Metric("heartbeat", group=cf.MetricGroup("worker", units="tick"))


@cf.task()
def worker(ticks):
    for tick in range(ticks):
        heartbeat.record(math.sin(tick / 5), at=tick)
        time.sleep(0.05)


thread = threading.Thread(target=worker, args=(120,))
thread.start()
time.sleep(6.5)  # the main thread only sleeps: the worker's board must update on its own
thread.join()
print("threads-" + "done")
'''


def sample_while_busy(nb: NotebookPage, cell: int, sentinel: str, on_sample: Callable[[int], object]) -> list[Snapshot]:
    """Snapshots of ``cell`` from its first drawn point until ``sentinel`` is printed.

    Each snapshot is read in one evaluation, so "not printed yet" holds for its numbers.
    """
    nb.wait_until(lambda: nb.snapshot(cell).points > 0 or nb.has_output(sentinel), 60, "the first point drawn")
    samples: list[Snapshot] = []
    while True:
        snap = nb.snapshot(cell)
        if snap.printed(sentinel):
            return samples
        samples.append(snap)
        on_sample(len(samples))
        time.sleep(max(0.0, snap.at + SAMPLE_EVERY - time.monotonic()))


def assert_grows(values: list[int], what: str) -> None:
    assert values == sorted(values), f"{what} went backwards: {values}"
    assert len(set(values)) >= 3, f"{what} did not grow over three samples while the cell ran: {values}"


def test_live(open_notebook: Callable[..., Any], shoot: Callable[..., Any]) -> None:
    nb = open_notebook([SETUP, LIVE])
    nb.run_all()
    nb.scroll_to_cell(1)
    samples = sample_while_busy(nb, 1, "live-done", lambda n: n == 3 and shoot(nb, "running"))

    # Between the end of train() and the print the bar is done already: judge the samples
    # of the running loop.
    running = [s for s in samples if s.bars and s.bars[0].state == "running" and "train · running" in s.text]
    assert len(running) >= 3, f"only {len(running)} samples while the loop ran: {[s.text[:40] for s in samples]}"
    assert_grows([s.points for s in running], "points drawn")
    assert_grows([s.bars[0].count for s in running], "progress count")
    widths = [s.bars[0].percent for s in running]
    assert widths == sorted(widths) and widths[-1] > widths[0], f"progress fill did not advance: {widths}"
    # A new board's first point goes out with its layout, from the recording thread, while
    # the loop is on its first item (0 done): the first sample may show the bar at 0/120.
    assert all(0 <= s.bars[0].count < 120 for s in running), [s.bars[0].text for s in running]
    assert all(s.bars[0].count > 0 for s in running[1:]), [s.bars[0].text for s in running]

    nb.wait_until(lambda: nb.snapshot(1).bars and nb.snapshot(1).bars[0].text.startswith("120/120 100%"), 15,
                  "the final bar")
    final = nb.snapshot(1)
    assert final.points >= samples[-1].points
    assert final.bars[0].state == "done" and final.bars[0].percent == 100.0
    nb.assert_no_widget_errors()
    shoot(nb, "final")


def test_threads(open_notebook: Callable[..., Any], shoot: Callable[..., Any]) -> None:
    nb = open_notebook([SETUP, THREADS])
    nb.run_all()
    nb.scroll_to_cell(1)
    samples = sample_while_busy(nb, 1, "threads-done", lambda n: n == 3 and shoot(nb, "running"))

    # The worker (6 s) ends before the main thread wakes (6.5 s): judge the samples of the running worker.
    running = [s for s in samples if "worker · running" in s.text]
    assert len(running) >= 3, f"only {len(running)} samples while the worker ran: {[s.text[:30] for s in samples]}"
    assert_grows([s.points for s in running], "points drawn by the thread's task")
    # The worker's own board, in the cell where the thread started.
    assert all(s.figures == 1 for s in samples), [s.figures for s in samples]

    nb.wait_until(lambda: "worker · succeeded" in nb.snapshot(1).text, 15, "the worker's final board")
    assert nb.snapshot(1).points >= samples[-1].points
    nb.assert_no_widget_errors()
    shoot(nb, "final")
