"""The trainings that ``bench_integrations`` times: one tiny model per framework, on generated data.

Each ``*_bench()`` returns ``(train, variants)``: ``train(variant, length)``
trains once with that variant for ``length`` times the base number of epochs
(or boosting rounds) and returns the number of training steps it took. The
model is small so that the framework's own step is short and what a callback
adds shows. Variants:

- ``none``: no progress output, no logger (the floor);
- ``default``: the framework's default progress output (Keras's text bar,
  Lightning's tqdm bar, the Trainer's tqdm bars, XGBoost's and LightGBM's
  printed evaluations), written to a null file;
- ``cellflux``: the integration (store on, in a temporary file; no front end,
  so no board: in a notebook the board ticks in its own thread);
- peers: ``tensorboard`` (tensorboardX, or the framework's own TensorBoard
  logger) for every framework, ``livelossplot`` for Keras.

The caller sets ``KERAS_BACKEND``, ``CELLFLUX_DISPLAY`` and ``CELLFLUX_STORE`` before importing this.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

Train = Callable[[str, int], int]
"""Trains once with the variant given, ``length`` times the base length; returns the steps it took."""

_tmp = tempfile.mkdtemp(prefix="cellflux-bench-tb-")


def _null() -> contextlib.ExitStack:
    stack = contextlib.ExitStack()
    null = stack.enter_context(open(os.devnull, "w"))
    stack.enter_context(contextlib.redirect_stdout(null))
    stack.enter_context(contextlib.redirect_stderr(null))
    return stack


def _tb_dir() -> str:
    return tempfile.mkdtemp(dir=_tmp)


def keras_bench() -> tuple[Train, list[str]]:
    import keras
    from livelossplot import PlotLossesKeras
    from livelossplot.outputs import MatplotlibPlot
    from tensorboardX import SummaryWriter

    from cellflux.integrations.keras import CellfluxCallback

    class TensorBoardX(keras.callbacks.Callback):  # Keras's own TensorBoard callback needs TensorFlow
        def on_train_begin(self, logs: Any = None) -> None:
            self.writer = SummaryWriter(_tb_dir())

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            for key, value in (logs or {}).items():
                self.writer.add_scalar(key, value, epoch + 1)

        def on_train_end(self, logs: Any = None) -> None:
            self.writer.close()

    rng = np.random.default_rng(0)
    x = rng.random((1600, 8)).astype("float32")
    y = (x.sum(axis=1) > 4).astype("float32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")

    def train(variant: str, length: int) -> int:
        callbacks: dict[str, list[Any]] = {
            "none": [], "default": [], "cellflux": [CellfluxCallback()], "tensorboard": [TensorBoardX()],
            "livelossplot": [PlotLossesKeras(outputs=[MatplotlibPlot()])],
        }
        with _null():
            model.fit(x, y, epochs=length, batch_size=32, validation_split=0.2, verbose=1 if variant == "default" else 0,
                      callbacks=callbacks[variant])
        return length * 40

    return train, ["none", "default", "cellflux", "tensorboard", "livelossplot"]


def lightning_bench() -> tuple[Train, list[str]]:
    import logging

    import lightning as L
    import torch
    from lightning.pytorch.loggers import TensorBoardLogger
    from torch.utils.data import DataLoader, TensorDataset

    from cellflux.integrations.lightning import CellfluxLogger, CellfluxProgressBar

    class Module(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(8, 1)

        def training_step(self, batch: Any, i: int) -> Any:
            loss = torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch: Any, i: int) -> None:
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(batch[0]), batch[1]))

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.01)

    for package in ("lightning.pytorch", "pytorch_lightning"):  # their info lines go to the console
        logging.getLogger(package).setLevel(logging.WARNING)
    x = torch.rand(3200, 8)
    data = TensorDataset(x, x.sum(dim=1, keepdim=True))
    train_loader, val_loader = DataLoader(data, batch_size=32), DataLoader(data, batch_size=320)

    def train(variant: str, length: int) -> int:
        options: dict[str, Any] = dict(max_epochs=length, log_every_n_steps=10, enable_checkpointing=False,
                                       enable_model_summary=False, num_sanity_val_steps=0, logger=False,
                                       enable_progress_bar=variant == "default")
        if variant == "cellflux":
            options.update(logger=CellfluxLogger(), callbacks=[CellfluxProgressBar()], enable_progress_bar=True)
        if variant == "tensorboard":
            options.update(logger=TensorBoardLogger(_tb_dir()))
        with _null():
            L.Trainer(**options).fit(Module(), train_loader, val_loader)
        return length * 100

    return train, ["none", "default", "cellflux", "tensorboard"]


def transformers_bench() -> tuple[Train, list[str]]:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    from cellflux.integrations.transformers import CellfluxCallback

    class Tokens(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
        def __init__(self, n: int) -> None:
            self.ids = torch.randint(0, 32, (n, 8), generator=torch.Generator().manual_seed(n))

        def __len__(self) -> int:
            return len(self.ids)

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            return {"input_ids": self.ids[i], "labels": (self.ids[i, 0] >= 16).long()}

    config = BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16, num_labels=2)

    def train(variant: str, length: int) -> int:
        args = TrainingArguments(output_dir=_tb_dir(), num_train_epochs=length, per_device_train_batch_size=8,
                                 logging_steps=5, eval_strategy="epoch", save_strategy="no", use_cpu=True,
                                 report_to=["tensorboard"] if variant == "tensorboard" else [],
                                 disable_tqdm=variant != "default")
        callbacks = [CellfluxCallback()] if variant == "cellflux" else []
        trainer = Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=Tokens(320),
                          eval_dataset=Tokens(80), callbacks=callbacks)
        if variant != "default":
            trainer.remove_callback(PrinterCallback)
            trainer.remove_callback(ProgressCallback)
        with _null():
            trainer.train()
        return length * 40

    return train, ["none", "default", "cellflux", "tensorboard"]


def _tensorboard_rounds() -> Any:
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(_tb_dir())
    return writer


def xgboost_bench() -> tuple[Train, list[str]]:
    import xgboost as xgb

    from cellflux.integrations.xgboost import CellfluxCallback

    class TensorBoardX(xgb.callback.TrainingCallback):  # type: ignore[misc]
        def before_training(self, model: Any) -> Any:
            self.writer = _tensorboard_rounds()
            return model

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            for data, metrics in evals_log.items():
                for metric, values in metrics.items():
                    self.writer.add_scalar(f"{data}-{metric}", values[-1], epoch + 1)
            return False

        def after_training(self, model: Any) -> Any:
            self.writer.close()
            return model

    rng = np.random.default_rng(0)
    x = rng.random((2000, 8))
    y = x.sum(axis=1)
    train_set, valid_set = xgb.DMatrix(x[:1600], label=y[:1600]), xgb.DMatrix(x[1600:], label=y[1600:])

    def train(variant: str, length: int) -> int:
        callbacks = {"cellflux": [CellfluxCallback()], "tensorboard": [TensorBoardX()]}.get(variant, [])
        with _null():
            xgb.train({"max_depth": 2, "nthread": 1}, train_set, 300 * length, evals=[(train_set, "train"), (valid_set, "valid")],
                      verbose_eval=variant == "default", callbacks=callbacks)
        return 300 * length

    return train, ["none", "default", "cellflux", "tensorboard"]


def lightgbm_bench() -> tuple[Train, list[str]]:
    import lightgbm as lgb

    from cellflux.integrations.lightgbm import cellflux_callback

    def tensorboard() -> Callable[[Any], None]:
        writer = _tensorboard_rounds()

        def callback(env: Any) -> None:
            for data, metric, value, *_ in env.evaluation_result_list:
                writer.add_scalar(f"{data}-{metric}", value, env.iteration + 1)

        return callback

    rng = np.random.default_rng(0)
    x = rng.random((2000, 8))
    y = x.sum(axis=1)
    train_set = lgb.Dataset(x[:1600], y[:1600], free_raw_data=False)
    valid_set = lgb.Dataset(x[1600:], y[1600:], reference=train_set, free_raw_data=False)

    def train(variant: str, length: int) -> int:
        callbacks: dict[str, list[Any]] = {"default": [lgb.log_evaluation(1)], "cellflux": [cellflux_callback()],
                                           "tensorboard": [tensorboard()]}
        with _null():
            lgb.train({"num_leaves": 4, "verbose": -1, "num_threads": 1}, train_set, 300 * length,
                      valid_sets=[train_set, valid_set], callbacks=callbacks.get(variant, []))
        return 300 * length

    return train, ["none", "default", "cellflux", "tensorboard"]


BENCHES: dict[str, Callable[[], tuple[Train, list[str]]]] = {
    "keras": keras_bench, "lightning": lightning_bench, "transformers": transformers_bench,
    "xgboost": xgboost_bench, "lightgbm": lightgbm_bench,
}
