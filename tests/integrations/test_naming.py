"""The pairing rules: which chart each framework's logged key goes to (every example of issue 14)."""

from __future__ import annotations

import pytest

from cellflux.integrations._naming import name_of, name_of_result

KEYS = [
    # key, quantity (the chart), split
    ("loss", "loss", None),  # Keras, Hugging Face: training values carry no split
    ("val_loss", "loss", "val"),  # Keras
    ("accuracy", "accuracy", None),
    ("val_accuracy", "accuracy", "val"),
    ("train_loss", "loss", "train"),  # Lightning
    ("train/acc", "acc", "train"),
    ("val/acc", "acc", "val"),
    ("train_loss_step", "loss", "train"),  # Lightning's on_step + on_epoch
    ("train_loss_epoch", "loss", "train"),
    ("valid_loss", "loss", "val"),
    ("validation-loss", "loss", "val"),
    ("test_acc", "acc", "test"),
    ("loss/val", "loss", "val"),  # the split as a suffix
    ("acc/train", "acc", "train"),
    ("eval_loss", "loss", "val"),  # Hugging Face
    ("eval_accuracy", "accuracy", "val"),
    ("learning_rate", "learning_rate", None),  # their own charts
    ("lr", "lr", None),
    ("lr-Adam", "lr-Adam", None),
    ("grad_norm", "grad_norm", None),
    ("momentum", "momentum", None),
    ("trainer", "trainer", None),  # a split word must be a word of its own
    ("evaluation", "evaluation", None),
    ("val_", "val_", None),
]


@pytest.mark.parametrize(("key", "quantity", "split"), KEYS)
def test_key_goes_to_the_chart_of_its_quantity(key: str, quantity: str, split: str | None) -> None:
    name = name_of(key)
    assert name is not None and (name.key, name.quantity, name.split) == (key, quantity, split)


@pytest.mark.parametrize("key", ["epoch", "step", "global_step", "Epoch"])
def test_the_frameworks_x_is_not_a_metric(key: str) -> None:
    assert name_of(key) is None


RESULTS = [
    # dataset, metric, key, quantity, split
    ("train", "logloss", "train-logloss", "logloss", "train"),  # XGBoost
    ("valid", "logloss", "valid-logloss", "logloss", "val"),
    ("eval", "auc", "eval-auc", "auc", "val"),
    ("dtrain", "rmse", "dtrain-rmse", "rmse", None),  # a user's own dataset name
    ("training", "l2", "training-l2", "l2", "train"),  # LightGBM
    ("valid_0", "l2", "valid_0-l2", "l2", "val"),
    ("valid_1", "binary_logloss", "valid_1-binary_logloss", "binary_logloss", "val"),
]


@pytest.mark.parametrize(("dataset", "metric", "key", "quantity", "split"), RESULTS)
def test_boosting_results_pair_by_metric(dataset: str, metric: str, key: str, quantity: str, split: str | None) -> None:
    name = name_of_result(dataset, metric)
    assert (name.key, name.quantity, name.split) == (key, quantity, split)


def test_pairs_share_a_chart_and_others_do_not() -> None:
    charts = {k: name_of(k).quantity for k in ("loss", "val_loss", "learning_rate", "grad_norm")}  # type: ignore[union-attr]
    assert charts["loss"] == charts["val_loss"]
    assert len({charts["loss"], charts["learning_rate"], charts["grad_norm"]}) == 3
