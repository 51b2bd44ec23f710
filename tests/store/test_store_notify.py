"""LISTEN/NOTIFY: a watcher of a PostgreSQL store is woken by the commit, not by its polling period."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

import cellflux as cf
from cellflux.display.replay import watch
from cellflux.display.ticker import Ticker
from cellflux.identity import process_identity
from cellflux.store.locate import store_at
from cellflux.store.records import Batch, ExecutionRecord, PointRun

RECORD = ExecutionRecord("live1", "live", "task", None, "running", 1.0, None, 1)


def _points(seq: int, n: int = 3, host: str = "elsewhere") -> Batch:
    xs = np.arange(n, dtype=float) + seq * n
    return Batch(points=[PointRun("live1", "loss", xs, xs * 2)], writer="writer", seq=seq, host=host)


def test_a_watcher_wakes_at_the_commit_not_at_its_polling_period(pg_url: str) -> None:
    writer = store_at(pg_url)
    writer.write(Batch(executions=[RECORD], writer="writer", seq=0, host="elsewhere"))
    grew = threading.Event()
    seen: list[int] = []

    class Screen:
        def display(self, bundle: dict[str, Any], parent: Any) -> int:
            return 0

        def update(self, bundle: dict[str, Any], handle: Any) -> None:
            pass

    # Polling once an hour: only a notification can bring the points in time.
    watcher = watch("live1", store=pg_url, interval=3600.0, display=Screen().display, update=Screen().update,
                    ticker=Ticker(thread=False))
    listener = getattr(watcher.changes, "listener")
    assert listener.listening.wait(30)
    original = watcher.poll

    def poll() -> bool:
        running = original()
        series = watcher.series.get("loss")
        seen.append(len(series) if series is not None else 0)
        if seen[-1] >= 6:
            grew.set()
        return running

    watcher.poll = poll  # type: ignore[method-assign]
    writer.write(_points(1))
    writer.write(_points(2))
    assert grew.wait(30), f"the watcher read {seen} points without waking"
    writer.write(Batch(ended=[ExecutionRecord("live1", "live", "task", None, "succeeded", 1.0, 2.0, 1)],
                       writer="writer", seq=3, host="elsewhere"))
    assert watcher.done.wait(30)  # the end is a commit too: the board finishes
    assert watcher.series["loss"].read()[1].tolist() == [6.0, 8.0, 10.0, 12.0, 14.0, 16.0]
    writer.close()


def test_a_feed_of_other_processes_is_not_woken_by_its_own_commits(pg_url: str) -> None:
    writer, reader = store_at(pg_url), store_at(pg_url)
    writer.write(Batch(executions=[RECORD], writer="writer", seq=0, host="elsewhere"))
    mine = reader.changes(["live1"], others_only=True)
    every = reader.changes(["live1"])
    assert getattr(mine, "listener").listening.wait(30)
    mine.wait(0), every.wait(0)  # the wake-up every subscription gets when listening starts
    writer.write(_points(1, host=process_identity().host))  # a commit of this very process
    assert every.wait(30)
    assert not mine.wait(0)
    writer.write(_points(2, host="elsewhere"))  # another process's
    assert mine.wait(30)
    for closing in (mine, every, writer, reader):
        closing.close()
    assert cf.stored_execution("live1", pg_url).series("loss")[0].tolist() == [3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
