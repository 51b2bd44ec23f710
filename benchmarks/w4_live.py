"""W4 live view: 10 metrics recorded in a tight loop for ``seconds``, drawn live.

Everything the tool sends to the (recorded) front end is counted: messages/s
and bytes/s during the loop, the peak rate over 3 s (Jupyter's server drops
iopub messages past 1000/s over 3 s), and how many loop steps per second the
training thread still made while the view was live.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import frontend
from .harness import Tool

KEYS = tuple(f"m{k}" for k in range(10))
Step = Callable[[int, list[float]], None]


def tools(quick: bool) -> list[Tool]:
    p = {"seconds": 2.0 if quick else 10.0}
    return [
        Tool("cellflux board", "w4_live", "cellflux_board", ("cellflux",), p,
             "10 metrics on one chart, record(v, at=step), default throttle; store on; chart controls on"),
        Tool("cellflux board, controls off", "w4_live", "cellflux_board", ("cellflux",), {**p, "controls": False},
             "the same with configure(controls=False): no hover, zoom, log, smoothing, save"),
        Tool("tqdm.notebook + set_postfix", "w4_live", "tqdm_postfix", ("tqdm", "ipywidgets"), {**p, "refresh": True},
             "10 values as postfix text, set_postfix() defaults (refresh=True)"),
        Tool("tqdm.notebook + set_postfix(refresh=False)", "w4_live", "tqdm_postfix", ("tqdm", "ipywidgets"),
             {**p, "refresh": False}, "refreshed by tqdm's 0.1 s mininterval"),
        Tool("plotly FigureWidget", "w4_live", "plotly_widget", ("plotly", "anywidget"), p,
             "10 traces, x/y reassigned per step in batch_update()"),
        Tool("livelossplot", "w4_live", "livelossplot_live", ("livelossplot",), p,
             "update() + send() per step: PNG via the inline backend"),
    ]


def _run(step: Step, seconds: float) -> dict[str, Any]:
    """Call ``step`` with new values until ``seconds`` have passed; the sent traffic."""
    start = time.perf_counter()
    stop = start + seconds
    i = 0
    values = [0.0] * len(KEYS)
    while time.perf_counter() < stop:
        for k in range(len(KEYS)):
            values[k] = 1.0 / (i + 1) + k
        step(i, values)
        i += 1
    end = time.perf_counter()
    sent = frontend.summary(start, end)
    return {"steps_per_s": i / (end - start), "steps": i, **sent, "loop_end": end}


def _closed(result: dict[str, Any]) -> dict[str, Any]:
    """Add what the end of the run sent (final values, static snapshot), then drop the timer."""
    end = result.pop("loop_end")
    n, size = frontend.WIRE.count(end, float("inf"))
    result["closing_messages"], result["closing_bytes"] = n, size
    if isinstance(sys.stdout, frontend.WireStream):
        sys.stdout.close()
    result["kinds"] = dict(frontend.WIRE.kinds)
    return result


def cellflux_board(params: dict[str, Any]) -> dict[str, Any]:
    frontend.install()
    import cellflux as cf

    cf.configure(store=str(Path(params["workdir"]) / "store.sqlite"), controls=params.get("controls", True))
    frontend.cellflux_board()
    scale = cf.MetricScale("value")
    metrics = [cf.Metric(key, group="training", scale=scale) for key in KEYS]

    @cf.task
    def train() -> dict[str, Any]:
        def step(i: int, values: list[float]) -> None:
            for metric, value in zip(metrics, values):
                metric.record(value, at=i)

        return _run(step, params["seconds"])

    result = train()  # the end of the task pushes the final values and the static snapshot
    cf.flush()
    return _closed(result)


def tqdm_postfix(params: dict[str, Any]) -> dict[str, Any]:
    frontend.install()
    from tqdm.notebook import tqdm

    bar = tqdm()
    refresh = params["refresh"]

    def step(i: int, values: list[float]) -> None:
        bar.set_postfix(dict(zip(KEYS, values)), refresh=refresh)
        bar.update(1)

    result = _run(step, params["seconds"])
    bar.close()
    return _closed(result)


def plotly_widget(params: dict[str, Any]) -> dict[str, Any]:
    frontend.install()
    import plotly.graph_objects as go
    from IPython.display import display

    figure = go.FigureWidget(data=[go.Scatter(x=[], y=[], name=key) for key in KEYS])
    display(figure)
    xs: list[int] = []
    ys: list[list[float]] = [[] for _ in KEYS]

    def step(i: int, values: list[float]) -> None:
        xs.append(i)
        for column, value in zip(ys, values):
            column.append(value)
        with figure.batch_update():
            for trace, column in zip(figure.data, ys):
                trace.x = xs
                trace.y = column

    return _closed(_run(step, params["seconds"]))


def livelossplot_live(params: dict[str, Any]) -> dict[str, Any]:
    frontend.install(matplotlib=True)
    from livelossplot import PlotLosses

    plot = PlotLosses(mode="notebook")

    def step(i: int, values: list[float]) -> None:
        plot.update(dict(zip(KEYS, values)))
        plot.send()

    return _closed(_run(step, params["seconds"]))
