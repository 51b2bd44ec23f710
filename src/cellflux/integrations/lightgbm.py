"""LightGBM: ``lgb.train(..., callbacks=[cellflux_callback()])`` (also ``lgb.cv`` and the scikit-learn API).

Each training is one cellflux run: every evaluation result at x = the number of
boosting rounds done, keyed ``dataset-metric`` (``training-l2``,
``valid_0-l2``), the datasets of one metric on one chart; a progress bar of
the rounds; the training's ``params`` as the run's hyperparameters.

LightGBM calls a callback after each round and never at the end of training,
so the run starts at the first round and ends at the last one. Early stopping
ends a training without telling its callbacks: the run then ends with the
notebook cell (or task, or script) that trained, as succeeded, its rounds bar
stopped short of its total; a new training with the same callback ends it too.
"""

from __future__ import annotations

from typing import Any

try:
    import lightgbm
except ImportError as error:
    raise ImportError(f"cellflux.integrations.lightgbm needs LightGBM: pip install lightgbm ({error})") from error

import cellflux as cf

from ._naming import name_of_result
from ._recorder import Bars, Recorder

__all__ = ["CellfluxCallback", "cellflux_callback"]

ORDER = 25
"""After ``record_evaluation`` (20), before ``early_stopping`` (30): the round that
early stopping ends on is recorded too, as LightGBM's own records have it."""


class CellfluxCallback:
    """The callback :func:`cellflux_callback` makes; ``run`` is the run of the latest training."""

    order = ORDER
    before_iteration = False

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.run: cf.Run | None = None
        self._bars = Bars()
        self._recorder = Recorder("round")

    def __call__(self, env: Any) -> None:
        if env.iteration == env.begin_iteration or self.run is None or self.run.ended:
            self._start(env)
        assert self.run is not None
        for result in env.evaluation_result_list or []:
            dataset, metric, value = result[0], result[1], result[2]
            if dataset == "cv_agg":  # lgb.cv: ("cv_agg", "valid l2", mean, higher_better, std)
                dataset, _, metric = str(metric).partition(" ")
            name = name_of_result(str(dataset), str(metric))
            self._recorder.record_one(name.key, value, at=env.iteration + 1, name=name)
        self._bars.update("round")
        if env.iteration + 1 >= env.end_iteration:
            self._bars.close_all()
            self.run.end()

    def _start(self, env: Any) -> None:
        if self.run is not None and not self.run.ended:
            self._bars.close_all()
            self.run.end()  # the training before stopped early (LightGBM does not say)
        self._bars, self._recorder = Bars(), Recorder("round")
        params = dict(env.params or {})
        self.run = cf.run(self.name or "lightgbm", params=params)
        self._bars.start("round", max(env.end_iteration - env.begin_iteration, 0))
        if env.iteration > env.begin_iteration:  # started late: count the rounds before
            self._bars.update(env.iteration - env.begin_iteration)


def cellflux_callback(name: str | None = None) -> CellfluxCallback:
    """A LightGBM callback that reports the training into cellflux (see the module).

    ``name`` names the run (default "lightgbm").
    """
    return CellfluxCallback(name)


_ = lightgbm  # imported above only to say, at import, when LightGBM is missing
