"""Lightning DDP on CPU, two processes (``ddp_fork``, gloo), with the cellflux logger and bar.

``ddp_fork`` is ``ddp_notebook`` on CPU, the strategy of a notebook; its
processes end with ``os._exit``, so what is stored is what the integration
stored before ``fit`` returned (``ddp_spawn`` passes the same test, slower: its
processes import everything again).

Both ranks record into one SQLite store: the run of rank 0 is listed, rank 1's
execution is its part, both tagged with their rank and the same job, each with
its own points (a value logged per rank says whose they are). Only rank 0 would
draw: each rank writes down, at the end of ``fit``, whether its display is on
(a board needs a notebook kernel as well, which the spawned processes lack; the
display setting is what the integration decides).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import cellflux as cf
from cellflux import config
from cellflux.integrations.lightning import CellfluxLogger, CellfluxProgressBar
from cellflux.runtime import current_runtime

EPOCHS, BATCHES_PER_RANK, LOG_EVERY = 2, 4, 2


class Regressor(L.LightningModule):
    """At module level, so that ``ddp_spawn`` could pickle it by reference too."""

    def __init__(self, out_dir: str) -> None:
        super().__init__()
        self.out_dir = out_dir
        self.net = torch.nn.Linear(4, 1)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss)
        self.log("rank_seen", float(self.global_rank))  # not synced: each rank logs its own rank
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.05)

    def on_fit_end(self) -> None:
        me = cf.process_identity()
        record = {"rank": self.global_rank, "display": config.display_enabled(), "identity_rank": me.rank,
                  "world_size": me.world_size, "job": me.job}
        Path(self.out_dir, f"rank{self.global_rank}.json").write_text(json.dumps(record))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This test's store and display settings, as ``cf.configure`` in a notebook sets them before ``fit``.

    The forked ranks inherit them, and this process's runtime if an earlier
    test made one; both are put back afterwards.
    """
    path = tmp_path / "metrics.sqlite"
    with monkeypatch.context() as patch:
        patch.setattr(config.settings, "store", str(path))
        patch.setattr(config.settings, "store_enabled", True)
        patch.setattr(config.settings, "display", None)
        for name in ("CELLFLUX_DISPLAY", "CELLFLUX_JOB", "RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
            patch.delenv(name, raising=False)  # Lightning sets the master's address in this process
        _reconfigure()
        yield path
    _reconfigure()


def _reconfigure() -> None:
    runtime = current_runtime()
    if runtime is not None:
        runtime.reconfigure()


def test_two_ranks_record_tagged_and_only_rank_zero_draws(store: Path, tmp_path: Path) -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(2 * BATCHES_PER_RANK * 8, 4, generator=generator)
    data = TensorDataset(x, x.sum(dim=1, keepdim=True))
    trainer = L.Trainer(strategy="ddp_fork", accelerator="cpu", devices=2, max_epochs=EPOCHS,
                        log_every_n_steps=LOG_EVERY, logger=CellfluxLogger(), callbacks=[CellfluxProgressBar()],
                        enable_checkpointing=False, enable_model_summary=False, num_sanity_val_steps=0)
    trainer.fit(Regressor(str(tmp_path)), DataLoader(data, batch_size=8), DataLoader(data, batch_size=8))

    ranks = {r["rank"]: r for r in (json.loads(p.read_text()) for p in tmp_path.glob("rank*.json"))}
    assert sorted(ranks) == [0, 1]
    assert ranks[0]["display"] is not False  # rank 0 draws wherever a notebook shows it
    assert ranks[1]["display"] is False  # rank 1 records only
    assert [(r["identity_rank"], r["world_size"]) for _, r in sorted(ranks.items())] == [(0, 2), (1, 2)]
    assert ranks[0]["job"] is not None and ranks[0]["job"] == ranks[1]["job"]

    (run,) = cf.executions(store, name="Regressor")  # rank 1 is not listed: it is a part of rank 0's run
    assert run.status == "succeeded"
    assert [(e.rank, e.record.world_size, e.record.job) for e in [run, *run.parts]] == [
        (0, 2, ranks[0]["job"]), (1, 2, ranks[0]["job"])]
    steps = EPOCHS * BATCHES_PER_RANK
    for execution in [run, *run.parts]:
        assert {"train_loss", "rank_seen", "val_loss"} <= set(execution.metrics)
        xs, ys = execution.series("rank_seen")
        assert list(xs) == [float(s) for s in range(LOG_EVERY - 1, steps, LOG_EVERY)]  # Lightning's global step
        assert set(ys) == {float(execution.rank or 0)}  # each rank's own points
        assert len(execution.series("val_loss")[0]) == EPOCHS
