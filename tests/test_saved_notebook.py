"""Saved notebooks: executed with no front end (nbclient), exported with nbconvert
to HTML without widget state, they show the final boards: charts as SVG images,
every number (latest/min/max, progress counts) as HTML text."""

from __future__ import annotations

import base64
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
CLOSER = "</table><script>alert(1)</script>"
QUOTES = "\"'&"


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


# -- the exported page, parsed as a browser would (html.parser, not XML) ------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def having(self, cls: str) -> list[Node]:
        return [n for n in self.iter() if cls in n.attrs.get("class", "").split()]

    def cells(self) -> list[str]:
        return [n.text() for n in self.children if isinstance(n, Node) and n.tag in ("th", "td")]


class _TreeBuilder(HTMLParser):
    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):  # close what the page left open inside it
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_page(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def stats_rows(board: Node) -> dict[str, list[str]]:
    """Each stats table row of a board: the metric's name -> its latest, min and max as shown."""
    rows = [r.cells() for r in board.having("cellflux-stat")]
    return {cells[0]: cells[1:] for cells in rows}


def bar_rows(board: Node) -> dict[str, str]:
    """Each progress bar of a board: its key -> the text beside it."""
    return {r.cells()[0]: r.having("cellflux-bar-text")[0].text() for r in board.having("cellflux-bar")}


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
    group = cf.MetricGroup({CLOSER!r}, units={QUOTES!r})
    cf.Metric({HOSTILE!r}, group=group, scale=cf.MetricScale(units={HOSTILE!r})).record(1.0)
    cf.Metric({IMG!r}, group=group, scale=cf.MetricScale(units={QUOTES!r})).record(-2.5)
    cf.Metric({QUOTES!r}, group=group).record(7.0)
    for _ in cf.progress(range(3), key={CLOSER!r}, group=group):
        pass

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
    # The names are raw only inside the widget state's JSON, where nbconvert escapes "</": inert.
    state = re.compile(r'<script type="application/vnd.jupyter.widget-state\+json">.*?</script>', re.S)
    outside = state.sub("", html)
    assert HOSTILE not in outside and IMG not in outside and CLOSER not in outside
    page = parse_page(html)
    assert not [n for n in page.iter() if "onerror" in n.attrs], "a name became an attribute"
    runnable = ("", "module", "text/javascript", "application/javascript")
    scripts = [n for n in page.iter() if n.tag == "script" and n.attrs.get("type", "") in runnable]
    assert not [n for n in scripts if "alert(1)" in n.text()], "a name became a script"
    board = page.having("cellflux-board")[3]
    assert board.having("cellflux-name")[0].text() == HOSTILE
    assert stats_rows(board) == {HOSTILE: ["1", "1", "1"], IMG: ["-2.5", "-2.5", "-2.5"], QUOTES: ["7", "7", "7"]}
    assert bar_rows(board)[CLOSER].startswith("3/3 100%")
    plain = [o["data"]["text/plain"] for o in nb.cells[4]["outputs"] if "text/plain" in o.get("data", {})][-1]
    assert plain.startswith(HOSTILE + " · succeeded")
    for name, shown in ((HOSTILE, "1"), (IMG, "-2.5"), (QUOTES, "7"), (CLOSER, "3/3 (done)")):
        assert re.search(rf"^  {re.escape(name)} +{re.escape(shown)}( |$)", plain, re.M), (name, plain)


# Appended to the quickstart: every execution's final values, read back from the store (not
# from the board), as the ground truth the exported page must show.
TRUTH_CELL = """
import json as _json
import math as _math

def _truth():
    out = []
    for run in reversed(cf.executions()):
        metrics = {}
        for key, info in run.metrics.items():
            _, ys = run.series(key)
            finite = [y for y in ys.tolist() if _math.isfinite(y)]
            scale = info.scale
            metrics[key] = {"last": ys[-1], "min": min(finite), "max": max(finite),
                            "total": scale.upper if scale is not None and scale.progress else None,
                            "progress": bool(scale is not None and scale.progress)}
        if metrics:
            out.append({"name": run.name, "metrics": metrics})
    return out

print("TRUTH" + _json.dumps(_truth()))
"""


def number(value: float) -> str:
    """A value as the live board's table shows it (four significant digits)."""
    return f"{value:.4g}"


def test_quickstart_saved_html_shows_every_board(tmp_path: Path) -> None:
    nb = nbformat.read(ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(TRUTH_CELL))
    execute(nb, tmp_path)
    html, _ = HTMLExporter().from_notebook_node(nb)
    found = boards(nb)
    assert len(found) == 5
    assert [charts(b) for b in found] == [["training"], ["training"], [], [], ["fast_metric", "exact_metric"]]
    counts = [(g.get("data-count"), g.get("data-total")) for b in found for g in bars(b).values()]
    assert counts == [("20.0", "20.0"), ("150.0", "150.0"), ("120.0", "120.0")]
    assert html.count('class="cellflux-board"') == 5

    printed = "".join(o.get("text", "") for o in nb.cells[-1]["outputs"] if o.get("output_type") == "stream")
    truth = json.loads(printed.split("TRUTH", 1)[1])
    assert [run["name"] for run in truth] == ["train", "train", "process_batch", "process_named", "signals"]
    page = parse_page(html)
    shown = page.having("cellflux-board")
    assert len(shown) == len(truth)
    plains = [o["data"]["text/plain"] for c in nb.cells for o in c.get("outputs", [])
              if "cellflux-board" in o.get("data", {}).get("text/html", "")]
    checked = 0
    for board, run, plain in zip(shown, truth, plains):
        assert board.having("cellflux-name")[0].text() == run["name"]
        stats, progress = stats_rows(board), bar_rows(board)
        for key, m in run["metrics"].items():
            if m["progress"]:
                count, total = m["last"], m["total"]
                expected = f"{count:.0f}/{total:.0f} {math.floor(count * 100 / total)}%"
                assert progress[key].startswith(expected + " · "), (run["name"], key, progress[key])
                assert f"{count:.0f}/{total:.0f} (done)" in plain
            else:
                values = [number(m["last"]), number(m["min"]), number(m["max"])]
                assert stats[key] == values, (run["name"], key)
                assert re.search(rf"^  {key} +{'  +'.join(map(re.escape, values))}  ", plain, re.M), plain
            checked += 1
    assert checked == 9, "every metric of the quickstart was checked"
