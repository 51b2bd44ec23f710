"""W5 read back: load one ``points``-point series from each tool's store into numpy.

A ``make_*`` job writes the store once (untimed, through the tool's own API
where that takes reasonable time); each ``read_*`` job, in a fresh process with
the tool already imported, times opening the store and loading x and y as
float64 arrays, and checks the count.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .harness import Tool

KEY = "loss"


def tools(quick: bool) -> list[Tool]:
    p = {"points": 50_000 if quick else 1_000_000}
    return [
        Tool("cellflux store", "w5_readback", "read_cellflux", ("cellflux",), {**p, "make": "make_cellflux"},
             "cf.executions(path)[0].series(key)"),
        Tool("mlflow (sqlite)", "w5_readback", "read_mlflow", ("mlflow",), {**p, "make": "make_mlflow"},
             "MlflowClient.get_metric_history(); store made with log_batch, then rows copied in SQL"),
        Tool("tensorboard event file", "w5_readback", "read_tensorboard", ("tensorboard", "tensorboardX"),
             {**p, "make": "make_tensorboard"}, "EventAccumulator(size_guidance={'scalars': 0})"),
        Tool("trackio (local)", "w5_readback", "read_trackio", ("trackio",), {**p, "make": "make_trackio"},
             "SQLiteStorage.get_metric_values() (what its dashboard reads)"),
    ]


NOT_FEASIBLE = {
    "wandb (offline)": "no reader: wandb 0.31 keeps an offline run as a binary log that only its Go "
    "service reads (for `wandb sync`); no Python API loads it, and writing 1M steps with run.log() "
    "takes minutes here (W2's per-step cost x 1M)",
    "livelossplot": "no store: it keeps values in memory only",
}


def _values(n: int) -> tuple[np.ndarray, np.ndarray]:
    steps = np.arange(n, dtype=np.float64)
    return steps, 1.0 / (steps + 1.0)


def _timed(load: Any, points: int) -> dict[str, Any]:
    t = time.perf_counter()
    x, y = load()
    spent = time.perf_counter() - t
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) != points or len(y) != points:
        raise AssertionError(f"read {len(x)} x and {len(y)} y values, expected {points}")
    return {"read_s": spent, "points": points}


# -- cellflux -------------------------------------------------------------------------------


def make_cellflux(params: dict[str, Any]) -> dict[str, Any]:
    import cellflux as cf

    path = str(Path(params["workdir"]) / "store.sqlite")
    cf.configure(store=path)
    metric = cf.Metric(KEY, throttle=None)
    record = metric.record
    for i, v in enumerate(_values(params["points"])[1].tolist()):
        record(v, at=i)
    cf.flush()
    return {"store": path, "bytes": sum(p.stat().st_size for p in Path(path).parent.glob("store.sqlite*"))}


def read_cellflux(params: dict[str, Any]) -> dict[str, Any]:
    import cellflux as cf

    def load() -> Any:
        (run,) = cf.executions(params["store"])
        return run.series(KEY)

    return _timed(load, params["points"])


# -- mlflow ---------------------------------------------------------------------------------

BATCH = 1000
"""mlflow's limit of metrics per log_batch call."""


def make_mlflow(params: dict[str, Any]) -> dict[str, Any]:
    import sqlite3

    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    path = Path(params["workdir"]) / "mlflow.db"
    uri = f"sqlite:///{path}"
    client = MlflowClient(uri)
    run = client.create_run(client.create_experiment("w5"))
    n = params["points"]
    base = min(n, BATCH)
    stamp = int(time.time() * 1000)
    steps, ys = _values(base)
    client.log_batch(run.info.run_id, metrics=[Metric(KEY, float(y), stamp, int(s)) for s, y in zip(steps, ys)])
    # log_batch takes about 0.2 ms per point here: copy the first batch's rows
    # (all columns as mlflow wrote them, steps shifted) to reach n points.
    copies = n // base - 1
    if copies > 0:
        with sqlite3.connect(path) as db:
            columns = [row[1] for row in db.execute("PRAGMA table_info(metrics)")]
            picked = ", ".join(
                f"step + k.n * {base}" if c == "step" else f"value / (1 + k.n)" if c == "value" else c
                for c in columns
            )
            db.execute(
                f"WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {copies}) "
                f"INSERT INTO metrics ({', '.join(columns)}) SELECT {picked} FROM metrics, k "
                "WHERE run_uuid = ? AND key = ?",
                (run.info.run_id, KEY),
            )
    client.set_terminated(run.info.run_id)
    return {"store": uri, "run_id": run.info.run_id, "bytes": path.stat().st_size}


def read_mlflow(params: dict[str, Any]) -> dict[str, Any]:
    from mlflow.tracking import MlflowClient

    def load() -> Any:
        history = MlflowClient(params["store"]).get_metric_history(params["run_id"], KEY)
        n = len(history)
        x = np.fromiter((m.step for m in history), np.float64, n)
        y = np.fromiter((m.value for m in history), np.float64, n)
        return x, y

    return _timed(load, params["points"])


# -- tensorboard ----------------------------------------------------------------------------


def make_tensorboard(params: dict[str, Any]) -> dict[str, Any]:
    import socket

    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.record_writer import RecordWriter
    from tensorboardX.summary import scalar

    # The records SummaryWriter.add_scalar writes, written without its queue,
    # which takes about 60 us per point here.
    logdir = Path(params["workdir"]) / "tb"
    logdir.mkdir()
    path = logdir / f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}"
    writer = RecordWriter(str(path))
    now = time.time()
    writer.write(Event(wall_time=now, step=0, file_version="brain.Event:2").SerializeToString())
    for s, y in zip(*(a.tolist() for a in _values(params["points"]))):
        writer.write(Event(wall_time=now, step=int(s), summary=scalar(KEY, y)).SerializeToString())
    writer.close()
    return {"store": str(logdir), "bytes": path.stat().st_size}


def read_tensorboard(params: dict[str, Any]) -> dict[str, Any]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def load() -> Any:
        events = EventAccumulator(params["store"], size_guidance={"scalars": 0})
        events.Reload()
        scalars = events.Scalars(KEY)
        n = len(scalars)
        return np.fromiter((e.step for e in scalars), np.float64, n), np.fromiter((e.value for e in scalars), np.float64, n)

    return _timed(load, params["points"])


# -- trackio --------------------------------------------------------------------------------


def make_trackio(params: dict[str, Any]) -> dict[str, Any]:
    import os

    root = Path(params["workdir"]) / "trackio"
    os.environ["TRACKIO_DIR"] = str(root)
    import trackio

    trackio.init(project="w5", name="run", embed=False)
    log = trackio.log
    for i, y in enumerate(_values(params["points"])[1].tolist()):
        log({KEY: y}, step=i)
    trackio.finish()
    return {"store": str(root), "bytes": sum(p.stat().st_size for p in root.glob("*.db"))}


def read_trackio(params: dict[str, Any]) -> dict[str, Any]:
    import os

    os.environ["TRACKIO_DIR"] = params["store"]
    from trackio.sqlite_storage import SQLiteStorage

    def load() -> Any:
        rows = SQLiteStorage.get_metric_values("w5", "run", KEY)
        n = len(rows)
        return np.fromiter((r["step"] for r in rows), np.float64, n), np.fromiter((r["value"] for r in rows), np.float64, n)

    return _timed(load, params["points"])
