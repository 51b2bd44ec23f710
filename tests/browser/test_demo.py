"""The demo tier: the README's main command, run as a newcomer types it.

``bash <repo>/scripts/demo.sh --no-browser --port=P --ServerApp.token=T`` (the command plus
the only flags a user adds where no browser can open) is started from a directory outside
the repository, on the virtualenv the test command built (the demo's "second run"). The
test opens the URL the server prints in Chromium, checks it is the quickstart, runs all
cells, and checks what a newcomer sees: every chart drawn (bqplot lines with points), every
progress bar done, no traceback, no pop-up about Jupyter news, and the runs in the default
store ``notebooks/.cellflux/metrics.sqlite``.

The process gets the environment of a newcomer's machine: the CELLFLUX_* variables the unit
tiers set are removed, and the user-level Jupyter and IPython directories are empty
temporary ones, so neither a developer's settings nor the test's own can hide a pop-up, and
nothing is written to the user's home. One user setting is the test's own: autosave off, so
that JupyterLab never writes the executed notebook over the tracked quickstart.

What the demo writes in the tree is ignored by git (the store, the notebook's checkpoints);
the test removes the directories it created and checks that the quickstart is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, REPO, VIEWPORT
from .driver import ERROR_MARK, NotebookPage
from .server import JupyterServer, free_port

pytestmark = pytest.mark.browser

DEMO = REPO / "scripts" / "demo.sh"
NOTEBOOKS = REPO / "notebooks"
QUICKSTART = NOTEBOOKS / "quickstart.ipynb"
STORE = NOTEBOOKS / ".cellflux" / "metrics.sqlite"
SENTINEL = "cellflux-quickstart-done"
READY_TIMEOUT = 600.0
"""The command first updates the virtualenv and rebuilds the front end (about 20 s when built)."""
CHARTS = 4
BARS = [("epoch", 20), ("progress", 150), ("items_processed", 120)]
TASKS = {"train", "process_batch", "process_named", "signals"}
NEWCOMER_DIRS = {
    "JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data", "JUPYTER_RUNTIME_DIR": "runtime",
    "IPYTHONDIR": "ipython", "JUPYTERLAB_SETTINGS_DIR": "user-settings", "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
}
# What the page shows: the toasts at the bottom right, and JupyterLab's status bar.
TOASTS_JS = "Array.from(document.querySelectorAll('.Toastify__toast')).map((t) => t.textContent)"
KERNEL_IDLE_JS = "/\\|\\s*Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent ?? '')"


class DemoServer(JupyterServer):
    """The server that ``scripts/demo.sh`` starts; its port and token as the user gave them."""

    def __init__(self, base: Path) -> None:
        super().__init__(base)
        self.wanted_port = free_port()
        self.printed_url = ""

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CELLFLUX_")}
        for variable, name in NEWCOMER_DIRS.items():
            env[variable] = str(self.base / "home" / name)
            Path(env[variable]).mkdir(parents=True, exist_ok=True)
        autosave = Path(env["JUPYTERLAB_SETTINGS_DIR"], "@jupyterlab", "docmanager-extension", "plugin.jupyterlab-settings")
        autosave.parent.mkdir(parents=True)
        autosave.write_text(json.dumps({"autosave": False}), encoding="utf-8")
        self.env = env
        elsewhere = self.base / "elsewhere"
        elsewhere.mkdir()
        command = ["bash", str(DEMO), "--no-browser", f"--port={self.wanted_port}", f"--ServerApp.token={self.token}"]
        with open(self.log_path, "ab") as log:
            # A session of its own: the whole group (pip, npm, then jupyter) can be stopped.
            self.process = subprocess.Popen(
                command, cwd=elsewhere, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self._wait_printed_url()

    def _wait_printed_url(self) -> None:
        """Until the server prints where it runs (the port may differ if ours was taken) and answers."""
        deadline = time.monotonic() + READY_TIMEOUT
        pattern = re.compile(r"(http://127\.0\.0\.1:(\d+)/\S*)\?token=")
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise AssertionError(f"scripts/demo.sh exited ({self.process and self.process.returncode}):\n"
                                     + self.log_tail())
            found = pattern.search(self.log_path.read_text(encoding="utf-8", errors="replace"))
            if found:
                self.printed_url, self.port = found.group(1), int(found.group(2))
                try:
                    self.api("GET", "/api/status")
                    return
                except (OSError, urllib.error.URLError):
                    pass
            time.sleep(0.5)
        raise AssertionError(f"scripts/demo.sh did not serve within {READY_TIMEOUT:.0f} s:\n" + self.log_tail())

    def stop(self) -> None:
        process = self.process
        super().stop()
        if process is not None:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is left, e.g. a setup step
            except ProcessLookupError:
                pass


def stored_tasks(path: Path) -> dict[str, str]:
    """Execution id -> name in the store at ``path`` (none when there is no store)."""
    if not path.exists():
        return {}
    import cellflux as cf
    from cellflux.store.sqlite import SQLiteStore

    store = SQLiteStore(str(path))
    try:
        return {e.id: e.name for e in cf.executions(store)}
    finally:
        store.close()


def drawn(nb: NotebookPage) -> bool:
    """Every chart has lines of points, every progress bar is done."""
    figures = nb.figures()
    return (
        len(figures) == CHARTS and all(f.lines and min(f.lines) >= 2 for f in figures)
        and [(b.label, b.state) for b in nb.bars()] == [(label, "done") for label, _ in BARS]
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoServer]:
    """The demo served; afterwards the directories it created under notebooks/ are removed."""
    created = [d for d in (NOTEBOOKS / ".cellflux", NOTEBOOKS / ".ipynb_checkpoints") if not d.exists()]
    server = DemoServer(tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        for directory in created:
            shutil.rmtree(directory, ignore_errors=True)


def test_readme_demo_command(demo: DemoServer, browser: Any) -> None:
    quickstart_before, runs_before = digest(QUICKSTART), stored_tasks(STORE)
    assert demo.printed_url == f"http://127.0.0.1:{demo.port}/lab/tree/quickstart.ipynb", demo.printed_url

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    nb = NotebookPage(page, demo, "lab", "quickstart.ipynb")
    page.on("console", lambda m: nb.console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: nb.console.append(f"pageerror: {e}"))
    try:
        page.goto(f"{demo.printed_url}?token={demo.token}", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        active_tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
        assert active_tab.first.text_content() == "quickstart.ipynb"
        # Run All before the kernel is connected may be lost: wait for the status bar's "Idle".
        nb.wait_until(lambda: page.evaluate(KERNEL_IDLE_JS), 60, "the kernel status 'Idle'")
        # Opened, not yet run: not marked modified (the kernel's language_info is the saved one).
        page.wait_for_timeout(1000)
        assert page.locator(".lm-TabBar-tab.lm-mod-current.jp-mod-dirty").count() == 0, "the quickstart is modified on open"
        nb.run_all()
        nb.wait_for_output(SENTINEL)
        # The final push of the last board follows the end of its execution: let it land.
        nb.wait_until(lambda: drawn(nb), 30, "every chart drawn and every progress bar done")
        nb.wait_until(lambda: TASKS <= {name for i, name in stored_tasks(STORE).items() if i not in runs_before},
                      30, f"the runs of {sorted(TASKS)} in the default store {STORE}")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "demo-lab-after-run-all.png"))
        nb.scroll_to_cell(6)
        page.screenshot(path=str(ARTIFACTS / "demo-lab-boards.png"))

        figures = nb.figures()
        assert len(figures) == CHARTS, [f.title for f in figures]
        for figure in figures:
            assert figure.lines and all(points >= 2 for points in figure.lines), (figure.title, figure.lines)
        for bar, (label, n) in zip(nb.bars(), BARS):
            assert bar.text.startswith(f"{n}/{n} "), (label, bar.text)
        assert ERROR_MARK not in nb.outputs_text()
        nb.assert_no_widget_errors()
        news = [text for text in page.evaluate(TOASTS_JS) if "news" in text.lower()]
        assert not news, f"a pop-up greets the newcomer: {news}"
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if not page.is_closed():
            page.screenshot(path=str(ARTIFACTS / "demo-lab-failed.png"))
        print("demo log:\n" + demo.log_tail(60))
        raise
    finally:
        context.close()
    assert digest(QUICKSTART) == quickstart_before, "the demo wrote over the tracked quickstart"
