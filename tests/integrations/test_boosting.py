"""XGBoost and LightGBM on generated data: stored rounds, paired datasets, early stopping, failures."""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb

import cellflux as cf
from cellflux.integrations.lightgbm import cellflux_callback
from cellflux.integrations.xgboost import CellfluxCallback

from .conftest import Harness


def data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((300, 4))
    return x, (x.sum(axis=1) + rng.normal(0, 0.3, 300) > 2).astype(float)


PARAMS = {"objective": "binary:logistic", "max_depth": 2, "eta": 0.3, "eval_metric": ["logloss", "error"]}


def xgb_train(rounds: int, callbacks: list[Any], **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    x, y = data()
    train, valid = xgb.DMatrix(x[:200], label=y[:200]), xgb.DMatrix(x[200:], label=y[200:])
    result: dict[str, Any] = {}
    booster = xgb.train(PARAMS, train, rounds, evals=[(train, "train"), (valid, "valid")], callbacks=callbacks,
                        evals_result=result, verbose_eval=False, **kwargs)
    return booster, result


def test_xgboost_rounds_are_stored_paired_and_shown(harness: Harness) -> None:
    callback = CellfluxCallback()
    _, result = xgb_train(8, [callback])
    assert callback.run is not None
    exe = callback.run.execution
    stored = harness.stored(exe)
    assert stored.name == "xgboost" and stored.status == "succeeded"
    for dataset, metrics in result.items():
        for metric, values in metrics.items():
            xs, ys = stored.series(f"{dataset}-{metric}")
            assert xs.tolist() == [float(i) for i in range(1, 9)]  # x: rounds done
            assert ys.tolist() == pytest.approx(values)  # what XGBoost itself reports
    assert stored.params["max_depth"] == 2 and stored.params["num_boost_round"] == 8
    assert stored.metrics["valid-logloss"].group == cf.MetricGroup("logloss", units="round")
    assert harness.chart_lines(exe) == {"logloss": ["train-logloss", "valid-logloss"],
                                        "error": ["train-error", "valid-error"]}
    assert harness.bars(exe) == {"round": ("done", 8, 8)} and len(harness.screen.shown) == 2


def test_xgboost_early_stopping_stops_the_rounds_bar(harness: Harness) -> None:
    callback = CellfluxCallback()
    booster, result = xgb_train(100, [callback], early_stopping_rounds=2)
    assert callback.run is not None
    stored = harness.stored(callback.run.execution)
    rounds = len(result["valid"]["logloss"])
    assert rounds < 100 and stored.status == "succeeded"
    assert stored.series("valid-logloss")[0][-1] == rounds and booster.best_iteration < rounds
    assert harness.bars(callback.run.execution)["round"] == ("stopped", rounds, 100)


def test_xgboost_exception_mid_training_fails_the_run(harness: Harness) -> None:
    class Fail(xgb.callback.TrainingCallback):  # type: ignore[misc]
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if epoch == 3:
                raise RuntimeError("diverged")
            return False

    callback = CellfluxCallback()

    @cf.task  # stands in for the notebook cell
    def cell() -> None:
        xgb_train(10, [callback, Fail()])

    with pytest.raises(RuntimeError):
        cell()
    assert callback.run is not None
    stored = harness.stored(callback.run.execution)
    assert stored.status == "failed" and stored.series("train-logloss")[0].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert stored.metrics["round"].state == "failed"


def lgb_train(rounds: int, callbacks: list[Any]) -> dict[str, Any]:
    x, y = data()
    train = lgb.Dataset(x[:200], y[:200])
    valid = lgb.Dataset(x[200:], y[200:], reference=train)
    result: dict[str, Any] = {}
    params = {"objective": "binary", "num_leaves": 7, "learning_rate": 0.1, "verbose": -1}
    lgb.train(params, train, rounds, valid_sets=[train, valid], valid_names=["training", "valid_0"],
              callbacks=[*callbacks, lgb.record_evaluation(result)])
    return result


def test_lightgbm_rounds_are_stored_paired_and_shown(harness: Harness) -> None:
    callback = cellflux_callback()
    result = lgb_train(12, [callback])
    assert callback.run is not None
    exe = callback.run.execution
    stored = harness.stored(exe)
    assert stored.name == "lightgbm" and stored.status == "succeeded"
    for dataset, metrics in result.items():
        for metric, values in metrics.items():
            xs, ys = stored.series(f"{dataset}-{metric}")
            assert xs.tolist() == [float(i) for i in range(1, 13)]
            assert ys.tolist() == pytest.approx(values)
    assert stored.params["num_leaves"] == 7 and stored.params["objective"] == "binary"
    assert harness.chart_lines(exe) == {"binary_logloss": ["training-binary_logloss", "valid_0-binary_logloss"]}
    assert harness.bars(exe) == {"round": ("done", 12, 12)}


def test_lightgbm_early_stopping_ends_with_the_cell_succeeded(harness: Harness) -> None:
    callback = cellflux_callback()

    @cf.task  # the cell: LightGBM never tells its callbacks that early stopping ended the training
    def cell() -> dict[str, Any]:
        return lgb_train(200, [callback, lgb.early_stopping(2, verbose=False)])

    result = cell()
    assert callback.run is not None
    stored = harness.stored(callback.run.execution)
    rounds = len(result["valid_0"]["binary_logloss"])
    assert rounds < 200 and stored.status == "succeeded"
    assert stored.series("valid_0-binary_logloss")[0][-1] == rounds  # the last round is recorded too
    assert harness.bars(callback.run.execution)["round"] == ("stopped", rounds, 200)


def test_lightgbm_exception_mid_training_fails_the_run(harness: Harness) -> None:
    def fail(env: Any) -> None:
        if env.iteration == 2:
            raise RuntimeError("diverged")

    callback = cellflux_callback()

    @cf.task
    def cell() -> None:
        lgb_train(10, [callback, fail])

    with pytest.raises(RuntimeError):
        cell()
    assert callback.run is not None
    stored = harness.stored(callback.run.execution)
    assert stored.status == "failed" and len(stored.series("training-binary_logloss")[0]) == 3
