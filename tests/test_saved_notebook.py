"""Saved notebooks: executed with no front end (nbclient), exported with nbconvert
to HTML without widget state, they show the final boards as static SVG."""

from __future__ import annotations

import base64
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert(1)</script>"


def execute(nb: nbformat.NotebookNode, tmp_path: Path) -> nbformat.NotebookNode:
    """Run in a kernel as a user would: display on (the default), store in memory."""
    saved = {k: os.environ.get(k) for k in ("CELLFLUX_DISPLAY", "CELLFLUX_STORE")}
    os.environ.pop("CELLFLUX_DISPLAY", None)
    os.environ["CELLFLUX_STORE"] = ":memory:"
    try:
        NotebookClient(
            nb, timeout=180, kernel_name="python3", allow_errors=True,
            resources={"metadata": {"path": str(tmp_path)}},
        ).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb


def inline(html: str) -> str:
    """The board's SVG images (data URIs, which survive sanitisers) put back inline."""
    return re.sub(
        r'<img[^>]*src="data:image/svg\+xml;base64,([^"]+)"[^>]*>',
        lambda m: base64.b64decode(m.group(1)).decode("utf-8"), html,
    )


def boards(nb: nbformat.NotebookNode) -> list[ET.Element]:
    """The static boards in the executed notebook's outputs, parsed."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            html = inline(output.get("data", {}).get("text/html", ""))
            match = re.search(r'<div class="cellflux-board".*</div>(?=</div><style>)', html, re.S)
            if match:
                found.append(ET.fromstring(match.group(0)))
    return found


def series(board: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-key", ""): g for g in board.iter() if g.get("class") == "cellflux-series"}


def bars(board: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-key", ""): g for g in board.iter() if g.get("class") == "cellflux-bar"}


def charts(board: ET.Element) -> list[str]:
    return [g.get("data-group", "") for g in board.iter() if g.get("class") == "cellflux-chart"]


def last_point_value(group: ET.Element) -> float:
    """Map the last polyline point back to a value with the series' pixel scale."""
    lines = [e for e in group.iter() if e.get("class") == "cellflux-line"]
    x, y = (float(v) for v in lines[-1].get("points", "").split()[-1].split(","))
    lo, hi = float(group.get("data-lower", "0")), float(group.get("data-upper", "1"))
    plo, phi = float(group.get("data-px-lower", "0")), float(group.get("data-px-upper", "1"))
    return lo + (y - plo) * (hi - lo) / (phi - plo)


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, str]:
    tmp = tmp_path_factory.mktemp("nb")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in (
        "import cellflux as cf",
        """group = cf.MetricGroup("training", units="epoch")
loss = cf.Metric("loss", group=group, scale=cf.MetricScale(units="nats"), throttle=None)
acc = cf.Metric("accuracy", group=group, scale=cf.MetricScale(units="%", lower=0, upper=100), throttle=None)

@cf.task("good")
def good():
    for epoch in cf.progress(range(8), key="epoch", group=group):
        loss.record(1 / (epoch + 1), at=epoch)
        acc.record(10.0 * epoch, at=epoch)

good()""",
        """@cf.task("broken")
def broken():
    for i in cf.progress(range(10), key="items"):
        cf.Metric("value").record(float(i))
        if i == 3:
            raise ValueError("bad item")

broken()""",
        """@cf.task("stopped")
def stopped():
    for i in cf.progress(range(100), key="steps"):
        if i == 37:
            raise KeyboardInterrupt

stopped()""",
        f"""@cf.task({HOSTILE!r})
def hostile():
    cf.Metric({HOSTILE!r}, group=cf.MetricGroup({HOSTILE!r}, units={HOSTILE!r}),
              scale=cf.MetricScale(units={HOSTILE!r})).record(1.0)

hostile()""",
    )]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execute(nb, tmp)
    html, _ = HTMLExporter().from_notebook_node(nb)
    return nb, html


def test_each_board_shows_its_charts_and_final_values(scenarios: tuple[nbformat.NotebookNode, str]) -> None:
    nb, html = scenarios
    good = boards(nb)[0]
    assert charts(good) == ["training"]
    lines = series(good)
    assert float(lines["loss"].get("data-last", "")) == pytest.approx(1 / 8)
    assert last_point_value(lines["loss"]) == pytest.approx(1 / 8, abs=0.01)
    assert last_point_value(lines["accuracy"]) == pytest.approx(70.0, abs=0.5)
    epoch = bars(good)["epoch"]
    assert (epoch.get("data-count"), epoch.get("data-total"), epoch.get("data-state")) == ("8.0", "8.0", "done")
    assert "accuracy (%)" in ET.tostring(good, encoding="unicode")
    # the exported HTML carries the same static board
    assert html.count('class="cellflux-board"') == 4
    assert inline(html).count('class="cellflux-chart"') >= 3


def test_text_summary_has_status_and_values(scenarios: tuple[nbformat.NotebookNode, str]) -> None:
    nb, _ = scenarios
    texts = [o["data"]["text/plain"] for c in nb.cells for o in c.get("outputs", [])
             if "text/plain" in o.get("data", {}) and "cellflux-board" in o["data"].get("text/html", "")]
    good, broken, stopped, _ = texts
    assert good.startswith("good · succeeded") and "8/8 (done)" in good and "0.125" in good
    assert broken.startswith("broken · failed") and "3/10 (failed)" in broken
    assert stopped.startswith("stopped · interrupted") and "37/100 (stopped)" in stopped
    assert all("object at 0x" not in t for t in texts)


def test_failed_and_interrupted_boards_show_their_state(scenarios: tuple[nbformat.NotebookNode, str]) -> None:
    nb, _ = scenarios
    _, broken, stopped, _ = boards(nb)
    assert broken.get("data-status") == "failed" and stopped.get("data-status") == "interrupted"
    assert bars(broken)["items"].get("data-state") == "failed"
    assert bars(stopped)["steps"].get("data-count") == "37.0"
    assert float(series(broken)["value"].get("data-last", "")) == 3.0


def test_hostile_names_are_escaped(scenarios: tuple[nbformat.NotebookNode, str]) -> None:
    nb, html = scenarios
    hostile = boards(nb)[3]
    text = ET.tostring(hostile, encoding="unicode")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)</script>" not in html


def test_quickstart_saved_html_shows_every_board(tmp_path: Path) -> None:
    nb = nbformat.read(ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    execute(nb, tmp_path)
    html, _ = HTMLExporter().from_notebook_node(nb)
    found = boards(nb)
    assert len(found) == 5
    assert [charts(b) for b in found] == [["training"], ["training"], [], [], ["fast_metric", "exact_metric"]]
    counts = [(g.get("data-count"), g.get("data-total")) for b in found for g in bars(b).values()]
    assert counts == [("20.0", "20.0"), ("150.0", "150.0"), ("120.0", "120.0")]
    assert html.count('class="cellflux-board"') == 5
