"""W2 logging and W3 durable: a training loop logging 2 scalars per step.

Each job sets its tool up (untimed), times a bare loop computing the same two
values, then the logging loop of ``steps`` steps (after ``warm`` untimed
steps): the per-step cost in the training thread is the difference. Then W3:
the time from the end of the loop until the data is durable (``cf.flush()``,
``close()``, ``finish()``...), and how many of the logged points the tool kept,
read back from what it wrote.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .harness import Tool

Loop = Callable[[int, int], None]
KEYS = ("a", "b")


def tools(quick: bool) -> list[Tool]:
    def steps(full: int) -> dict[str, Any]:
        return {"steps": max(full // 10, 5) if quick else full, "warm": 10}

    many = steps(100_000)
    return [
        Tool("cellflux (default throttle=10)", "w2_logging", "cellflux", ("cellflux",), {**many, "throttle": 10},
             "record(v, at=step); store on"),
        Tool("cellflux (throttle=None)", "w2_logging", "cellflux", ("cellflux",), {**many, "throttle": None},
             "every value kept; store on"),
        Tool("cellflux (default, auto x)", "w2_logging", "cellflux", ("cellflux",),
             {**many, "throttle": 10, "auto_x": True}, "record(v): x = seconds, the gated fast path"),
        Tool("trackio (local)", "w2_logging", "trackio_log", ("trackio",), many),
        Tool("tensorboardX", "w2_logging", "tensorboardx", ("tensorboardX",), steps(20_000),
             "add_scalar x2; native crc32c installed"),
        Tool("mlflow (sqlite, sync)", "w2_logging", "mlflow_log", ("mlflow",), {**steps(300), "sync": True},
             "log_metrics({a, b}, step)"),
        Tool("mlflow (sqlite, async)", "w2_logging", "mlflow_log", ("mlflow",), {**steps(1_000), "sync": False},
             "log_metrics(..., synchronous=False)"),
        Tool("wandb (offline)", "w2_logging", "wandb_log", ("wandb",), steps(10_000), "run.log({a, b}, step)"),
        Tool("livelossplot update()", "w2_logging", "livelossplot_log", ("livelossplot",),
             {**many, "send_every": 0}, "in memory only"),
        Tool("livelossplot update()+send()", "w2_logging", "livelossplot_log", ("livelossplot",),
             {**steps(20), "send_every": 1}, "redraws its matplotlib figure each step (its live view)"),
    ]


def _bare(start: int, stop: int) -> None:
    for i in range(start, stop):
        a = 1.0 / (i + 1)
        b = a * 0.5  # noqa: F841


def _timed(loop: Loop, params: dict[str, Any]) -> dict[str, Any]:
    """Warm up, then time the bare loop and ``loop`` over the same steps."""
    warm, n = params["warm"], params["steps"]
    loop(0, warm)
    bares = []
    for _ in range(3):
        t = time.perf_counter()
        _bare(warm, warm + n)
        bares.append(time.perf_counter() - t)
    bare = sorted(bares)[1]
    t = time.perf_counter()
    loop(warm, warm + n)
    spent = time.perf_counter() - t
    return {
        "per_step_us": (spent - bare) / n * 1e6,
        "steps": n,
        "logged": 2 * (warm + n),
        "loop_end": time.perf_counter(),
    }


def _durable(result: dict[str, Any], finish: Callable[[], None] | None) -> dict[str, Any]:
    end = result.pop("loop_end")
    if finish is not None:
        finish()
        result["durable_s"] = time.perf_counter() - end
    return result


# -- cellflux -------------------------------------------------------------------------------


def cellflux(params: dict[str, Any]) -> dict[str, Any]:
    import cellflux as cf

    path = str(Path(params["workdir"]) / "store.sqlite")
    cf.configure(store=path)
    ma = cf.Metric("a", throttle=params["throttle"])
    mb = cf.Metric("b", throttle=params["throttle"])

    def at_step(start: int, stop: int) -> None:
        for i in range(start, stop):
            a = 1.0 / (i + 1)
            b = a * 0.5
            ma.record(a, at=i)
            mb.record(b, at=i)

    def auto_x(start: int, stop: int) -> None:
        for i in range(start, stop):
            a = 1.0 / (i + 1)
            b = a * 0.5
            ma.record(a)
            mb.record(b)

    result = _durable(_timed(auto_x if params.get("auto_x") else at_step, params), cf.flush)
    (run,) = cf.executions(cf.SQLiteStore(path))
    result["kept"] = sum(len(run.series(key)[0]) for key in KEYS)
    return result


# -- peers ----------------------------------------------------------------------------------


def trackio_log(params: dict[str, Any]) -> dict[str, Any]:
    import os

    os.environ["TRACKIO_DIR"] = str(Path(params["workdir"]) / "trackio")
    import trackio
    from trackio.sqlite_storage import SQLiteStorage

    name = f"run-{params['round']}"
    trackio.init(project="bench", name=name, embed=False)
    log = trackio.log

    def loop(start: int, stop: int) -> None:
        for i in range(start, stop):
            a = 1.0 / (i + 1)
            b = a * 0.5
            log({"a": a, "b": b}, step=i)

    result = _durable(_timed(loop, params), trackio.finish)
    result["kept"] = sum(len(SQLiteStorage.get_metric_values("bench", name, key)) for key in KEYS)
    return result


def tensorboardx(params: dict[str, Any]) -> dict[str, Any]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboardX import SummaryWriter

    logdir = str(Path(params["workdir"]) / "tb")
    writer = SummaryWriter(logdir)
    add = writer.add_scalar

    def loop(start: int, stop: int) -> None:
        for i in range(start, stop):
            a = 1.0 / (i + 1)
            b = a * 0.5
            add("a", a, i)
            add("b", b, i)

    result = _durable(_timed(loop, params), writer.close)
    events = EventAccumulator(logdir, size_guidance={"scalars": 0})
    events.Reload()
    result["kept"] = sum(len(events.Scalars(key)) for key in KEYS)
    return result


def mlflow_log(params: dict[str, Any]) -> dict[str, Any]:
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{Path(params['workdir']) / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    run = mlflow.start_run()
    sync = params["sync"]
    log = mlflow.log_metrics

    def loop(start: int, stop: int) -> None:
        for i in range(start, stop):
            a = 1.0 / (i + 1)
            b = a * 0.5
            log({"a": a, "b": b}, step=i, synchronous=sync)

    def finish() -> None:
        if not sync:
            mlflow.flush_async_logging()
        mlflow.end_run()

    result = _durable(_timed(loop, params), finish)
    client = MlflowClient(uri)
    result["kept"] = sum(len(client.get_metric_history(run.info.run_id, key)) for key in KEYS)
    return result


def wandb_log(params: dict[str, Any]) -> dict[str, Any]:
    import wandb

    from .wandb_file import history_points

    workdir = Path(params["workdir"])
    run = wandb.init(project="bench", dir=str(workdir), mode="offline")
    log = run.log

    def loop(start: int, stop: int) -> None:
        for i in range(start, stop):
            a = 1.0 / (i + 1)
            b = a * 0.5
            log({"a": a, "b": b}, step=i)

    result = _durable(_timed(loop, params), run.finish)
    (path,) = workdir.glob("wandb/offline-run-*/run-*.wandb")
    result["kept"] = history_points(path, KEYS)
    return result


def livelossplot_log(params: dict[str, Any]) -> dict[str, Any]:
    every = params["send_every"]
    if every:
        from . import frontend

        frontend.install(matplotlib=True)
    from livelossplot import PlotLosses

    plot = PlotLosses(mode="notebook")
    update, send = plot.update, plot.send

    def loop(start: int, stop: int) -> None:
        for i in range(start, stop):
            a = 1.0 / (i + 1)
            b = a * 0.5
            update({"a": a, "b": b})
            if every:
                send()

    result = _durable(_timed(loop, params), None)
    result["kept_in_memory"] = sum(len(plot.logger.log_history[key]) for key in KEYS)
    return result
