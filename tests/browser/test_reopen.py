"""A saved notebook reopened with a fresh kernel, nothing re-run, still shows the final board:
through the widget state saved in the notebook, or through the static snapshot saved next to
the widget view at the end of the execution."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from .driver import NotebookPage, saved_notebook, write_notebook

pytestmark = pytest.mark.browser

EPOCHS = 15
REOPEN = f'''
import time

import cellflux as cf

group = cf.MetricGroup("training", units="epoch")
loss = cf.Metric("loss", group=group, scale=cf.MetricScale(units="nats"), throttle=None)
accuracy = cf.Metric("accuracy", group=group, scale=cf.MetricScale(units="%", lower=0, upper=100), throttle=None)


@cf.task()
def train(epochs):
    for epoch in cf.progress(range(epochs), key="epoch", group=group):
        loss.record(2.0 / (1 + epoch), at=epoch)
        accuracy.record(100 - 60 / (1 + epoch), at=epoch)
        time.sleep(0.05)


train({EPOCHS})
print("reopen-" + "done")
'''
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# A static chart as the page shows it: an inline SVG with its lines, or (what survives
# the sanitiser of an untrusted notebook) an <img> of an SVG data URI that decoded.
STATIC_CHARTS_JS = """
const inline = Array.from(document.querySelectorAll('.jp-OutputArea svg.cellflux-chart'))
  .filter((svg) => svg.querySelector('polyline, path.cellflux-line') && svg.checkVisibility()).length;
const images = Array.from(document.querySelectorAll('.jp-OutputArea img'))
  .filter((img) => img.src.startsWith('data:image/svg+xml') && (img.alt || '').startsWith('chart:')
    && img.complete && img.naturalWidth > 0
    && img.checkVisibility()).length;
return inline + images;
"""


# The static board's numbers as a reader sees them: visible table cells and bar texts.
STATIC_STATS_JS = """
const visible = (e) => e.checkVisibility() && e.textContent.trim() !== '';
const table = Array.from(document.querySelectorAll('.jp-OutputArea .cellflux-static table.cellflux-stats'))
  .find(visible);
const rows = table ? Array.from(table.rows).map((r) => Array.from(r.cells).map((c) => c.innerText.trim())) : [];
const swatches = table ? Array.from(table.tBodies[0].rows)
  .map((r) => getComputedStyle(r.cells[0].querySelector('span')).backgroundColor) : [];
const bars = Array.from(document.querySelectorAll('.jp-OutputArea .cellflux-static .cellflux-bar-text'))
  .filter(visible).map((e) => e.innerText.trim());
return { rows, swatches, bars };
"""


def board_shown(nb: NotebookPage) -> str | None:
    """How the final board shows: "widgets" (saved state), "static" (snapshot), or None yet."""
    figures = [f for f in nb.figures() if f.cell == 0]
    if len(figures) == 1 and figures[0].lines == [EPOCHS, EPOCHS]:
        bars = nb.bars()
        if bars and bars[0].text.startswith(f"{EPOCHS}/{EPOCHS} 100%"):
            return "widgets"
    return "static" if nb.evaluate(STATIC_CHARTS_JS) else None


def test_reopen(open_notebook: Callable[..., Any], shoot: Callable[..., Any]) -> None:
    nb = open_notebook([REOPEN])
    nb.run_all()
    nb.wait_for_output("reopen-done")
    nb.wait_until(lambda: board_shown(nb) == "widgets", 15, "the final board")
    nb.save()
    saved = saved_notebook(nb.server.root / nb.path)
    mimes = {mime for out in saved["cells"][0]["outputs"] for mime in out.get("data", {})}
    assert WIDGET_VIEW in mimes, mimes
    assert saved["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state"), "no widget state saved"

    nb.page.close()
    nb.server.shutdown_kernels()

    again = open_notebook(name="reopen")  # the same file, a fresh kernel, nothing run
    # The saved widget state alone brings the live board back (test_static_snapshot covers the
    # static copy); the static copy hides next to it.
    again.wait_until(lambda: board_shown(again) == "widgets" and not again.visible_static_boards(), 30,
                     "the board from the saved widget state")
    prompt = again.evaluate("return cfCells()[0].querySelector('.jp-InputArea-prompt')?.textContent ?? '';")
    assert "*" not in prompt, f"the reopened notebook ran: prompt {prompt!r}"
    again.assert_no_widget_errors()
    shoot(again, "reopened")


def executed_without_widget_state(path: Path, env: dict[str, str]) -> None:
    """Run REOPEN with nbclient (no browser, no widget state kept) and save it to ``path``.

    What a notebook executed by a tool, or saved with saveState off, looks like: outputs,
    widget views whose models are nowhere, and the static snapshot of each board.
    """
    from nbclient import NotebookClient

    write_notebook(path, [REOPEN])
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)
    nbformat.write(nb, path)


@pytest.mark.parametrize("trusted", [
    pytest.param(True, id="trusted"),
    pytest.param(False, id="untrusted"),
])
def test_static_snapshot(
    trusted: bool, open_notebook: Callable[..., Any], shoot: Callable[..., Any], jupyter: Any, frontend: str
) -> None:
    path = jupyter.root / f"static_snapshot-{frontend}.ipynb"
    executed_without_widget_state(path, jupyter.env)
    saved = saved_notebook(path)
    mimes = {mime for out in saved["cells"][0]["outputs"] for mime in out.get("data", {})}
    assert WIDGET_VIEW in mimes and "text/html" in mimes, f"no static board saved next to the widget view: {mimes}"
    assert WIDGET_STATE not in saved["metadata"].get("widgets", {})
    if trusted:  # the user's own notebook: its outputs are trusted
        jupyter.api("POST", f"/api/contents/{path.name}/trust")

    nb = open_notebook(name="static_snapshot")
    nb.wait_until(lambda: "reopen-done" in nb.outputs_text(), 30, "the saved outputs")
    nb.page.wait_for_timeout(1000)  # let the images of the static board decode
    shoot(nb, "trusted" if trusted else "untrusted")
    assert nb.evaluate(STATIC_CHARTS_JS) == 1, "the static chart is not drawn"
    # The numbers are text on the page, in a table, even where the sanitiser stripped <style>
    # and data-* attributes; the swatches keep their line's colour (inline styles survive).
    stats = nb.evaluate(STATIC_STATS_JS)
    assert stats["rows"] == [["metric", "latest", "min", "max"], ["loss", "0.1333", "0.1333", "2"],
                             ["accuracy", "96", "40", "96"]], stats
    assert stats["swatches"] == ["rgb(31, 119, 180)", "rgb(255, 127, 14)"], stats
    assert stats["bars"] and stats["bars"][0].startswith(f"{EPOCHS}/{EPOCHS} 100% · "), stats
