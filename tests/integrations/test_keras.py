"""Keras 3 on PyTorch: a tiny model on generated data, what is stored and what is displayed."""

from __future__ import annotations

import numpy as np
import pytest

import cellflux as cf

from .conftest import Harness

import keras  # noqa: E402  (after conftest chose the torch backend)

from cellflux.integrations.keras import CellfluxCallback  # noqa: E402


def model_and_data(seed: int = 0) -> tuple[keras.Model, np.ndarray, np.ndarray]:
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.random((160, 4)).astype("float32")
    y = (x.sum(axis=1) > 2).astype("float32")
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")],
        name="tiny_classifier",
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    return model, x, y


def test_fit_is_one_run_with_paired_charts_bars_and_params(harness: Harness) -> None:
    model, x, y = model_and_data()
    callback = CellfluxCallback()
    history = model.fit(x, y, epochs=3, batch_size=32, validation_split=0.2, verbose=0, callbacks=[callback])
    assert callback.run is not None
    exe = callback.run.execution
    stored = harness.stored(exe)
    assert stored.name == "tiny_classifier" and stored.status == "succeeded" and stored.kind == "run"
    assert set(stored.metrics) == {"epoch", "batch", "validation", "loss", "accuracy", "val_loss", "val_accuracy"}
    for key, values in history.history.items():
        xs, ys = stored.series(key)
        assert xs.tolist() == [1.0, 2.0, 3.0]  # x: epochs done
        assert ys.tolist() == pytest.approx(values)  # what Keras itself reports
    assert stored.metrics["loss"].group == cf.MetricGroup("loss", units="epoch")
    assert stored.params["epochs"] == 3 and stored.params["optimizer.name"] == "adam"
    # displayed: one board (live and static outputs), train and validation on one chart, bars at N/N
    assert len(harness.screen.shown) == 2 and list(harness.boards) == [exe.id]
    lines = harness.chart_lines(exe)
    assert lines["loss"] == ["loss", "val_loss"] and lines["accuracy"] == ["accuracy", "val_accuracy"]
    bars = harness.bars(exe)
    assert bars["epoch"] == ("done", 3, 3) and bars["batch"] == ("done", 4, 4)
    assert bars["validation"][0:2] == ("done", 1)
    final = dict(harness.screen.updated)[1]
    assert "hyperparameters" in final["text/html"] and "succeeded" in final["text/plain"]


def test_early_stopping_ends_the_run_succeeded_with_the_epoch_bar_stopped(harness: Harness) -> None:
    model, x, y = model_and_data()
    callback = CellfluxCallback()
    stop = keras.callbacks.EarlyStopping(monitor="loss", min_delta=10.0, patience=1)  # no epoch improves by 10
    history = model.fit(x, y, epochs=10, batch_size=32, verbose=0, callbacks=[callback, stop])
    assert callback.run is not None
    stored = harness.stored(callback.run.execution)
    epochs_run = len(history.history["loss"])
    assert epochs_run == 2 and stored.status == "succeeded"
    assert stored.series("loss")[0].tolist() == [1.0, 2.0]
    assert stored.metrics["epoch"].state == "stopped" and stored.series("epoch")[1][-1] == 2
    assert harness.bars(callback.run.execution)["epoch"] == ("stopped", 2, 10)


class Fail(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def on_epoch_end(self, epoch: int, logs: object = None) -> None:
        if epoch == 1:
            raise self.error


@pytest.mark.parametrize(("error", "status"), [(RuntimeError("diverged"), "failed"), (KeyboardInterrupt(), "interrupted")])
def test_an_exception_mid_training_ends_the_run_with_its_state_and_keeps_the_points(
    harness: Harness, error: BaseException, status: str
) -> None:
    model, x, y = model_and_data()
    callback = CellfluxCallback()

    @cf.task  # stands in for the notebook cell, which ends the run Keras never ends
    def cell() -> None:
        model.fit(x, y, epochs=5, batch_size=32, verbose=0, callbacks=[callback, Fail(error)])

    with pytest.raises(type(error)):
        cell()
    assert callback.run is not None
    stored = harness.stored(callback.run.execution)
    assert stored.status == status
    assert stored.series("loss")[0].tolist() == [1.0, 2.0]  # the epochs reported before the error
    assert stored.metrics["epoch"].state == ("failed" if status == "failed" else "stopped")
    assert harness.board(callback.run.execution).execution.status == status
