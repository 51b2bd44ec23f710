"""The text/plain summary: name, status, duration, aligned per-metric columns, progress counts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import cellflux as cf
from cellflux.display.static import BoardView, board_view
from cellflux.display.summary import summarize
from cellflux.execution import Execution
from cellflux.runtime import Runtime, use_runtime


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


class Capture:
    def __init__(self) -> None:
        self.ended: list[Execution] = []

    def execution_started(self, execution: Execution) -> None:
        pass

    def series_created(self, series: Any) -> None:
        pass

    def execution_ended(self, execution: Execution) -> None:
        self.ended.append(execution)

    def flush(self) -> None:
        pass


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def run(clock: FakeClock) -> Iterator[Callable[[Callable[[], None]], Execution]]:
    rt = Runtime(clock=clock, wall=clock, flusher_thread=False)
    capture = Capture()
    rt.add_sink(capture)

    def go(body: Callable[[], None]) -> Execution:
        with use_runtime(rt):
            try:
                cf.task("train")(body)()
            except (RuntimeError, KeyboardInterrupt):
                pass
        return capture.ended[-1]

    yield go


def test_summary_lists_every_metric_in_aligned_columns(run: Any, clock: FakeClock) -> None:
    def body() -> None:
        group = cf.MetricGroup("training", units="epoch")
        loss = cf.Metric("loss", group=group, throttle=None)
        accuracy = cf.Metric("accuracy", group=group, scale=cf.MetricScale(units="%"), throttle=None)
        for epoch in cf.progress(range(12), key="epoch", group=group):
            clock.now += 1.5
            loss.record(3.0 / (epoch + 1), at=epoch)
            accuracy.record(7.5 * epoch, at=epoch)

    assert summarize(run(body)).splitlines() == [
        "train · succeeded · 18.0 s",
        "  metric    last   min   max  count",
        "  epoch     12/12 (done)",
        "  loss      0.25  0.25     3     12",
        "  accuracy  82.5     0  82.5     12",
    ]


def test_progress_shows_count_total_and_state(run: Any) -> None:
    def stopped() -> None:
        for i in cf.progress(range(100), key="batch"):
            if i == 37:
                break

    def failed() -> None:
        for i in cf.progress(range(10), key="epoch"):
            if i == 4:
                raise RuntimeError("diverged")

    def interrupted() -> None:
        for i in cf.progress(iter(range(50)), key="stream"):  # no len(): no total
            if i == 20:
                raise KeyboardInterrupt

    assert summarize(run(stopped)).splitlines()[1:] == ["  batch  37/100 (stopped)"]
    failed_text = summarize(run(failed))
    assert failed_text.splitlines()[0].startswith("train · failed · ")
    assert failed_text.splitlines()[1:] == ["  epoch  4/10 (failed)"]
    interrupted_text = summarize(run(interrupted))
    assert interrupted_text.splitlines()[0].startswith("train · interrupted · ")
    assert interrupted_text.splitlines()[1:] == ["  stream  20 (stopped)"]


def test_no_memory_addresses_and_keys_stay_on_one_line(run: Any) -> None:
    def body() -> None:
        cf.Metric("evil\nkey\x1b[31m", throttle=None).record(np.float32(1.5), at=0)
        cf.Metric("<script>alert(1)</script>", throttle=None).record(float("inf"), at=0)

    with pytest.warns(cf.CellfluxWarning):
        text = summarize(run(body))
    assert not re.search(r"0x[0-9a-f]{6,}|object at", text)
    assert len(text.splitlines()) == 4
    assert "  evil\\nkey\\x1b[31m" in text
    row = [line for line in text.splitlines() if "<script>" in line][0]
    assert row.split()[1:] == ["inf", "nan", "nan", "1"], "an infinite last value; no finite min/max"


def test_running_execution_duration_and_empty_board() -> None:
    view = BoardView("cell [3]", "running", started_at=100.0, ended_at=None, now=175.0)
    assert summarize(view) == "cell [3] · running · 1 min 15 s"
    assert summarize(board_view(view)) == summarize(view)
