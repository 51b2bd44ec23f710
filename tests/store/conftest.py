"""Fixtures for the store tests: an isolated runtime writing into a temporary store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cellflux as cf
from cellflux.runtime import Runtime, use_runtime
from cellflux.store.locate import store_at
from cellflux.store.sink import StoreSink

from .backends import Backend, PostgresBackend, SQLiteBackend

MakeRuntime = Callable[..., tuple[Runtime, StoreSink]]


@pytest.fixture(autouse=True)
def _no_default_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Child processes and any default runtime must never write into the repository.
    monkeypatch.setenv("CELLFLUX_STORE", str(tmp_path / "default.sqlite"))
    monkeypatch.setenv("CELLFLUX_DISPLAY", "0")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "metrics.sqlite"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, store_path: Path) -> Backend:
    """The store a test runs against: once a SQLite file, once a PostgreSQL database."""
    if request.param == "sqlite":
        return SQLiteBackend(store_path)
    return PostgresBackend(request.getfixturevalue("pg_url"))


@pytest.fixture
def make_runtime(store_path: Path) -> Iterator[MakeRuntime]:
    """``make_runtime(path=None, timeout=..., interval=...)``: a runtime with a store sink, installed.

    ``path`` is a file path or a URL (``backend.where``); by default the SQLite ``store_path``.
    """
    opened: list[tuple[Any, StoreSink]] = []

    def make(
        path: Path | str | None = None, *, timeout: float = 10.0, interval: float = 0.2
    ) -> tuple[Runtime, StoreSink]:
        rt = Runtime(flusher_thread=False)
        sink = StoreSink(store_at(path if path is not None else store_path, timeout=timeout), interval=interval)
        rt.add_sink(sink)
        scope = use_runtime(rt)
        scope.__enter__()
        opened.append((scope, sink))
        return rt, sink

    yield make
    for scope, sink in reversed(opened):
        sink.close()
        scope.__exit__(None, None, None)


def run_task(name: str, body: Callable[[], Any]) -> cf.Execution:
    """Run ``body`` as a task called ``name``; return its execution."""
    seen: list[cf.Execution] = []

    def fn() -> None:
        seen.append(cf.current_execution())
        body()

    cf.task(name)(fn)()
    return seen[0]
