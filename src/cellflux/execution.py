"""Executions: one per task call, per notebook cell run, or per script."""

from __future__ import annotations

import contextvars
import itertools
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .definitions import MetricGroup, MetricScale, merge
from .config import masked
from .identity import ProcessIdentity, next_occurrence, process_identity
from .params import Param, flatten
from .series import Series
from .throttle import KeyState
from .values import check_encodable

if TYPE_CHECKING:
    from .series import Floats

RUNNING, SUCCEEDED, FAILED, INTERRUPTED = "running", "succeeded", "failed", "interrupted"

current: contextvars.ContextVar[Execution | None] = contextvars.ContextVar(
    "cellflux_execution", default=None
)
"""The task execution of this context (thread or asyncio task), if any."""


def status_after(error: BaseException | None) -> str:
    """The status of an execution that ended by raising ``error`` (None: returned)."""
    if error is None:
        return SUCCEEDED
    return INTERRUPTED if isinstance(error, KeyboardInterrupt) else FAILED


@dataclass(frozen=True)
class ExecutionHandle:
    """What another process needs to record into an execution of this one (``cf.attach``).

    A live execution pickles as its handle, so it can be passed to a worker.
    """

    id: str
    name: str
    kind: str
    parent: str | None
    started_at: float
    pid: int
    """The process that owns the execution and writes its status."""
    store: str | None
    """Where a sink of the owning process keeps the execution for other processes
    (the store file, or a PostgreSQL URL, which may hold a password: the repr
    masks it), or None when none does."""

    def __repr__(self) -> str:
        where = None if self.store is None else masked(self.store)
        return (f"ExecutionHandle(id={self.id!r}, name={self.name!r}, kind={self.kind!r}, parent={self.parent!r}, "
                f"started_at={self.started_at!r}, pid={self.pid!r}, store={where!r})")

    @classmethod
    def of(cls, execution: Execution, *, store: str | None = None, pid: int | None = None) -> ExecutionHandle:
        parent = execution.parent.id if execution.parent is not None else None
        owner = execution.pid if pid is None else pid
        return cls(execution.id, execution.name, execution.kind, parent, execution.started_at, owner, store)


class Host(Protocol):
    """What an execution needs of the runtime that started it (:class:`cellflux.runtime.Runtime`)."""

    clock: Callable[[], float]
    wall: Callable[[], float]

    def handle(self, execution: Execution) -> ExecutionHandle:
        """How another process reaches ``execution``: as the runtime's sinks say."""
        ...

    def params_changed(self, execution: Execution) -> None:
        """``execution.set_params()`` was called: tell the sinks."""
        ...


_ids = itertools.count(1)


