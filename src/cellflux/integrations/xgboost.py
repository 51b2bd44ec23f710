"""XGBoost: ``xgb.train(..., callbacks=[CellfluxCallback()])`` (and the scikit-learn API's ``callbacks=``).

Each training is one cellflux run: every result of ``evals`` at x = the number
of boosting rounds done, keyed ``dataset-metric`` as XGBoost prints them
(``train-logloss``, ``valid-logloss``), the datasets of one metric on one
chart; a progress bar of the rounds (stopped short of its total by early
stopping); the training's ``params`` and ``num_boost_round`` as the run's
hyperparameters.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

try:
    from xgboost.callback import TrainingCallback
except ImportError as error:
    raise ImportError(
        f"cellflux.integrations.xgboost needs XGBoost: pip install xgboost (or xgboost-cpu) ({error})"
    ) from error

import cellflux as cf

from ._naming import name_of_result
from ._recorder import Bars, Recorder, as_total

__all__ = ["CellfluxCallback"]

CONFIG_SECTIONS = ("learner_train_param", "tree_train_param", "linear_train_param")
"""Parts of the booster's saved configuration kept when the training's ``params`` cannot be read."""


class CellfluxCallback(TrainingCallback):  # type: ignore[misc, unused-ignore]
    """Report an XGBoost training into cellflux (see the module).

    ``name`` names the run (default "xgboost"); ``rounds`` is the total of the
    rounds bar, read from ``xgb.train``'s ``num_boost_round`` when not given.
    """

    def __init__(self, name: str | None = None, *, rounds: int | None = None) -> None:
        super().__init__()
        self.name = name
        self.rounds = rounds
        self.run: cf.Run | None = None
        """The run of the latest training."""
        self._bars = Bars()
        self._recorder = Recorder("round")
        self._first: int | None = None

    def before_training(self, model: Any) -> Any:
        if self.run is not None and not self.run.ended:
            self.run.end(status="failed")  # an earlier training of this callback raised
        caller = _training_locals()
        params = caller.get("params")
        table: dict[str, Any] = dict(params) if isinstance(params, Mapping) else _config_params(model)
        rounds = self.rounds if self.rounds is not None else as_total(caller.get("num_boost_round"))
        start = as_total(caller.get("start_iteration")) or 0
        if rounds is not None:
            table["num_boost_round"] = rounds
        self._bars, self._recorder, self._first = Bars(), Recorder("round"), None
        self.run = cf.run(self.name or "xgboost", params=table)
        self._bars.start("round", None if rounds is None else max(rounds - start, 0))
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: Mapping[str, Mapping[str, Any]]) -> bool:
        if self.run is None or self.run.ended:
            return False
        for dataset, metrics in evals_log.items():
            for metric, history in metrics.items():
                if history:
                    latest = history[-1]
                    value = latest[0] if isinstance(latest, tuple) else latest  # cv: (mean, std)
                    name = name_of_result(dataset, metric)
                    self._recorder.record_one(name.key, value, at=epoch + 1, name=name)
        self._bars.update("round")
        return False

    def after_training(self, model: Any) -> Any:
        if self.run is not None and not self.run.ended:
            self._bars.close_all()  # short of its total (early stopping): stopped
            self.run.end()
        return model


def _training_locals() -> dict[str, Any]:
    """The locals of the ``xgb.train`` (or ``xgb.cv``) call that calls ``before_training``.

    A callback is handed the booster only: the training's ``params`` and
    ``num_boost_round`` are read from the frame that runs the callbacks' container,
    two frames up. Elsewhere (a future XGBoost) they are simply not found.
    """
    frame = sys._getframe(3)  # this <- before_training <- CallbackContainer.before_training <- train
    found = frame.f_locals
    return dict(found) if "num_boost_round" in found else {}


def _config_params(model: Any) -> dict[str, Any]:
    try:
        learner = json.loads(model.save_config())["learner"]
    except (AttributeError, KeyError, TypeError, ValueError):
        return {}
    table: dict[str, Any] = {}
    for section in CONFIG_SECTIONS:
        table.update(learner.get(section, {}))
        table.update(learner.get("gradient_booster", {}).get(section, {}))
    return table
