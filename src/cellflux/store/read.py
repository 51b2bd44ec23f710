"""Reading a store back: ``executions()``, ``stored_execution()`` and :class:`StoredExecution`.

>>> import cellflux as cf
>>> runs = cf.executions(name="train", limit=5)   # newest first
>>> # x, y = runs[0].series("loss"); runs[0].to_pandas()
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, Union

from .group import parts_of
from .locate import locator, store_at
from ..params import Param
from .records import ExecutionRecord, Floats, MetricRecord, Store
from .sink import StoreSink

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped, unused-ignore]

StoreLike = Union[str, "os.PathLike[str]", Store, None]


class StoredExecution:
    """An execution read from a store, after its process is gone or while it runs.

    ``id``, ``name``, ``kind``, ``parent`` (the parent's id), ``status``,
    ``started_at``, ``ended_at`` (epoch seconds) and ``pid`` are as stored
    when it was read; ``refresh()`` reads them again. ``metrics`` maps each key
    to its definition, which the chart layout reads like a live series.
    """

    def __init__(self, record: ExecutionRecord, store: Store) -> None:
        self.record = record
        self.store = store

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def kind(self) -> str:
        return self.record.kind

    @property
    def parent(self) -> str | None:
        return self.record.parent

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def started_at(self) -> float:
        return self.record.started_at

    @property
    def ended_at(self) -> float | None:
        return self.record.ended_at

    @property
    def pid(self) -> int | None:
        return self.record.pid

    @property
    def host(self) -> str | None:
        """The host of the process that ran it (``CELLFLUX_HOST`` or the host name)."""
        return self.record.host

    @property
    def rank(self) -> int | None:
        """Its rank in a distributed job, else None."""
        return self.record.rank

    @functools.cached_property
    def parts(self) -> list[StoredExecution]:
        """The other ranks' executions when this is the run (rank 0) of a distributed job, by rank."""
        return [StoredExecution(r, self.store) for r in parts_of(self.store, self.record)]

    @functools.cached_property
    def metrics(self) -> dict[str, MetricRecord]:
        """Each metric key -> its definition (group, scale, x_auto, state), in first-record order."""
        return self.store.read_metrics(self.id)

    @functools.cached_property
    def params(self) -> dict[str, Param]:
        """The hyperparameters stored with the execution (``Execution.set_params``)."""
        return self.store.read_params(self.id)

    def series(self, key: str) -> tuple[Floats, Floats]:
        """The stored ``(x, y)`` values of ``key`` (NaN and infinities included)."""
        if key not in self.metrics and key not in self.refresh().metrics:
            raise KeyError(f"execution {self.name!r} ({self.id}) has no metric {key!r}")
        return self.store.read_series(self.id, key)

    def to_pandas(self) -> pandas.DataFrame:
        """Every point as a long table: columns ``execution``, ``key``, ``x``, ``value``.

        The run of a distributed job has the points of every rank, and two more
        columns, ``host`` and ``rank``.
        """
        import numpy as np
        import pandas as pd

        distributed = self.rank is not None
        columns: dict[str, list[Any]] = {"execution": [], "key": [], "x": [], "value": []}
        if distributed:
            columns.update(host=[], rank=[])
        for exe in [self, *self.parts]:
            for key in exe.metrics:
                x, y = exe.store.read_series(exe.id, key)
                columns["execution"].append(np.full(len(x), exe.id, dtype=object))
                columns["key"].append(np.full(len(x), key, dtype=object))
                columns["x"].append(x)
                columns["value"].append(y)
                if distributed:
                    columns["host"].append(np.full(len(x), exe.host, dtype=object))
                    columns["rank"].append(np.full(len(x), -1 if exe.rank is None else exe.rank, dtype=np.int64))
        kinds = {"execution": object, "key": object, "x": np.float64, "value": np.float64, "host": object,
                 "rank": np.int64}
        return pd.DataFrame(
            {name: np.concatenate(parts) if parts else np.empty(0, dtype=kinds[name])
             for name, parts in columns.items()}
        )

    def refresh(self) -> StoredExecution:
        """The same execution read again (its status, end time and metrics may have changed)."""
        record = self.store.read_execution(self.id)
        return StoredExecution(record or self.record, self.store)

    def __repr__(self) -> str:
        return f"StoredExecution({self.name!r}, id={self.id!r}, kind={self.kind!r}, status={self.status!r})"


def open_store(store: StoreLike = None) -> Store:
    """The store to read: a Store as is, a path or URL, or None for this process's store.

    This process's own store is flushed first, so what was just recorded is
    read back.
    """
    if store is not None and not isinstance(store, (str, os.PathLike)):
        return store
    from .. import config
    from ..runtime import current_runtime

    path = config.store_path() if store is None else os.fspath(store)
    if path is None:
        raise ValueError("no store to read: storing is off (configure(store=False) or CELLFLUX_STORE)")
    wanted = locator(path)
    rt = current_runtime()
    for sink in list(rt.sinks) if rt is not None else []:
        if isinstance(sink, StoreSink) and sink.store.locator == wanted:
            sink.flush()
            return sink.store
    return store_at(wanted)


def executions(store: StoreLike = None, *, name: str | None = None, limit: int | None = None) -> list[StoredExecution]:
    """Stored executions, newest first; ``name`` keeps those called so, ``limit`` the first few."""
    if name is not None and not isinstance(name, str):
        raise TypeError(f"executions(): name must be a str, got {type(name).__name__}")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise ValueError(f"executions(): limit must be a non-negative int, got {limit!r}")
    source = open_store(store)
    return [StoredExecution(r, source) for r in source.list_executions(name=name, limit=limit)]


def stored_execution(id: str, store: StoreLike = None) -> StoredExecution:
    """The stored execution whose id is ``id`` or starts with it (when only one does)."""
    if not isinstance(id, str) or not id:
        raise TypeError(f"stored_execution(): id must be a non-empty str, got {id!r}")
    source = open_store(store)
    exact = source.read_execution(id)
    if exact is not None:
        return StoredExecution(exact, source)
    found = source.find_executions(id)
    if not found:
        raise LookupError(f"no execution with id {id!r} in {source.path}")
    if len(found) > 1:
        ids = ", ".join(r.id for r in found[:5])
        raise LookupError(f"execution id prefix {id!r} is ambiguous in {source.path}: {ids}")
    return StoredExecution(found[0], source)

