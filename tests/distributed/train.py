"""One rank of the rehearsal job: torch.distributed (gloo, CPU) training that records with cellflux.

Usage (under torchrun): ``train.py GO_FILE OUT_DIR STEPS``. Every rank trains a
small DDP model, records its loss and a known ``step`` value (rank * 1000 +
step), and checkpoints with ``cf.flush()`` every 10 steps. The ranks wait for
GO_FILE before training, so that the watching notebook is there from the start.
Each rank writes what its flushes reported to OUT_DIR/rank<R>.json.
"""

from __future__ import annotations

import json
import os
import sys
import time

import torch
import torch.distributed as dist

import cellflux as cf


def main() -> None:
    go_file, out_dir, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(rank)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(8, 1))
    optimiser = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_metric = cf.Metric("loss", group="training", throttle=None)
    step_metric = cf.Metric("step", group="training", throttle=None)
    reports: list[bool] = []

    @cf.task("train")
    def train() -> None:
        step_metric.record(rank * 1000.0 - 1, at=-1)
        reports.append(bool(cf.flush()))  # this rank's execution is in the store
        dist.barrier()
        while not os.path.exists(go_file):
            time.sleep(0.05)
        for step in range(steps):
            x = torch.randn(32, 8)
            loss = torch.nn.functional.mse_loss(model(x), x.sum(1, keepdim=True))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            loss_metric.record(loss.item(), at=step)
            step_metric.record(rank * 1000.0 + step, at=step)
            if step % 10 == 9:
                reports.append(bool(cf.flush()))  # a checkpoint
            time.sleep(0.03)

    train()
    reports.append(bool(cf.flush()))
    me = cf.process_identity()
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w", encoding="utf-8") as out:
        json.dump({"rank": me.rank, "host": me.host, "world_size": me.world_size, "job": me.job,
                   "flushes": reports}, out)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
