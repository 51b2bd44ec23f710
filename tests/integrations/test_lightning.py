"""Lightning 2 (both packages): a tiny LightningModule on generated data, stored and displayed."""

from __future__ import annotations

import importlib
import signal
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import cellflux as cf
from cellflux.integrations.lightning import CellfluxLogger, CellfluxProgressBar

from .conftest import Harness


def module_class(package: Any) -> Any:
    class Regressor(package.LightningModule):  # type: ignore[misc,name-defined]
        def __init__(self, lr: float = 0.05, hidden: int = 8, fail_at: int = -1) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            if self.global_step == self.hparams.fail_at:
                raise RuntimeError("diverged")
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    return Regressor


def loaders() -> tuple[DataLoader[Any], DataLoader[Any]]:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(160, 4, generator=generator)
    y = x.sum(dim=1, keepdim=True)
    return (DataLoader(TensorDataset(x[:128], y[:128]), batch_size=16),
            DataLoader(TensorDataset(x[128:], y[128:]), batch_size=16))


def trainer(package: Any, **kwargs: Any) -> tuple[Any, CellfluxLogger, CellfluxProgressBar]:
    logger, bar = CellfluxLogger(), CellfluxProgressBar()
    callbacks = [bar, *kwargs.pop("callbacks", [])]
    options = dict(max_epochs=3, log_every_n_steps=2, enable_checkpointing=False, enable_model_summary=False,
                   accelerator="cpu", devices=1, num_sanity_val_steps=0)
    options.update(kwargs)
    return package.Trainer(logger=logger, callbacks=callbacks, **options), logger, bar


@pytest.fixture(params=["lightning.pytorch", "pytorch_lightning"])
def package(request: pytest.FixtureRequest) -> Iterator[Any]:
    handler = signal.getsignal(signal.SIGINT)
    yield importlib.import_module(request.param)
    signal.signal(signal.SIGINT, handler)  # Lightning ignores SIGINT after a KeyboardInterrupt


def test_fit_is_one_run_with_paired_charts_bars_and_hyperparameters(harness: Harness, package: Any) -> None:
    train, val = loaders()
    t, logger, bar = trainer(package)
    t.fit(module_class(package)(), train, val)
    assert bar.run is not None and logger.run is bar.run
    assert not any(type(c).__name__ == "TQDMProgressBar" for c in t.callbacks)  # the default bar is replaced
    exe = bar.run.execution
    stored = harness.stored(exe)
    assert stored.name == "Regressor" and stored.status == "succeeded"
    assert {"train_loss_step", "train_loss_epoch", "val_loss", "epoch", "batch", "validation"} <= set(stored.metrics)
    assert stored.params["lr"] == 0.05 and stored.params["hidden"] == 8 and stored.params["max_epochs"] == 3
    xs, ys = stored.series("val_loss")
    assert t.global_step == 24 and xs.tolist() == [7.0, 15.0, 23.0]  # the step Lightning hands its loggers
    assert ys[-1] == pytest.approx(float(t.callback_metrics["val_loss"]))  # what Lightning reports
    assert stored.series("train_loss_epoch")[1][-1] == pytest.approx(float(t.callback_metrics["train_loss_epoch"]))
    assert stored.metrics["val_loss"].group == cf.MetricGroup("loss", units="step")
    assert len(harness.screen.shown) == 2 and list(harness.boards) == [exe.id]
    assert set(harness.chart_lines(exe)["loss"]) == {"train_loss_step", "train_loss_epoch", "val_loss"}
    bars = harness.bars(exe)
    assert bars["epoch"] == ("done", 3, 3) and bars["batch"] == ("done", 8, 8) and bars["validation"] == ("done", 2, 2)


def test_early_stopping_ends_the_run_succeeded_with_the_epoch_bar_stopped(harness: Harness, package: Any) -> None:
    train, val = loaders()
    stop = package.callbacks.EarlyStopping(monitor="val_loss", min_delta=10.0, patience=1)
    t, _, bar = trainer(package, max_epochs=10, callbacks=[stop])
    t.fit(module_class(package)(), train, val)
    assert bar.run is not None
    stored = harness.stored(bar.run.execution)
    assert t.current_epoch == 2 and stored.status == "succeeded"
    assert stored.metrics["epoch"].state == "stopped" and harness.bars(bar.run.execution)["epoch"] == ("stopped", 2, 10)
    assert len(stored.series("val_loss")[0]) == 2


def test_an_exception_mid_training_fails_the_run_and_keeps_the_points(harness: Harness, package: Any) -> None:
    train, val = loaders()
    t, _, bar = trainer(package)
    with pytest.raises(RuntimeError, match="diverged"):
        t.fit(module_class(package)(fail_at=12), train, val)
    assert bar.run is not None
    stored = harness.stored(bar.run.execution)
    assert stored.status == "failed" and stored.metrics["batch"].state == "failed"
    assert stored.series("epoch")[1][-1] == 1 and len(stored.series("val_loss")[0]) == 1


def test_keyboard_interrupt_ends_the_run_interrupted(harness: Harness, package: Any) -> None:
    train, val = loaders()

    class Interrupt(package.Callback):  # type: ignore[misc,name-defined]
        def on_train_batch_end(self, trainer: Any, *args: Any) -> None:
            if trainer.global_step == 10:
                raise KeyboardInterrupt

    t, _, bar = trainer(package, callbacks=[Interrupt()])
    with pytest.raises(SystemExit):  # Lightning shuts down gracefully, then exits
        t.fit(module_class(package)(), train, val)
    assert bar.run is not None and harness.stored(bar.run.execution).status == "interrupted"


def test_the_logger_alone_records_into_a_run_of_its_own(harness: Harness, package: Any) -> None:
    train, val = loaders()
    logger = CellfluxLogger(name="alone")
    t = package.Trainer(logger=logger, max_epochs=1, log_every_n_steps=2, enable_checkpointing=False,
                        enable_model_summary=False, enable_progress_bar=False, num_sanity_val_steps=0)
    t.fit(module_class(package)(), train, val)
    assert logger.run is not None
    stored = harness.stored(logger.run.execution)
    assert stored.name == "alone" and stored.status == "succeeded" and "val_loss" in stored.metrics
    assert stored.params["lr"] == 0.05
