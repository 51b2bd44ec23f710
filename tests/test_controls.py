"""A chart's controls over a recording comm: what the front end is told, what its two
requests (zoom, CSV) send back, the subshell routing, and the transport left unchanged."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from typing import Any

import comm
import numpy as np
import pytest

import cellflux as cf
from cellflux import config
from cellflux.display.board import Board
from cellflux.display.chart import Chart
from cellflux.display.controls import ChartControls, listen_where_sent
from cellflux.runtime import Runtime

from .recording_comm import RecordingComm, updates


class BufferComm(RecordingComm):
    buffers: list[tuple[str, dict[str, Any], list[bytes]]] = []
    """(comm id, data, buffers) of each message."""

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        super().publish_msg(msg_type, data, metadata, buffers, **keys)
        BufferComm.buffers.append((self.comm_id, data or {}, [bytes(b) for b in buffers or ()]))


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: BufferComm(**kw))
    RecordingComm.log.clear()
    BufferComm.buffers.clear()
    yield
    config.update(controls=True)


def board_with(rt: Runtime, points: int, *, key: str = "loss", controls: bool = True) -> tuple[Board, Chart, Any]:
    config.update(controls=controls)
    group = cf.MetricGroup("training", units="step")
    metric = cf.Metric(key, group=group, throttle=None)
    metric.record(0.0, at=0)
    exe = cf.current_execution()
    series = exe.buffers[key]
    xs = np.arange(1, points, dtype=float)
    series.extend(xs, np.sin(xs / 100))
    board = Board(exe)
    board.add_series(series)
    board.tick(1 << 30)
    return board, board.charts[0], series


def custom(controls: ChartControls) -> list[dict[str, Any]]:
    """The custom messages the controls sent to the front end."""
    return [data["content"] for cid, kind, data in RecordingComm.log
            if cid == controls.comm.comm_id and data.get("method") == "custom"]


def states_of(widget: Any, since: int) -> list[dict[str, Any]]:
    return [state for cid, state in updates(since) if cid == widget.comm.comm_id]


def test_the_front_end_is_told_where_each_model_is(rt: Runtime, recorded: None) -> None:
    board, chart, _ = board_with(rt, 100)
    controls = chart.controls
    assert controls is not None and controls in chart.row.children
    meta = controls.meta
    assert meta["figure"] == chart.figure.model_id and meta["x_scale"] == chart.x_scale.model_id
    assert meta["x_axis"] == chart.x_axis.model_id
    assert meta["x_units"] == "step" and meta["title"] == "training"
    assert meta["lines"] == [{"key": "loss", "mark": chart.lines["loss"].mark.model_id, "axis": 0,
                              "colour": chart.colours["loss"]}]
    assert [a["scale"] for a in meta["axes"]] == [s.model_id for s in chart.y_scales]
    assert chart.figure.display_toolbar is False  # bqplot's pan-zoom would sync every move
    # a new metric on the chart: the front end hears of it in one message
    before = len(RecordingComm.log)
    cf.Metric("acc", group=cf.MetricGroup("training", units="step"), scale=cf.MetricScale(units="%")).record(1, at=0)
    board.add_series(cf.current_execution().buffers["acc"])
    board.tick(1 << 30)
    metas = [s["meta"] for s in states_of(controls, before) if "meta" in s]
    assert len(metas) == 1 and [line["key"] for line in metas[0]["lines"]] == ["loss", "acc"]
    assert metas[0]["axes"][1]["units"] == "%"


def test_a_zoom_draws_the_stored_points_of_the_window_and_keeps_the_x_range_to_the_front_end(
    rt: Runtime, recorded: None
) -> None:
    board, chart, series = board_with(rt, 100_000)
    controls = chart.controls
    assert controls is not None
    mark = chart.lines["loss"].mark
    before = len(RecordingComm.log)
    controls._receive(None, {"kind": "zoom", "seq": 7, "low": 500.5, "high": 700.0}, [])
    stored_x, stored_y = series.read(500, 702)  # the point before the window, the window, the one after
    np.testing.assert_array_equal(mark.x, stored_x)
    np.testing.assert_array_equal(mark.y, stored_y)
    assert custom(controls)[-2:] == [{"kind": "ack", "seq": 7}, {"kind": "zoomed", "seq": 7}]
    # new points past the window: the line is not sent again, nor the x range
    since = len(RecordingComm.log)
    series.extend(np.arange(100_000, 100_500, dtype=float), np.zeros(500))
    board.tick(1 << 30)
    assert states_of(mark, since) == [] and states_of(chart.x_scale, since) == []
    assert states_of(chart.stats, since)  # the table still follows the run
    # back to the full range: the whole line (decimated) and the x range again
    controls._receive(None, {"kind": "zoom", "seq": 8, "low": None, "high": None}, [])
    assert len(mark.x) <= 2000 and mark.x[-1] == 100_499.0
    assert any("max" in s for s in states_of(chart.x_scale, before))
    assert chart.x_scale.max >= 100_499


def test_a_window_over_the_latest_points_takes_the_new_ones(rt: Runtime, recorded: None) -> None:
    board, chart, series = board_with(rt, 1000)
    controls = chart.controls
    assert controls is not None
    controls._receive(None, {"kind": "zoom", "seq": 1, "low": 900.0, "high": 2000.0}, [])
    series.extend(np.arange(1000, 1100, dtype=float), np.ones(100))
    board.tick(1 << 30)
    mark = chart.lines["loss"].mark
    assert mark.x[0] == 899.0 and mark.x[-1] == 1099.0 and len(mark.x) == 201


def test_bad_requests_are_answered_with_an_error_and_change_nothing(rt: Runtime, recorded: None) -> None:
    _, chart, _ = board_with(rt, 100)
    controls = chart.controls
    assert controls is not None
    with pytest.warns(cf.CellfluxWarning):
        controls._receive(None, {"kind": "zoom", "seq": 3, "low": 5.0, "high": float("nan")}, [])
    assert custom(controls)[-1]["kind"] == "error" and chart.window is None
    controls._receive(None, {"kind": "zoom"}, [])  # no sequence number: not a request of ours
    assert custom(controls)[-1]["seq"] == 3


def test_save_csv_sends_every_stored_point_in_chunks(rt: Runtime, recorded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from cellflux.display import export

    monkeypatch.setattr(export, "CHUNK_BYTES", 10_000)
    _, chart, series = board_with(rt, 5000, key="=HYPERLINK(\"x\")")
    controls = chart.controls
    assert controls is not None
    controls._receive(None, {"kind": "csv", "seq": 2}, [])
    parts = [(data["content"], bufs) for cid, data, bufs in BufferComm.buffers
             if cid == controls.comm.comm_id and data.get("content", {}).get("kind") == "csv"]
    assert len(parts) > 5 and [c["last"] for c, _ in parts] == [False] * (len(parts) - 1) + [True]
    assert {c["name"] for c, _ in parts} == {"training.csv"}
    rows = list(csv.reader(io.StringIO(b"".join(b for _, bufs in parts for b in bufs).decode())))
    assert rows[0] == ["step", "'=HYPERLINK(\"x\")"]
    assert len(rows) - 1 == len(series) == 5000


def test_comm_messages_stay_on_the_subshell_they_were_sent_to() -> None:
    class KernelComm:
        def __init__(self) -> None:
            self.asked: list[Any] = []

        def _reply_subshell_for(self, data: Any, default: Any) -> Any:
            self.asked.append(default)
            return None  # ipykernel 7.4: the main shell, where the widget was last updated from

    kernel_comm = KernelComm()
    assert listen_where_sent(kernel_comm)
    assert kernel_comm._reply_subshell_for({}, "subshell-1") == "subshell-1"
    assert kernel_comm.asked == ["subshell-1"]  # ipykernel's own bookkeeping still runs
    assert not listen_where_sent(object())  # other kernels: nothing to change


def test_the_transport_is_the_same_with_and_without_controls_when_nobody_touches_the_chart(
    rt: Runtime, recorded: None
) -> None:
    counts = {}
    for controls in (True, False):
        board, chart, series = board_with(rt, 1000, key=f"loss{controls}", controls=controls)
        before = len(RecordingComm.log)
        for tick in range(20):
            start = 1000 + 50 * tick
            series.extend(np.arange(start, start + 50, dtype=float), np.cos(np.arange(50.0)))
            board.tick(1 << 30)
        counts[controls] = len(RecordingComm.log) - before
    assert counts[True] == counts[False] > 0


def test_requests_run_beside_the_ticks_of_a_recording_loop(rt: Runtime, recorded: None) -> None:
    # A subshell runs the handler in a thread of its own while the cell records and the
    # ticker sends: the board's lock keeps the two apart.
    board, chart, series = board_with(rt, 10_000)
    controls = chart.controls
    assert controls is not None
    errors: list[BaseException] = []

    def user() -> None:
        try:
            for seq in range(200):
                low = float(seq * 40)
                window = {"low": low, "high": low + 500.0} if seq % 3 else {"low": None, "high": None}
                controls._receive(None, {"kind": "zoom", "seq": seq, **window}, [])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    thread = threading.Thread(target=user)
    thread.start()
    x = 10_000.0
    while thread.is_alive():
        series.extend(np.arange(x, x + 100), np.zeros(100))
        x += 100
        board.tick(1 << 30)
    thread.join()
    assert errors == [] and not board.broken
    assert not [c for c in custom(controls) if c["kind"] == "error"]
    controls._receive(None, {"kind": "zoom", "seq": 999, "low": None, "high": None}, [])
    board.tick(1 << 30)
    assert chart.lines["loss"].mark.x[-1] == x - 1
