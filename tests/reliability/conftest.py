"""The reliability tier: the ledger fixture, helpers for subprocesses, the RELIABILITY.md writer.

Knobs, all with the CI defaults: ``CELLFLUX_RELIABILITY_EXAMPLES`` (hypothesis examples
per property, 100), ``CELLFLUX_RELIABILITY_SHRINK=1`` (minimise a failing example; slow),
``CELLFLUX_CONCURRENCY_SECONDS`` (30), ``CELLFLUX_LONG_RUN_POINTS`` (50,000,000) and
``CELLFLUX_CRASH_RUNS`` (20).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import ledger as ledger_module
from .ledger import Ledger

_spent: list[float] = []


@pytest.fixture
def ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    book = Ledger(request.node.nodeid)
    request.node._reliability_ledger = book
    yield book


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    book = getattr(item, "_reliability_ledger", None)
    if book is not None and report.failed:
        error = _leaf(call.excinfo.value) if call.excinfo is not None else None
        book.failed(f"{type(error).__name__}: {error}" if error is not None else report.longreprtext)


def _leaf(error: BaseException) -> BaseException:
    """The first real error inside hypothesis's groups (FlakyFailure, several bugs)."""
    inner = getattr(error, "exceptions", None)
    while isinstance(inner, tuple) and inner:
        error = inner[0]
        inner = getattr(error, "exceptions", None)
    return error


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _spent.append(report.duration)  # this conftest's hooks see this directory's tests only


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if ledger_module.recorded():
        command = "pytest " + " ".join(str(a) for a in session.config.invocation_params.args)
        path = ledger_module.write(sum(_spent), command.strip())
        terminal = session.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_line(f"reliability tier: {sum(_spent):.0f} s, table written to {path}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


HELPERS = Path(__file__).resolve().parent
PYTHON = sys.executable


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a helper subprocess: cellflux importable, no display, no stray store."""
    env = dict(os.environ)
    src = str(HELPERS.parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, str(HELPERS.parents[1]), env.get("PYTHONPATH")) if p)
    env["CELLFLUX_DISPLAY"] = "0"
    env.pop("CELLFLUX_STORE", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env

