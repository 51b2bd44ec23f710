"""The live board over a recording comm: layout, messages, final values, escaping."""

from __future__ import annotations

import base64
import re
import threading
from html.parser import HTMLParser
from collections.abc import Iterator
from typing import Any

import comm
import numpy as np
import pytest

import cellflux as cf
from cellflux.display.board import WIDGET_MIME, Board
from cellflux.display.board_sink import BoardSink
from cellflux.display.chart import Chart
from cellflux.display.layout import AxisSpec, ChartSpec, LineSpec
from cellflux.display.ticker import Budget, Ticker
from cellflux.runtime import Runtime

from .conftest import FakeClock
from .fakes import Screen
from .recording_comm import RecordingComm, updates


@pytest.fixture
def screen(rt: Runtime, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Screen, BoardSink]]:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(**kw))
    RecordingComm.log.clear()
    scr = Screen()
    sink = BoardSink(rt, display=scr.display, update=scr.update,
                     ticker=Ticker(Budget(clock=clock), thread=False))
    rt.add_sink(sink)
    yield scr, sink


def board_of(sink: BoardSink, exe: cf.Execution) -> Board:
    return sink.boards[exe.id]


def train(epochs: int = 5) -> cf.Execution:
    group = cf.MetricGroup("training", units="epoch")
    loss = cf.Metric("loss", group=group, scale=cf.MetricScale(units=""))
    acc = cf.Metric("accuracy", group=group, scale=cf.MetricScale(units="%", lower=0, upper=100))

    @cf.task
    def run() -> cf.Execution:
        for epoch in cf.progress(range(epochs), key="epoch", group=group):
            loss.record(1.0 / (epoch + 1), at=epoch)
            acc.record(50.0 + epoch, at=epoch)
        return cf.current_execution()

    return run()


def test_one_board_per_execution_displayed_once_then_updated_at_the_end(screen: tuple[Screen, BoardSink]) -> None:
    scr, sink = screen
    exe = train()
    # two outputs: the live widget, and the static board that saved notebooks show
    assert len(scr.shown) == 2 and WIDGET_MIME in scr.shown[0] and WIDGET_MIME not in scr.shown[1]
    assert sorted(handle for handle, _ in scr.updated) == [0, 1]
    final = dict(scr.updated)
    assert final[0][WIDGET_MIME] == scr.shown[0][WIDGET_MIME]
    # charts travel as SVG images, which survive the sanitiser of untrusted notebooks
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', final[1]["text/html"])
    assert any('class="cellflux-chart"' in base64.b64decode(i).decode() for i in images)
    assert "train" in final[1]["text/plain"] and "succeeded" in final[1]["text/plain"]
    assert all("object at 0x" not in bundle["text/plain"] for bundle in final.values())
    assert exe.status == "succeeded"


def test_a_new_board_is_laid_out_then_shown_then_gets_its_first_point(screen: tuple[Screen, BoardSink],
                                                                      rt: Runtime) -> None:
    # The recording thread lays the first chart out, displays the board, and sends its first
    # point, so the front end draws it in one pass without waiting for the ticker thread.
    scr, sink = screen
    opened_at_display: list[set[str]] = []

    def display(bundle: dict[str, Any], parent: Any) -> int:
        opened_at_display.append(opened_models())
        return scr.display(bundle, parent)

    sink._display = display
    loss = cf.Metric("loss", group=cf.MetricGroup("training", units="epoch"), throttle=None)
    loss.record(0.5, at=0)
    board = board_of(sink, cf.current_execution())
    assert {"FigureModel", "LinesModel", "HBoxModel"} <= opened_at_display[0]
    assert len(board.box.children) == 2  # the header, then the chart's row
    assert list(board.charts[0].lines["loss"].mark.y) == [0.5]  # no ticker round yet
    start = len(RecordingComm.log)
    loss.record(0.25, at=1)  # later points wait for the ticker
    assert len(RecordingComm.log) == start
    sink.ticker.tick_all()
    assert list(board.charts[0].lines["loss"].mark.y) == [0.5, 0.25]


