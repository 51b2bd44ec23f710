"""Hugging Face ``transformers``: ``Trainer(..., callbacks=[CellfluxCallback()])``.

Each ``train()`` is one cellflux run named after the model's class: what the
Trainer logs (``loss``/``eval_loss`` and each ``eval_*`` metric paired with its
training twin, ``learning_rate`` and ``grad_norm`` on their own charts) at its
global step; bars for the epochs, the optimizer steps of the epoch and each
evaluation loop while it runs; the ``TrainingArguments`` as the run's
hyperparameters (those set away from their defaults, and the few that define a
run whatever their value). The callback takes the Trainer's own progress
output (the notebook table, the tqdm bars or the printed logs) out of its
callbacks, so the cell shows one board. In a distributed run every process
records, tagged with its global rank (``args.process_index``), and only the
process of rank 0 draws the board.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from typing import Any

try:
    from transformers import TrainerCallback
    from transformers.trainer_callback import CallbackHandler, PrinterCallback, ProgressCallback
except ImportError as error:
    raise ImportError(
        f"cellflux.integrations.transformers needs transformers and torch: pip install transformers "
        f"accelerate torch ({error})"
    ) from error

import cellflux as cf

from ._ranks import store_now_if_distributed, take_part
from ._recorder import Bars, Recorder, as_total

__all__ = ["CellfluxCallback"]

ALWAYS = (
    "learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size",
    "gradient_accumulation_steps", "weight_decay", "lr_scheduler_type", "optim", "seed",
)
"""TrainingArguments kept with every run, even at their default."""

HIDDEN = frozenset({"accelerator_config", "debug", "output_dir", "logging_dir"})
"""TrainingArguments that say where and how, not what is trained (and tokens, which are secrets)."""

SKIPPED_SUFFIXES = ("_runtime", "_samples_per_second", "_steps_per_second", "_jit_compilation_time")
"""How fast an evaluation ran is not a metric of the model (the Trainer's own table leaves it out too)."""

SUMMARY = frozenset({"train_runtime", "train_samples_per_second", "train_steps_per_second", "total_flos", "train_loss"})
"""The end-of-training log: the run's averages, not points of a curve."""


def _progress_callbacks() -> tuple[type, ...]:
    found: list[type] = [ProgressCallback, PrinterCallback]
    if "IPython" in sys.modules:  # the notebook table only exists in a notebook
        try:
            from transformers.utils.notebook import NotebookProgressCallback
        except ImportError:
            pass
        else:
            found.append(NotebookProgressCallback)
    return tuple(found)


class CellfluxCallback(TrainerCallback):
    """Report a Hugging Face ``Trainer`` into cellflux (see the module).

    ``name`` names the run (by default the model's class name).
    """

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.run: cf.Run | None = None
        """The run of the latest ``train()``."""
        self._bars = Bars()
        self._recorder = Recorder("step")
        self._steps_per_epoch: int | None = None

    def on_init_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        _drop_default_progress()

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        _drop_default_progress()  # added with trainer.add_callback() after the Trainer was made
        if self.run is not None and not self.run.ended:
            self.run.end(status="failed")  # an earlier train() of this callback raised
        _take_part(args)
        model = kwargs.get("model")
        name = self.name or (type(model).__name__ if model is not None else "transformers")
        self._bars, self._recorder = Bars(), Recorder("step")
        self.run = cf.run(name, params=_training_params(args))
        epochs = as_total(math.ceil(state.num_train_epochs)) if state.num_train_epochs else None
        self._bars.start("epoch", epochs)
        loader: Any = kwargs.get("train_dataloader")
        accumulation = max(int(getattr(args, "gradient_accumulation_steps", 1) or 1), 1)
        try:
            self._steps_per_epoch = max(math.ceil(len(loader) / accumulation), 1)
        except TypeError:  # an iterable dataset: no length
            self._steps_per_epoch = None

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is None or self.run.ended:
            return
        total = self._steps_per_epoch
        if total is not None and state.max_steps and state.max_steps > 0:
            total = min(total, max(state.max_steps - state.global_step, 0))
        self._bars.start("step", total)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._bars.update("step")

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._bars.close("step")
        self._bars.update("epoch")

    def on_prediction_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is None or self.run.ended:
            return
        if "evaluation" not in self._bars.open:
            loader: Any = kwargs.get("eval_dataloader")
            try:
                total: int | None = len(loader)
            except TypeError:
                total = None
            self._bars.start("evaluation", total)
        self._bars.update("evaluation")

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._bars.close("evaluation")

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if self.run is None or self.run.ended or not logs:
            return
        if "train_runtime" in logs:  # the summary at the end of training
            return
        values = {k: v for k, v in logs.items() if k not in SUMMARY and not k.endswith(SKIPPED_SUFFIXES)}
        self._recorder.record(values, at=float(state.global_step))

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is None or self.run.ended:
            return
        self._bars.close_all()  # an epoch bar short of its total (early stopping, max_steps): stopped
        self.run.end()
        store_now_if_distributed()


def _take_part(args: Any) -> None:
    """Tell cellflux the process's global rank and the world size (see ``_ranks``)."""
    def number(name: str) -> int | None:
        value = getattr(args, name, None)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    take_part(number("process_index"), number("world_size"), local_rank=number("local_process_index"))


def _training_params(args: Any) -> dict[str, Any]:
    """The TrainingArguments away from their defaults, and those of ``ALWAYS``."""
    values = args.to_dict()
    kept: dict[str, Any] = {}
    for field in dataclasses.fields(args):
        if field.name not in values or field.name.startswith("_"):
            continue
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = dataclasses.MISSING
        value = values[field.name]
        if "token" in field.name or field.name in HIDDEN:
            continue
        if not value and not default and field.name not in ALWAYS:  # [] for None, False for None
            continue
        if field.name in ALWAYS or (value != default and str(value) != str(default)):
            kept[field.name] = value
    return kept


def _drop_default_progress() -> None:
    """Take the Trainer's own progress output out of the callbacks that call this hook.

    A callback is not handed the Trainer nor its callback list, only the event's
    arguments; the list is the ``CallbackHandler`` whose ``call_event`` calls this
    hook, one frame up from the hook. It is read there, and its public
    ``remove_callback`` drops the progress callbacks; where the frame is not a
    handler's (a future transformers), nothing is removed and both show.
    """
    frame = sys._getframe(2)  # this function <- the hook <- CallbackHandler.call_event
    handler = frame.f_locals.get("self")
    if not isinstance(handler, CallbackHandler):
        return
    for kind in _progress_callbacks():
        for callback in [c for c in handler.callbacks if type(c) is kind]:
            handler.remove_callback(callback)  # type: ignore[no-untyped-call]
