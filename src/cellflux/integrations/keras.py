"""Keras 3 (any backend): ``model.fit(..., callbacks=[CellfluxCallback()])``.

Each ``fit`` is one cellflux run named after the model: epoch values
(``loss``/``val_loss``, ``accuracy``/``val_accuracy``, ...) at x = the number
of epochs done, train and validation on one chart per quantity; progress bars
for the epochs, the batches of the epoch and the validation batches; the
optimizer's settings, the epochs and steps as the run's hyperparameters.
Keras also prints its own text bar unless ``fit(..., verbose=0)``: pass it, so
the cell shows the board alone.
"""

from __future__ import annotations

from typing import Any

try:
    import keras
except ImportError as error:  # keras 3 missing, or its backend (KERAS_BACKEND) missing
    raise ImportError(
        f"cellflux.integrations.keras needs Keras 3 and a backend: pip install keras torch "
        f"(and KERAS_BACKEND=torch) ({error})"
    ) from error

import cellflux as cf

from ._recorder import Bars, Recorder, as_total

__all__ = ["CellfluxCallback"]


class CellfluxCallback(keras.callbacks.Callback):  # type: ignore[misc, unused-ignore]
    """Report a Keras ``fit`` into cellflux: a live board, progress bars and a stored run.

    ``name`` names the run (by default the model's name).
    """

    def __init__(self, name: str | None = None) -> None:
        super().__init__()
        self.name = name
        self.run: cf.Run | None = None
        """The run of the latest ``fit``."""
        self._bars = Bars()
        self._recorder = Recorder("epoch")
        self._epochs_left: int | None = None
        self._val_batches: int | None = None
        self._val_seen = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.run is not None and not self.run.ended:
            self.run.end(status="failed")  # an earlier fit of this callback raised
        self._bars, self._recorder = Bars(), Recorder("epoch")
        self.run = cf.run(self.name or str(getattr(self.model, "name", "keras")), params=self._hyperparameters())
        self._epochs_left = as_total(self.params.get("epochs"))

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.run is None:
            return
        if "epoch" not in self._bars.open:  # initial_epoch: count the epochs this fit runs
            total = self._epochs_left
            self._bars.start("epoch", None if total is None else max(total - epoch, 0))
        self._bars.start("batch", as_total(self.params.get("steps")))

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._bars.update("batch")

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.run is not None and not self.run.ended:
            # Keras does not say how many validation batches there are: the last count is the guess.
            self._val_seen = 0
            self._bars.start("validation", self._val_batches)

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._val_seen += 1
        self._bars.update("validation")

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if "validation" in self._bars.open:
            self._val_batches = self._val_seen
            self._bars.close("validation")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.run is None or self.run.ended:
            return
        self._bars.close("batch")
        self._recorder.record(logs or {}, at=epoch + 1)
        self._bars.update("epoch")

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.run is None or self.run.ended:
            return
        self._bars.close_all()  # an epoch bar short of its total (early stopping) is stopped
        self.run.end()

    def _hyperparameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {k: v for k, v in self.params.items() if k in ("epochs", "steps")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            try:
                config = optimizer.get_config()
            except (AttributeError, NotImplementedError, TypeError):
                config = {"name": type(optimizer).__name__}
            params["optimizer"] = {k: v for k, v in config.items() if v is not None}  # unset options: noise
        return params
