"""Lightning 2 (``lightning`` or ``pytorch_lightning``)::

    Trainer(logger=CellfluxLogger(), callbacks=[CellfluxProgressBar()])

``CellfluxProgressBar`` replaces Lightning's tqdm bar: each ``fit`` (or
``validate``, ``test``, ``predict``) is one cellflux run named after the
LightningModule, with nested bars for the epochs and the batches of the epoch,
and a bar for each validation loop while it runs. ``CellfluxLogger`` records
what ``self.log`` logs at Lightning's global step (the x Lightning hands every
logged value to its loggers), keys of one quantity on one chart
(``train_loss``/``val_loss``, ``train_loss_step``/``train_loss_epoch``), and
``save_hyperparameters()`` as the run's hyperparameters. A logger used without
the bar starts and ends a run of its own.

Both classes derive from the base classes of every Lightning package
installed, so one object works with ``lightning.Trainer`` and
``pytorch_lightning.Trainer`` alike. In a distributed run (DDP) every rank
records into the store, tagged with the trainer's global rank (the logger
without the bar asks ``torch.distributed``), and only global rank 0 draws the
board: ``cf.executions()`` lists rank 0's run, the other ranks as its parts.
"""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Mapping
from typing import Any

_bars: list[type] = []
_loggers: list[type] = []
try:
    from lightning.pytorch.callbacks import ProgressBar as _LightningBar
    from lightning.pytorch.loggers import Logger as _LightningLogger

    _bars.append(_LightningBar)
    _loggers.append(_LightningLogger)
except ImportError:
    pass
try:
    from pytorch_lightning.callbacks import ProgressBar as _PLBar
    from pytorch_lightning.loggers import Logger as _PLLogger

    _bars.append(_PLBar)
    _loggers.append(_PLLogger)
except ImportError:
    pass
if not _bars:
    raise ImportError(
        "cellflux.integrations.lightning needs Lightning 2: pip install lightning (or pytorch-lightning) torch"
    )

import cellflux as cf

from ._ranks import store_now_if_distributed, take_part, torch_rank
from ._recorder import Bars, Recorder, as_total

__all__ = ["CellfluxLogger", "CellfluxProgressBar"]


class CellfluxLogger(*_loggers):  # type: ignore[misc, unused-ignore]
    """Record what Lightning logs, and its hyperparameters, into the run (see the module)."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__()
        self._name = name
        self._run: cf.Run | None = None
        self._own_run = False
        self._recorder = Recorder("step")

    @property
    def name(self) -> str:
        return self._name or "cellflux"

    @property
    def version(self) -> str:
        return self._run.execution.id if self._run is not None else ""

    @property
    def run(self) -> cf.Run | None:
        """The run this logger records into."""
        return self._run

    def use_run(self, run: cf.Run) -> None:
        """Record into ``run`` (the progress bar's) from now on."""
        if self._own_run and self._run is not None and not self._run.ended:
            self._run.end()
        self._run, self._own_run, self._recorder = run, False, Recorder("step")

    def _current(self) -> cf.Run:
        if self._run is None or self._run.ended:
            take_part(*torch_rank())  # without the bar, only torch.distributed says the rank
            self._run, self._own_run, self._recorder = cf.run(self._name or "lightning"), True, Recorder("step")
        return self._run

    def log_hyperparams(self, params: Mapping[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        table = vars(params) if isinstance(params, Namespace) else dict(params)
        self._current().set_params(table)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        self._current()
        self._recorder.record(metrics, at=float(step if step is not None else 0))

    def finalize(self, status: str) -> None:
        if self._own_run and self._run is not None and not self._run.ended:
            self._run.end(status="succeeded" if status == "success" else "failed")
            store_now_if_distributed()


def _take_part(trainer: Any) -> None:
    """Tell cellflux the trainer's rank and world size (see ``_ranks``)."""
    def number(name: str) -> int | None:
        value = getattr(trainer, name, None)
        return value if isinstance(value, int) else None

    take_part(number("global_rank"), number("world_size"), local_rank=number("local_rank"),
              node_rank=number("node_rank"))


class CellfluxProgressBar(*_bars):  # type: ignore[misc, unused-ignore]
    """Lightning's progress bar as cellflux bars on the run's board (see the module)."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__()
        self._name = name
        self._enabled = True
        self.run: cf.Run | None = None
        """The run of the latest ``fit`` (or validate, test, predict)."""
        self._bars = Bars()

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        _take_part(trainer)
        name = self._name or type(pl_module).__name__
        if stage != "fit":
            name = f"{name} · {stage}"
        params: dict[str, Any] = {"max_epochs": trainer.max_epochs, "max_steps": trainer.max_steps}
        self._bars = Bars()
        self.run = cf.run(name, params=params)
        for logger in getattr(trainer, "loggers", []):
            if isinstance(logger, CellfluxLogger):
                logger.use_run(self.run)

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        self._end(None)

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._end(exception)

    def _end(self, error: BaseException | None) -> None:
        if self.run is not None and not self.run.ended:
            self._bars.close_all()
            self.run.end(error)
            store_now_if_distributed()

    # -- training ------------------------------------------------------------------------

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        epochs = trainer.max_epochs if trainer.max_epochs is not None and trainer.max_epochs >= 0 else None
        self._start("epoch", as_total(epochs))

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self._start("batch", as_total(self.total_train_batches))

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        self._bars.update("batch")

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self._bars.close("batch")
        self._bars.update("epoch")

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._bars.close_all()  # short of max_epochs (early stopping, max_steps): stopped

    # -- evaluation loops: a bar while each runs -----------------------------------------

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.sanity_checking:
            self._start("validation", as_total(self.total_val_batches))

    def on_validation_batch_end(self, trainer: Any, pl_module: Any, *args: Any, **kwargs: Any) -> None:
        self._bars.update("validation")

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        self._bars.close("validation")

    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        self._start("test", as_total(sum(trainer.num_test_batches)))

    def on_test_batch_end(self, trainer: Any, pl_module: Any, *args: Any, **kwargs: Any) -> None:
        self._bars.update("test")

    def on_test_end(self, trainer: Any, pl_module: Any) -> None:
        self._bars.close("test")

    def on_predict_start(self, trainer: Any, pl_module: Any) -> None:
        self._start("predict", as_total(sum(trainer.num_predict_batches)))

    def on_predict_batch_end(self, trainer: Any, pl_module: Any, *args: Any, **kwargs: Any) -> None:
        self._bars.update("predict")

    def on_predict_end(self, trainer: Any, pl_module: Any) -> None:
        self._bars.close("predict")

    def _start(self, key: str, total: int | None) -> None:
        if self._enabled and self.run is not None and not self.run.ended:
            self._bars.start(key, total)
