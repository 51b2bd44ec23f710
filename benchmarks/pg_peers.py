"""MLflow's tracking store on the same PostgreSQL server: the peer that users run on PostgreSQL today.

MLflow keeps a row per point (``metrics`` and ``latest_metrics`` tables) and
takes at most 1,000 metrics per ``log_batch`` call. It is driven through its
public client, on a database of its own, through SQLAlchemy and psycopg 3
(``postgresql+psycopg://``), so no other driver is needed.
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any

import numpy as np

BATCH = 1000
"""MLflow's limit of metrics per log_batch call."""


def mlflow_setup(server_url: str, socket_dir: str) -> str:
    """A database for MLflow, its tables made (MLflow's migrations run here, untimed); its URI."""
    import psycopg
    from mlflow.tracking import MlflowClient

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE bench_mlflow")
    uri = f"postgresql+psycopg://cellflux@/bench_mlflow?host={socket_dir}"
    client = MlflowClient(tracking_uri=uri)
    client.create_experiment("bench", artifact_location=tempfile.mkdtemp(prefix="mlflow-artifacts-"))
    return uri


def _metrics(points: int, seed: int) -> list[list[Any]]:
    from mlflow.entities import Metric

    ys = np.exp(-np.arange(points) / 1e6) + 0.01 * np.random.default_rng(seed).standard_normal(points)
    now = int(time.time() * 1000)
    metrics = [Metric("loss", float(y), now, step) for step, y in enumerate(ys)]
    return [metrics[i:i + BATCH] for i in range(0, points, BATCH)]


def _run(uri: str) -> tuple[Any, str]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("bench")
    assert experiment is not None
    return client, client.create_run(experiment.experiment_id).info.run_id


def mlflow_writer(uri: str, index: int, points: int, barrier: Any, times: Any) -> None:
    """One writer process: ``points`` points of one metric, in calls of 1,000."""
    client, run_id = _run(uri)
    chunks = _metrics(points, index)
    barrier.wait()
    started = time.perf_counter()
    for chunk in chunks:
        client.log_batch(run_id, metrics=chunk)
    times.put((started, time.perf_counter(), points))
    times.close()
    times.join_thread()  # the figure is in the pipe before the process ends
    os._exit(0)  # skip MLflow's exit hooks in a forked child


def mlflow_read(uri: str, points: int) -> tuple[float, int]:
    """Seconds for ``get_metric_history`` of one metric of ``points`` points (logged first, untimed)."""
    client, run_id = _run(uri)
    for chunk in _metrics(points, 99):
        client.log_batch(run_id, metrics=chunk)
    took = []
    for _ in range(2):
        start = time.perf_counter()
        history = client.get_metric_history(run_id, "loss")
        took.append(time.perf_counter() - start)
        assert len(history) == points, len(history)
    return min(took), points