class Execution:
    """One run: a task call, a notebook cell, or a whole script.

    ``id``, ``name``, ``parent`` (an Execution or None), ``kind`` (task,
    workflow, cell or process), ``started_at`` and ``ended_at`` (wall clock,
    seconds since the epoch) and ``status`` (running, succeeded, failed or
    interrupted). ``process`` is the :class:`~cellflux.identity.ProcessIdentity`
    of the process that started it (host, and rank in a distributed job), and
    ``occurrence`` counts the executions of this name that the process started.
    """

    def __init__(
        self, runtime: Host, name: str, kind: str, parent: Execution | None, id: str | None = None
    ) -> None:
        self.id = id if id is not None else f"{uuid.uuid4().hex[:12]}"
        self.name = name
        self.kind = kind
        self.parent = parent
        self.runtime = runtime
        self.status = RUNNING
        self.t0 = runtime.clock()
        """Clock reading at the start: auto x is ``clock() - t0``."""
        self.started_at = runtime.wall()
        self.ended_at: float | None = None
        self.pid = os.getpid()
        self.process: ProcessIdentity = process_identity()
        self.occurrence = next_occurrence(name) if id is None else 0
        """0 for a stand-in of another process's execution (``cf.attach``)."""
        self.thread_id = threading.get_ident()
        self.seq = next(_ids)
        self.states: dict[str, KeyState] = {}
        self.groups: dict[str, MetricGroup] = {}
        self.scales: dict[tuple[str, str], MetricScale] = {}
        self.metrics: dict[str, tuple[str | None, MetricScale | None]] = {}
        self.lock = threading.Lock()
        self._params: dict[str, Param] = {}
        self.on_end: list[Callable[[str], None]] = []
        """Called with the final status just before this execution ends: runs
        started inside it (``cf.run``) that their code did not end."""

    def __repr__(self) -> str:
        return f"Execution({self.name!r}, id={self.id!r}, kind={self.kind!r}, status={self.status!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to another process (a worker), an execution travels as its handle.
        return (ExecutionHandle, astuple(self.runtime.handle(self)))

    @property
    def duration(self) -> float:
        end = self.ended_at if self.ended_at is not None else self.runtime.wall()
        return max(0.0, end - self.started_at)

    @property
    def buffers(self) -> dict[str, Series]:
        """Each metric key recorded in this execution, with its points."""
        return {key: state.series for key, state in list(self.states.items())}

    @property
    def params(self) -> dict[str, Param]:
        """The hyperparameters stored with this execution (a copy), see :meth:`set_params`."""
        with self.lock:
            return dict(self._params)

    def set_params(self, params: Mapping[str, Any]) -> None:
        """Add or replace hyperparameters of this execution: stored with it, shown under its board.

        Nested mappings become dotted names; values other than numbers,
        booleans, text and None are kept as text (see :mod:`cellflux.params`).

        >>> # cf.current_execution().set_params({"lr": 1e-3, "optimizer": {"name": "adam"}})
        """
        if not isinstance(params, Mapping):
            raise TypeError(f"set_params(): expected a mapping, got {type(params).__name__}")
        table = flatten(params)
        for key, value in table.items():
            check_encodable("set_params()", "name", key)
            if isinstance(value, str):
                check_encodable("set_params()", f"value of {key!r}", value)
        with self.lock:
            self._params.update(table)
        self.runtime.params_changed(self)

    def series(self, key: str) -> tuple[Floats, Floats]:
        """Copies of the ``(x, y)`` values of ``key`` reported so far."""
        state = self.states.get(key)
        if state is None:
            raise KeyError(f"execution {self.name!r} has no metric {key!r}")
        return state.series.read()

    def state_for(
        self, key: str, window: float, group: MetricGroup | None, scale: MetricScale | None
    ) -> tuple[KeyState, bool]:
        """The throttle state of ``key``, and whether this call created it (with its series).

        Raises ``ValueError`` when ``group`` or ``scale`` conflicts with the key's definition.
        """
        state = self.states.get(key)
        if state is not None:
            self.define(key, group, scale)
            return state, False
        group, scale = self.define(key, group, scale)
        with self.lock:
            state = self.states.get(key)
            if state is not None:
                return state, False
            state = KeyState(self, Series(key, self, group, scale), window)
            self.states[key] = state
            return state, True

    def drain(self) -> None:
        """Report every point still waiting in a throttle window."""
        for state in list(self.states.values()):
            state.drain()

    def finish(self, status: str) -> None:
        """Report every waiting point, settle the progress bars, and take ``status``."""
        for state in list(self.states.values()):
            state.drain()
            series = state.series
            if series.state == "running" or (series.state == "stopped" and status != SUCCEEDED):
                series.state = "failed" if status == FAILED else "stopped"
        self.ended_at = self.runtime.wall()
        self.status = status

    def define(self, key: str, group: MetricGroup | None, scale: MetricScale | None) -> tuple[
        MetricGroup | None, MetricScale | None
    ]:
        """Register a metric's configuration here, or raise ``ValueError`` on a conflict.

        Returns the group and scale as merged with earlier definitions.
        """
        with self.lock:
            # Everything is checked before anything is kept: a call that raises
            # leaves the definitions as they were.
            group_name = group.name if group is not None else None
            if group is not None:
                group = self._merge_group(key, group)
            slot = (group_name or f"\0{key}", scale.name) if scale is not None and scale.name is not None else None
            if scale is not None and slot is not None:
                scale = self._merge_scale(key, slot, scale)
            known = self.metrics.get(key)
            if known is not None:
                _check_same_metric(key, known, (group_name, scale))
            if group is not None:
                self.groups[group.name] = group
            if scale is not None and slot is not None:
                self.scales[slot] = scale
            if known is None:
                self.metrics[key] = (group_name, scale)
            return group, scale

    def _merge_group(self, key: str, group: MetricGroup) -> MetricGroup:
        old = self.groups.get(group.name)
        if old is None:
            return group
        merged = merge(old, group)
        if merged is None:
            raise ValueError(
                f"metric {key!r}: group {group.name!r} is already defined in this execution as "
                f"{old!r}, which conflicts with {group!r}"
            )
        return merged

    def _merge_scale(self, key: str, slot: tuple[str, str], scale: MetricScale) -> MetricScale:
        old = self.scales.get(slot)
        if old is None:
            return scale
        merged = merge(old, scale)
        if merged is None:
            group_name = slot[0]
            where = f"group {group_name!r}" if not group_name.startswith("\0") else "its chart"
            raise ValueError(
                f"metric {key!r}: scale {scale.name!r} is already defined in {where} as {old!r}, "
                f"which conflicts with {scale!r}"
            )
        return merged


def _check_same_metric(
    key: str, old: tuple[str | None, MetricScale | None], new: tuple[str | None, MetricScale | None]
) -> None:
    (old_group, old_scale), (new_group, new_scale) = old, new
    same_scale = (old_scale is None and new_scale is None) or (
        old_scale is not None
        and new_scale is not None
        and old_scale.name == new_scale.name
        and (old_scale.name is not None or _same_private_scale(old_scale, new_scale))
    )
    if old_group != new_group or not same_scale:
        raise ValueError(
            f"metric {key!r} is already defined in this execution with group={old_group!r}, "
            f"scale={old_scale!r}; it cannot also have group={new_group!r}, scale={new_scale!r}"
        )


def _same_private_scale(a: MetricScale, b: MetricScale) -> bool:
    # A progress bar's total may change between loops over the same key, and an
    # empty loop (total 0) has no lower bound, since lower must be below upper.
    if a.progress and b.progress:
        return a.units == b.units and (a.lower == b.lower or a.lower is None or b.lower is None)
    return a == b

