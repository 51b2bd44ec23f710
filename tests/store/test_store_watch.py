"""A watcher never drops points: not even those of a metric whose first batch commits while it reads."""

from __future__ import annotations

from typing import Any

import numpy as np

from cellflux.display.replay import Watcher
from cellflux.display.ticker import Ticker
from cellflux.store.read import stored_execution
from cellflux.store.records import Batch, ExecutionRecord, PointBatch, PointRun

from .backends import Backend

RUNNING = ExecutionRecord("live1", "live", "task", None, "running", 1.0, None, 1)


def _points(seq: int, key: str = "loss", n: int = 3) -> Batch:
    xs = np.arange(n, dtype=float) + seq * n
    return Batch(points=[PointRun("live1", key, xs, xs * 2)], writer="writer", seq=seq, host="elsewhere")


class CommitWhileReading:
    """The watcher's store, with a batch committed by another writer just before a read of points:
    after the watcher read the metric definitions, before it reads the points."""

    def __init__(self, store: Any, writer: Any) -> None:
        self.store, self.writer = store, writer
        self.next: Batch | None = None

    def read_points(self, execution_id: str, after: int = 0, **options: Any) -> PointBatch:
        if self.next is not None:
            self.writer.write(self.next)
            self.next = None
        result: PointBatch = self.store.read_points(execution_id, after=after, **options)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_points_of_a_metric_that_commits_between_the_definitions_and_the_points_are_kept(backend: Backend) -> None:
    writer = backend.store()
    writer.write(Batch(executions=[RUNNING], writer="writer", seq=0, host="elsewhere"))
    watcher = Watcher(stored_execution("live1", backend.where), lambda b, p: 0, lambda b, h: None, Ticker(thread=False))
    store = watcher.store = CommitWhileReading(watcher.store, writer)
    try:
        watcher.start(thread=False)
        for seq, key in [(1, "loss"), (2, "loss"), (3, "accuracy")]:  # a new metric, points of a known one, another new one
            store.next = _points(seq, key)
            watcher.poll()
        assert store.next is None
        assert watcher.series["loss"].read()[0].tolist() == [3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
        assert watcher.series["accuracy"].read()[1].tolist() == [18.0, 20.0, 22.0]
    finally:
        watcher.stop()
        writer.close()
