"""Hugging Face ``Trainer`` with the cellflux callback under torchrun: 2 CPU processes (gloo).

The callback tells cellflux the Trainer's global rank and world size: both
ranks record into one SQLite store, rank 0's run listed with rank 1's execution
as its part, each with its own logged losses at the Trainer's global step; only
rank 0 would draw (rank 1 turned its display off; a board also needs a notebook
kernel, which these processes lack).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import cellflux as cf


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_ranks_record_tagged_and_only_rank_zero_draws(tmp_path: Path) -> None:
    store = tmp_path / "metrics.sqlite"
    env = {k: v for k, v in os.environ.items() if k not in ("CELLFLUX_DISPLAY", "CELLFLUX_JOB", "RANK", "WORLD_SIZE")}
    env.update(CELLFLUX_STORE=str(store), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
               "--master-port", str(_free_port()), str(Path(__file__).with_name("train_transformers.py")),
               str(tmp_path)]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]

    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [(r["rank"], r["world_size"]) for r in ranks] == [(0, 2), (1, 2)]
    assert ranks[0]["job"] is not None and ranks[0]["job"] == ranks[1]["job"]
    assert ranks[0]["display"] is not False and ranks[1]["display"] is False

    (run,) = cf.executions(store, name="BertForSequenceClassification")
    assert [(e.rank, e.status, e.record.world_size, e.record.job) for e in [run, *run.parts]] == [
        (0, "succeeded", 2, ranks[0]["job"]), (1, "succeeded", 2, ranks[0]["job"])]
    for execution in [run, *run.parts]:
        xs, ys = execution.series("loss")
        assert list(xs) == [2.0, 4.0, 6.0]  # the Trainer's global step, logged every 2 steps
        assert all(y > 0 for y in ys)
