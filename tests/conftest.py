from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Tests never write the default store under the working directory, and never
# display boards unless a test asks for it.
os.environ.setdefault("CELLFLUX_STORE", ":memory:")
os.environ.setdefault("CELLFLUX_DISPLAY", "0")

from cellflux.runtime import Runtime, use_runtime  # noqa: E402

from .fakes import FakeClock  # noqa: E402
from .postgres import Server, fresh_database, server_session  # noqa: E402
from .reports import REPORTS  # noqa: E402

__all__ = ["FakeClock"]


def pytest_sessionstart(session: pytest.Session) -> None:
    # Reports are written under build/ (git-ignored); the folder exists before any test writes one.
    REPORTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rt(clock: FakeClock) -> Iterator[Runtime]:
    """A runtime of its own with a fake clock, no sinks and no flusher thread."""
    runtime = Runtime(clock=clock, flusher_thread=False)
    with use_runtime(runtime):
        yield runtime


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """The real PostgreSQL server of this test run (see tests/postgres.py)."""
    yield from server_session()


@pytest.fixture
def pg_url(pg_server: Server) -> Iterator[str]:
    """A fresh, empty database on the test server: its URL."""
    yield from fresh_database(pg_server)
