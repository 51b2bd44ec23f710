"""Fixtures of the real-browser tier: one Jupyter server and one Chromium for the tier,
each test against JupyterLab 4 and Notebook 7, a fresh kernel per test.

Chromium is Debian's (``apt-get install -y chromium``), driven by the ``playwright``
package (``playwright install`` cannot download browsers here). When either is
missing the tier is skipped on a developer's machine and fails under ``CI=true``.

Run it alone with ``python -m pytest tests/browser`` (about 4 minutes on two cores),
leave it out with ``-m "not browser"``. Screenshots go to ``artifacts/browser/``
(git-ignored), one or more per test and front end, and a ``failed`` one when a test
fails; the latency test writes ``build/reports/results-browser.md``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import statistics
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 1100}
LATENCY: dict[tuple[str, str, str], list[dict[str, float]]] = {}
"""Latency results of each round by (front end, mode, board), filled by test_latency, printed in the
terminal summary."""


def chromium_executable() -> str | None:
    explicit = os.environ.get("CELLFLUX_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for candidate in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_requirement() -> str | None:
    for module in ("playwright", "jupyterlab", "notebook", "nbformat"):
        if importlib.util.find_spec(module) is None:
            return f"the browser tests need the Python package {module!r} (pip install -e '.[test]')"
    if chromium_executable() is None:
        return "the browser tests need Chromium: apt-get install -y chromium (or set CELLFLUX_CHROMIUM)"
    return None


@pytest.fixture(scope="package")
def chromium() -> str:
    reason = missing_requirement()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    path = chromium_executable()
    assert path is not None
    return path


@pytest.fixture(scope="package")
def jupyter(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from .server import JupyterServer

    server = JupyterServer(tmp_path_factory.mktemp("jupyter"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def browser(chromium: str) -> Iterator[Any]:
    # Package scope, not session: Playwright's sync API keeps an asyncio loop running in the
    # main thread until it stops, and tests after this package call asyncio.run().
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
    finally:
        playwright.stop()


@pytest.fixture(params=["lab", "notebook"], ids=["lab4", "nb7"])
def frontend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def artifact(request: pytest.FixtureRequest, frontend: str, label: str) -> Path:
    """``artifacts/browser/<test>-<front end>-<label>.png``."""
    name = request.node.originalname.removeprefix("test_")
    return ARTIFACTS / f"{name}-{frontend}-{label}.png"


@pytest.fixture
def open_notebook(
    jupyter: Any, browser: Any, frontend: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """``open_notebook(cells or source path, name=...)``: write the notebook into the server
    root and open it in the test's front end, its kernel started, connected and idle.

    At teardown the pages are closed (a screenshot first, if the test failed) and every
    kernel is shut down through the REST API, so the next test starts a fresh one.
    """
    from .driver import NotebookPage, write_notebook

    contexts: list[Any] = []
    pages: list[NotebookPage] = []

    def open_(source: Sequence[str] | Path | None = None, *, name: str | None = None) -> NotebookPage:
        stem = name or request.node.originalname.removeprefix("test_")
        path = f"{stem}-{frontend}.ipynb"
        target = jupyter.root / path
        if isinstance(source, Path):
            shutil.copy(source, target)
        elif source is not None:
            write_notebook(target, source)
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        nb = NotebookPage(context.new_page(), jupyter, frontend, path)
        pages.append(nb)
        return nb.open()

    yield open_

    failed = getattr(request.node, "report_call", None)
    for index, nb in enumerate(pages):
        if failed is not None and failed.failed and not nb.page.is_closed():
            try:
                nb.screenshot(artifact(request, frontend, f"failed{index}"))
            except Exception as error:  # noqa: BLE001 - a failed screenshot must not hide the test's failure
                print(f"no failure screenshot: {error}")
        if nb.console:
            print(f"console errors in {frontend}:", *nb.console[-20:], sep="\n  ")
    for context in contexts:
        context.close()
    jupyter.shutdown_kernels()
    if failed is not None and failed.failed:
        print("server log:\n" + jupyter.log_tail(40))


@pytest.fixture
def shoot(request: pytest.FixtureRequest, frontend: str) -> Callable[..., Path]:
    """``shoot(nb, label, cell=None)``: a screenshot into artifacts/browser/."""

    def shoot_(nb: Any, label: str, cell: int | None = None) -> Path:
        path = artifact(request, frontend, label)
        nb.screenshot(path, cell)
        return path

    return shoot_


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if LATENCY:
        terminalreporter.section("browser latency: record() to point drawn (median over rounds)")
        for (frontend, mode, board), runs in LATENCY.items():
            median = {key: statistics.median(r[key] for r in runs) for key in ("first", "p50", "p95")}
            terminalreporter.write_line(
                f"{frontend} {mode} {board} board: first point {median['first']:.0f} ms, "
                f"p50 {median['p50']:.0f} ms, p95 {median['p95']:.0f} ms ({len(runs)} round(s))"
            )
