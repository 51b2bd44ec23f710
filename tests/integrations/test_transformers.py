"""Hugging Face Trainer: a 2-layer BERT built from a config with a tiny vocabulary (no download)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    EarlyStoppingCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)
from transformers.trainer_callback import PrinterCallback, ProgressCallback

import cellflux as cf
from cellflux.integrations.transformers import CellfluxCallback

from .conftest import Harness


class Tokens(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    """Random token ids; the label says whether the first token is in the upper half of the vocabulary."""

    def __init__(self, n: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, 32, (n, 8), generator=generator)
        self.labels = (self.ids[:, 0] >= 16).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.labels[i]}


def make_trainer(tmp_path: Path, callbacks: list[Any], **kwargs: Any) -> Trainer:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16, num_labels=2)
    options: dict[str, Any] = dict(
        output_dir=str(tmp_path / "out"), num_train_epochs=2, per_device_train_batch_size=8, logging_steps=2,
        eval_strategy="epoch", save_strategy="no", report_to=[], use_cpu=True, learning_rate=1e-3,
    )
    options.update(kwargs)
    return Trainer(model=BertForSequenceClassification(config), args=TrainingArguments(**options),
                   train_dataset=Tokens(48, 0), eval_dataset=Tokens(24, 1), callbacks=callbacks)


def test_train_is_one_run_with_paired_charts_bars_and_arguments(harness: Harness, tmp_path: Path) -> None:
    callback = CellfluxCallback()
    trainer = make_trainer(tmp_path, [callback])
    kinds = [type(c) for c in trainer.callback_handler.callbacks]
    assert ProgressCallback not in kinds and PrinterCallback not in kinds  # the Trainer's own output is gone
    trainer.train()
    assert callback.run is not None
    exe = callback.run.execution
    stored = harness.stored(exe)
    assert stored.name == "BertForSequenceClassification" and stored.status == "succeeded"
    history = trainer.state.log_history
    train_logs = [h for h in history if "loss" in h]
    eval_logs = [h for h in history if "eval_loss" in h]
    xs, ys = stored.series("loss")
    assert xs.tolist() == [float(h["step"]) for h in train_logs]  # x: the global step
    assert ys.tolist() == pytest.approx([h["loss"] for h in train_logs])
    assert stored.series("eval_loss")[1].tolist() == pytest.approx([h["eval_loss"] for h in eval_logs])
    assert stored.series("eval_loss")[0].tolist() == [6.0, 12.0]
    assert {"learning_rate", "grad_norm"} <= set(stored.metrics) and "eval_runtime" not in stored.metrics
    assert stored.params["learning_rate"] == 1e-3 and stored.params["num_train_epochs"] == 2
    assert not any("token" in key for key in stored.params)
    lines = harness.chart_lines(exe)
    assert lines["loss"] == ["loss", "eval_loss"] and lines["learning_rate"] == ["learning_rate"]
    bars = harness.bars(exe)
    assert bars["epoch"] == ("done", 2, 2) and bars["step"] == ("done", 6, 6) and bars["evaluation"] == ("done", 3, 3)
    assert len(harness.screen.shown) == 2


def test_early_stopping_ends_the_run_succeeded_with_the_epoch_bar_stopped(harness: Harness, tmp_path: Path) -> None:
    callback = CellfluxCallback()
    trainer = make_trainer(
        tmp_path, [callback, EarlyStoppingCallback(early_stopping_patience=1, early_stopping_threshold=10.0)],
        num_train_epochs=6, save_strategy="epoch", load_best_model_at_end=True, metric_for_best_model="eval_loss",
    )
    trainer.train()
    assert callback.run is not None
    stored = harness.stored(callback.run.execution)
    assert stored.status == "succeeded" and trainer.state.epoch == 2
    assert harness.bars(callback.run.execution)["epoch"] == ("stopped", 2, 6)


class Fail(TrainerCallback):  # type: ignore[misc]
    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == 4:
            raise RuntimeError("diverged")


def test_an_exception_mid_training_fails_the_run_and_keeps_the_points(harness: Harness, tmp_path: Path) -> None:
    callback = CellfluxCallback()
    trainer = make_trainer(tmp_path, [callback, Fail()])

    @cf.task  # stands in for the notebook cell, which ends the run the Trainer never ends
    def cell() -> None:
        trainer.train()

    with pytest.raises(RuntimeError, match="diverged"):
        cell()
    assert callback.run is not None
    stored = harness.stored(callback.run.execution)
    assert stored.status == "failed" and stored.series("loss")[0].tolist() == [2.0]
    assert stored.metrics["step"].state == "failed"
