"""A framework's rank and world size, told to cellflux before a run starts.

In a distributed training every process runs the integration. Each tells
cellflux its place (``cf.set_identity``), so that its run is stored tagged with
its rank and the ranks of one job land on one board, rank 0's run with the
others as its parts; only global rank 0 draws: the other ranks turn their
display off and record into the store alone. The runs keep the same name on
every rank: that name, with the job, is what groups them.
"""

from __future__ import annotations

import sys

import cellflux as cf


def take_part(rank: int | None, world_size: int | None, *, local_rank: int | None = None,
              node_rank: int | None = None) -> bool:
    """Tell cellflux where this process stands; True when it draws the board (rank 0, or not distributed).

    A world of one process is not a distributed job: the identity is left as
    the environment says (a ``torchrun`` of one rank is still tagged).
    """
    if rank is None or world_size is None or world_size <= 1:
        return True
    cf.set_identity(rank=rank, world_size=world_size, local_rank=local_rank, node_rank=node_rank)
    if rank != 0:
        cf.configure(display=False)  # a worker of the job: the board is rank 0's
    return rank == 0


def torch_rank() -> tuple[int | None, int | None]:
    """``(rank, world_size)`` of ``torch.distributed``'s default group when one is up, else ``(None, None)``.

    Reads ``torch.distributed`` only when something already imported it: a
    training that never did is not distributed.
    """
    dist = sys.modules.get("torch.distributed")
    try:
        if dist is None or not dist.is_available() or not dist.is_initialized():
            return None, None
        return int(dist.get_rank()), int(dist.get_world_size())
    except (AttributeError, RuntimeError, ValueError):
        return None, None


def store_now_if_distributed() -> None:
    """In a rank of a distributed job, store everything recorded before the training returns.

    Lightning's ``ddp_fork``/``ddp_notebook`` (and ``torch.multiprocessing``
    with fork) end their processes with ``os._exit``, which skips the exit
    handlers that store what is still pending: the run would stay "running"
    and its last points would be lost.
    """
    if cf.process_identity().distributed:
        cf.flush()
