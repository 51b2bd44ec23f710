"""Which process records: its host and, in a distributed job, its rank.

Every execution carries the identity of the process that started it, and the
store keeps it with the execution's row, so that the ranks of one job, on
several hosts, land on one board tagged by host and rank. The identity is read
from the environment the first time it is needed in a process (``torchrun``
and most launchers set these variables):

- ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``GROUP_RANK`` (or ``NODE_RANK``):
  the process's place in the job;
- ``CELLFLUX_JOB``, else ``TORCHELASTIC_RUN_ID`` (``torchrun --rdzv-id``), else
  ``MASTER_ADDR:MASTER_PORT``: what the ranks of one job have in common; a
  restart of the job (``TORCHELASTIC_RESTART_COUNT``) is another job;
- ``CELLFLUX_HOST``, else the host name: a rehearsal fakes two hosts on one
  machine with it.

Code that knows better (a framework integration that asks its trainer for the
rank) calls :func:`set_identity` before recording.

>>> import cellflux as cf
>>> cf.set_identity(rank=0, world_size=1, job="doctest").rank
0
>>> _ = cf.set_identity(rank=None, world_size=None, job=None)
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, replace
from typing import Any

_UNSET: Any = object()


@dataclass(frozen=True)
class ProcessIdentity:
    """Where a process runs and, in a distributed job, which rank it is.

    ``job`` is None outside a distributed job; ``rank`` 0 of a job is its run,
    the other ranks are the run's parts.
    """

    host: str
    pid: int
    rank: int | None = None
    world_size: int | None = None
    local_rank: int | None = None
    node_rank: int | None = None
    job: str | None = None

    @property
    def distributed(self) -> bool:
        """True in a job of several ranks: the executions of its ranks are grouped."""
        return self.job is not None and self.rank is not None

    @property
    def label(self) -> str:
        """How boards tag this process's points: ``host`` or ``host rank 3``."""
        return self.host if self.rank is None else f"{self.host} rank {self.rank}"


_lock = threading.Lock()
_overrides: dict[str, Any] = {}
_cached: ProcessIdentity | None = None


def _int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _job_from_environment(rank: int | None) -> str | None:
    job = os.environ.get("CELLFLUX_JOB", "").strip()
    if not job and rank is not None:
        run_id = os.environ.get("TORCHELASTIC_RUN_ID", "").strip()
        if run_id and run_id.lower() != "none":
            job = run_id
        else:
            addr, port = os.environ.get("MASTER_ADDR", ""), os.environ.get("MASTER_PORT", "")
            job = f"{addr}:{port}" if addr or port else "job"
    if not job:
        return None
    restart = os.environ.get("TORCHELASTIC_RESTART_COUNT", "").strip()
    return f"{job} restart {restart}" if restart and restart != "0" else job


def _from_environment() -> ProcessIdentity:
    rank = _int("RANK")
    node_rank = _int("GROUP_RANK")
    return ProcessIdentity(
        host=os.environ.get("CELLFLUX_HOST", "").strip() or socket.gethostname() or "localhost",
        pid=os.getpid(),
        rank=rank,
        world_size=_int("WORLD_SIZE"),
        local_rank=_int("LOCAL_RANK"),
        node_rank=node_rank if node_rank is not None else _int("NODE_RANK"),
        job=_job_from_environment(rank),
    )


def process_identity() -> ProcessIdentity:
    """This process's identity: the environment's, with what :func:`set_identity` changed."""
    global _cached
    found = _cached
    if found is None or found.pid != os.getpid():  # a forked child is another process
        with _lock:
            found = replace(_from_environment(), **_overrides)
            _cached = found
    return found


_occurrences: dict[str, int] = {}


def next_occurrence(name: str) -> int:
    """How many executions called ``name`` this process has started, this one included.

    Ranks of a distributed job run the same program: the k-th execution called
    ``name`` on one rank is the k-th on every other, which groups them without
    any exchange between the ranks.
    """
    with _lock:
        count = _occurrences.get(name, 0) + 1
        _occurrences[name] = count
        return count


def set_identity(
    *,
    host: Any = _UNSET,
    rank: Any = _UNSET,
    world_size: Any = _UNSET,
    local_rank: Any = _UNSET,
    node_rank: Any = _UNSET,
    job: Any = _UNSET,
) -> ProcessIdentity:
    """Tell cellflux where this process stands in a distributed job (None: as unset).

    Executions started from now on carry it. Giving a ``rank`` without a ``job``
    takes the job from the environment (see the module's docstring).
    """
    global _cached
    given = {"host": host, "rank": rank, "world_size": world_size, "local_rank": local_rank,
             "node_rank": node_rank, "job": job}
    for name, value in given.items():
        if value is _UNSET or value is None:
            continue
        wanted = str if name in ("host", "job") else int
        if not isinstance(value, wanted) or isinstance(value, bool) or (isinstance(value, int) and value < 0):
            raise TypeError(f"set_identity(): {name} must be a{' non-negative int' if wanted is int else ' str'}, "
                            f"got {value!r}")
    with _lock:
        for name, value in given.items():
            if value is _UNSET:
                continue
            if value is None:
                _overrides.pop(name, None)
            else:
                _overrides[name] = value
        if "rank" in _overrides and "job" not in _overrides:
            _overrides["job"] = _job_from_environment(_overrides["rank"])
        _cached = None
    return process_identity()