def test_a_layout_fault_in_the_recording_thread_never_reaches_record(
    screen: tuple[Screen, BoardSink], rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The recording thread lays a new board out: a widget that fails there stops the board
    # with one warning, the board is still shown, and every point is kept.
    scr, sink = screen

    def broken_chart(*args: Any, **kwargs: Any) -> Chart:
        raise RuntimeError("no comm")

    monkeypatch.setattr("cellflux.display.board.Chart", broken_chart)
    loss = cf.Metric("loss", throttle=None)

    @cf.task
    def run() -> cf.Execution:
        for step in range(5):
            loss.record(float(step), at=step)
            sink.ticker.tick_all()
        return cf.current_execution()

    with pytest.warns(cf.CellfluxWarning, match="stopped updating") as caught:
        exe = run()
    assert len([w for w in caught if "stopped updating" in str(w.message)]) == 1
    assert exe.status == "succeeded"
    assert list(exe.series("loss")[1]) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert len(scr.shown) == 2 and WIDGET_MIME in scr.shown[0]  # shown, then replaced by the final copy
    assert "loss" in dict(scr.updated)[1]["text/plain"]
    assert sink in rt.sinks and board_of_any(sink) is None  # the sink goes on for the next run


def board_of_any(sink: BoardSink) -> Board | None:
    return next(iter(sink.boards.values()), None)


def test_the_recording_thread_never_waits_for_the_ticker_nor_reads_the_store(screen: tuple[Screen, BoardSink],
                                                                               rt: Runtime) -> None:
    # tick_here (a board's first point, from record()) skips a board the ticker thread is
    # visiting, and leaves worker processes' points (a store read) to the ticker.
    loss = cf.Metric("loss", throttle=None)
    loss.record(1.0, at=0)
    exe = cf.current_execution()
    board = Board(exe, rt.clock)  # a second board of the run, not drawn yet
    polls: list[bool] = []

    class Feed:
        def poll(self, add: Any, taken: Any, *, force: bool = False) -> None:
            polls.append(force)

    board.feed = Feed()  # type: ignore[assignment]
    board.add_series(exe.buffers["loss"])
    held, done = threading.Event(), threading.Event()

    def ticker_thread() -> None:  # in the middle of a visit until tick_here returned
        with board._lock:
            held.set()
            done.wait(60)  # a deadlock breaker: a waiting tick_here would return > 0 after it

    thread = threading.Thread(target=ticker_thread)
    thread.start()
    assert held.wait(60)
    try:
        assert board.tick_here(100) == 0
    finally:
        done.set()
        thread.join()
    assert not board.drawn and polls == []
    assert board.tick_here(100) > 0 and board.drawn and polls == []
    board.tick(100)
    assert polls == [False]


def opened_models() -> set[str]:
    return {data["state"]["_model_name"] for _, kind, data in RecordingComm.log if kind == "comm_open"}


def test_chart_gets_two_axes_units_and_bounds_and_final_values(screen: tuple[Screen, BoardSink], rt: Runtime) -> None:
    scr, sink = screen
    group = cf.MetricGroup("training", units="epoch")
    loss = cf.Metric("loss", group=group, scale=cf.MetricScale(units="nats"))
    acc = cf.Metric("accuracy", group=group, scale=cf.MetricScale(units="%", lower=0, upper=100))
    for epoch in range(5):
        loss.record(1.0 / (epoch + 1), at=epoch)
        acc.record(50.0 + epoch, at=epoch)
    exe = cf.current_execution()
    board = board_of(sink, exe)
    rt.flush()
    (chart,) = board.charts
    assert chart.x_axis.label == "epoch"
    axes = chart.figure.axes[1:]
    assert [a.side for a in axes] == ["left", "right"]
    assert [a.label for a in axes] == ["loss (nats)", "accuracy (%)"]
    assert (chart.y_scales[1].min, chart.y_scales[1].max) == (0, 100)
    assert chart.lines["loss"].mark.y[-1] == pytest.approx(0.2)
    assert chart.lines["accuracy"].mark.y[-1] == 54.0
    # A tight loop at the default 10 values/s: the first and the final point.
    assert list(chart.lines["accuracy"].mark.x) == [0, 4]


def test_named_scales_share_an_axis_unnamed_ones_do_not(screen: tuple[Screen, BoardSink], rt: Runtime) -> None:
    _, sink = screen
    shared = cf.MetricScale("loss", units="nats")
    for key in ("train", "val"):
        cf.Metric(key, group="g", scale=shared).record(1.0)
    cf.Metric("lr", group="g").record(0.1)
    cf.Metric("grad", group="g", scale=cf.MetricScale(units="")).record(3.0)
    cf.Metric("alone").record(2.0)
    rt.flush()
    board = board_of(sink, cf.current_execution())
    g, alone = board.charts
    assert [a.label for a in g.figure.axes[1:]] == ["loss (nats)", "lr", "grad"]
    assert [a.side for a in g.figure.axes[1:]] == ["left", "right", "left"]
    assert g.spec.lines[0].axis == g.spec.lines[1].axis == 0
    assert shown(alone.title.value) == ("alone", "alone") and alone.x_axis.label == "time (s)"


def test_progress_bars_reach_n_of_n(screen: tuple[Screen, BoardSink]) -> None:
    import struct

    _, sink = screen
    boards: list[Board] = []

    @cf.task
    def run() -> None:
        for _ in cf.progress(range(7), key="epoch", group="training"):
            if not boards:
                boards.append(board_of(sink, cf.current_execution()))
            cf.Metric("loss", group="training").record(1.0)

    run()
    (spec, widget), = boards[0].bars
    assert spec.title == "training" and widget.labels == ["epoch"] and widget.states == ["done"]
    count, total, elapsed, rate = struct.unpack("<4d", widget.data)
    assert (count, total) == (7.0, 7.0)
    # bars sit above their group's chart
    children = boards[0].box.children
    assert children.index(widget) == len(children) - 2
    assert children[-1] is boards[0].charts[0].row


def test_final_values_always_arrive(screen: tuple[Screen, BoardSink], rt: Runtime) -> None:
    scr, sink = screen
    m = cf.Metric("loss")
    boards: list[Board] = []

    @cf.task
    def run() -> None:
        for i in range(10_000):
            m.record(float(i))
            if i == 0:
                boards.append(board_of(sink, cf.current_execution()))

    run()
    line = boards[0].charts[0].lines["loss"]
    assert line.mark.y[-1] == 9999.0


def test_message_budget_holds_for_many_metrics(screen: tuple[Screen, BoardSink], rt: Runtime, clock: FakeClock) -> None:
    _, sink = screen
    metrics = [cf.Metric(f"m{i}", throttle=None) for i in range(100)]
    start = len(RecordingComm.log)
    sent = 0
    for step in range(50):  # five simulated seconds, ten ticks each
        for m in metrics:
            m.record(float(step))
        clock.advance(0.1)
        sent += sink.ticker.tick_all()
    msgs = [u for u in updates(start)]
    assert sent <= 60 * 5 + 60  # one second's burst, then 60/s
    assert len(msgs) <= sent + 5


def test_one_message_per_widget_per_tick(screen: tuple[Screen, BoardSink], rt: Runtime, clock: FakeClock) -> None:
    _, sink = screen
    a, b = cf.Metric("a", group="g", throttle=None), cf.Metric("b", group="g", throttle=None)
    for i in range(10):
        a.record(float(i))
        b.record(float(-i))
    sink.ticker.tick_all()
    start = len(RecordingComm.log)
    for i in range(10, 20):
        a.record(float(i))
        b.record(float(-i))
    clock.advance(0.1)
    sink.ticker.tick_all()
    ids = [cid for cid, _ in updates(start)]
    assert len(ids) == len(set(ids)) >= 2


def test_decimation_keeps_spikes_and_bounds_points(screen: tuple[Screen, BoardSink], rt: Runtime) -> None:
    _, sink = screen
    m = cf.Metric("noisy", throttle=None)
    for i in range(100_000):
        m.record(1000.0 if i == 54_321 else float(i % 7))
    rt.flush()
    line = board_of(sink, cf.current_execution()).charts[0].lines["noisy"]
    assert len(line.mark.y) <= 2100
    assert float(np.nanmax(line.mark.y)) == 1000.0
    assert (line.min, line.max, line.count) == (0.0, 1000.0, 100_000)


def test_non_finite_values_are_gaps(screen: tuple[Screen, BoardSink], rt: Runtime) -> None:
    _, sink = screen
    m = cf.Metric("gappy", throttle=None)
    with pytest.warns(cf.CellfluxWarning):
        for v in (1.0, float("nan"), float("inf"), 2.0):
            m.record(v)
    rt.flush()
    y = board_of(sink, cf.current_execution()).charts[0].lines["gappy"].mark.y
    assert np.isnan(y).sum() >= 1 and not np.isinf(y).any()


HOSTILE = "<img src=x onerror=alert(1)>"


class _Line(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text += data


def shown(markup: str) -> tuple[str, str | None]:
    """What a browser makes of a title line: its text, and its title attribute (one div, nothing else)."""
    parser = _Line()
    parser.feed(markup)
    parser.close()
    ((tag, attrs),) = parser.tags
    assert tag == "div" and not any(name.startswith("on") for name in attrs)
    return parser.text, attrs.get("title")


def test_hostile_key_reaches_the_front_end_only_as_text(screen: tuple[Screen, BoardSink], rt: Runtime) -> None:
    _, sink = screen
    m = cf.Metric(HOSTILE, group=cf.MetricGroup(HOSTILE, units=HOSTILE), scale=cf.MetricScale(units=HOSTILE))
    boards: list[Board] = []

    @cf.task(name=HOSTILE + "t")
    def run() -> None:
        m.record(1.0)
        for _ in cf.progress(range(2), key=HOSTILE + "p"):
            pass
        boards.append(board_of(sink, cf.current_execution()))

    run()
    html_values = []
    for _, kind, data in RecordingComm.log:
        state = data.get("state", {})
        model = state.get("_model_name")
        if model == "HTMLModel" or ("value" in state and "<table" in str(state.get("value"))):
            html_values.append(str(state.get("value", "")))
    assert html_values and all("<img" not in v for v in html_values)
    assert any("&lt;img" in v for v in html_values)
    board = boards[0]
    chart = board.charts[0]
    # The title line shows the name as text and has it whole in a title attribute, with the y label cut on the axis.
    assert shown(chart.title.value) == (HOSTILE, f"{HOSTILE}\naxis: {HOSTILE} ({HOSTILE})")
    assert shown(board.header.value) == (f"{HOSTILE}t · succeeded",) * 2
    assert chart.x_axis.label == HOSTILE  # bqplot draws axis labels as SVG text
    assert chart.y_axes[0].label == "<img src=x onerror=a…lert(1)>)"


def test_board_repr_is_clean(screen: tuple[Screen, BoardSink], rt: Runtime) -> None:
    _, sink = screen
    cf.Metric("x").record(1.0)
    board = board_of(sink, cf.current_execution())
    assert "object at 0x" not in repr(board)
    assert "object at 0x" not in board.mimebundle()["text/plain"]


def test_every_scale_gets_its_range_from_the_kernel(screen: tuple[Screen, BoardSink], rt: Runtime) -> None:
    # bqplot left to compute a domain from the data breaks on a single small value (ranges.py).
    _, sink = screen
    group = cf.MetricGroup("g", units="step")
    wide = cf.Metric("wide", group=group, throttle=None)
    lr = cf.Metric("lr", group=group, scale=cf.MetricScale("lr"), throttle=None)
    for step in range(100):
        wide.record(float(step * 100), at=step)
    lr.record(0.001, at=0)
    rt.flush()
    (chart,) = board_of(sink, cf.current_execution()).charts
    scales = [chart.x_scale, *chart.y_scales]
    assert all(not scale.allow_padding for scale in scales)
    assert (chart.x_scale.min, chart.x_scale.max) == (0.0, 100.0)
    assert (chart.y_scales[0].min, chart.y_scales[0].max) == (0.0, 11000.0)
    low, high = chart.y_scales[1].min, chart.y_scales[1].max
    assert low < 0.001 < high and high - low < 0.001  # one value: a narrow range around it, never zero wide


def test_a_range_goes_out_before_the_line_it_holds(
    screen: tuple[Screen, BoardSink], rt: Runtime, clock: FakeClock
) -> None:
    _, sink = screen
    m = cf.Metric("m", throttle=None)
    m.record(1.0)
    sink.ticker.tick_all()
    (chart,) = board_of(sink, cf.current_execution()).charts
    ids = {chart.y_scales[0].comm.comm_id: "scale", chart.lines["m"].mark.comm.comm_id: "line"}
    start = len(RecordingComm.log)
    m.record(1000.0)
    clock.advance(0.1)
    sink.ticker.tick_all()
    sent = [ids[cid] for cid, _ in updates(start) if cid in ids]
    assert sent == ["scale", "line"]
    assert chart.y_scales[0].max >= 1000.0


def test_a_range_held_back_by_the_budget_goes_out_later(
    screen: tuple[Screen, BoardSink], rt: Runtime, clock: FakeClock
) -> None:
    _, sink = screen
    m = cf.Metric("m", throttle=None)
    m.record(1.0)
    board = board_of(sink, cf.current_execution())
    board.tick(1 << 30)
    (chart,) = board.charts
    m.record(5000.0)
    clock.advance(0.1)
    assert board.tick(0) == 0  # no message allowed: everything waits
    assert chart.y_scales[0].max < 5000.0
    board.tick(1 << 30)
    assert chart.y_scales[0].max >= 5000.0 and chart.lines["m"].mark.y[-1] == 5000.0


def test_a_chart_without_points_yet_shows_its_bounds_or_0_to_1(screen: tuple[Screen, BoardSink]) -> None:
    spec = ChartSpec("empty", "time (s)", None, None, [AxisSpec("acc (%)", 0, None, "left", 0)], [LineSpec("acc", 0)])
    chart = Chart(spec)
    assert not [w for w, _ in chart.changes() if w in (chart.x_scale, *chart.y_scales)]  # as created
    assert (chart.x_scale.min, chart.x_scale.max, chart.y_scales[0].min, chart.y_scales[0].max) == (0, 1, 0, 1)
