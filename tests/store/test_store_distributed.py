"""The ranks of a distributed job, on two hosts, stored as one run and its parts, on both backends."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import cellflux as cf
from cellflux.display.replay import board_for, watch
from cellflux.display.ticker import Ticker

from .backends import Backend

RANK = """
import os, sys, cellflux as cf
cf.configure(store=sys.argv[1], display=False)
rank = int(os.environ["RANK"])
loss = cf.Metric("loss", group="training", throttle=None)

@cf.task("train")
def train():
    for i in range(100):
        loss.record(rank * 1000 + i, at=i)

train()
assert cf.flush()
"""


def _ranks(where: str, job: str) -> None:
    procs = []
    for rank in range(4):
        env = {**os.environ, "RANK": str(rank), "WORLD_SIZE": "4", "LOCAL_RANK": str(rank % 2),
               "GROUP_RANK": str(rank // 2), "CELLFLUX_HOST": f"host-{'ab'[rank // 2]}",
               "TORCHELASTIC_RUN_ID": job, "CELLFLUX_DISPLAY": "0"}
        procs.append(subprocess.Popen([sys.executable, "-c", RANK, where], env=env, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err


def test_every_rank_is_a_part_of_the_rank_0_run(backend: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    _ranks(backend.where, "job-1")
    _ranks(backend.where, "job-2")  # a second job: its ranks are its own run's parts
    runs = cf.executions(backend.where, name="train")
    assert len(runs) == 2 and all(r.rank == 0 for r in runs)  # the parts are not listed on their own
    run = runs[0]
    assert (run.host, run.record.job, run.status) == ("host-a", "job-2", "succeeded")
    assert [(p.host, p.rank, p.record.job) for p in run.parts] == [
        ("host-a", 1, "job-2"), ("host-b", 2, "job-2"), ("host-b", 3, "job-2")]
    assert run.series("loss")[1].tolist() == list(range(100))  # the run's own series is rank 0's
    assert run.parts[2].series("loss")[1][-1] == 3099.0
    assert cf.stored_execution(run.parts[0].id, backend.where).rank == 1
    frame = run.to_pandas()
    assert list(frame.columns) == ["execution", "key", "x", "value", "host", "rank"]
    assert frame.groupby(["host", "rank"])["value"].max().to_dict() == {
        ("host-a", 0): 99.0, ("host-a", 1): 1099.0, ("host-b", 2): 2099.0, ("host-b", 3): 3099.0}

    board = board_for([run])  # what cf.show(run) draws: every rank, tagged
    assert sorted(board.series) == [f"loss · host-{'ab'[r // 2]} rank {r}" for r in range(4)]
    cf.show(run)
    text = capsys.readouterr().out
    for rank in range(4):
        assert f"loss · host-{'ab'[rank // 2]} rank {rank}" in text and f"{rank * 1000 + 99}" in text

    shown: list[dict[str, str]] = []
    watcher = watch(run.id, store=backend.where, display=lambda b, p: shown.append(b) or 0,
                    update=lambda b, h: shown.append(b), ticker=Ticker(thread=False))
    assert watcher.done.wait(60)  # every rank has ended: the board is final
    final = shown[-1]["text/plain"]
    for rank in range(4):
        assert f"loss · host-{'ab'[rank // 2]} rank {rank}" in final and f"{rank * 1000 + 99}" in final
