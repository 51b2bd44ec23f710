"""Drive a notebook in JupyterLab 4 or Notebook 7 with Playwright, and read boards off the page.

Everything read from the page is read from the DOM a user sees: bqplot's SVG
(``g.curve path.line``, ``g.axis``, ``text.axislabel``), the progress bars'
elements, the text of the outputs. The running app (``window.jupyterapp``, exposed
by the server's ``expose_app_in_browser``) is only asked whether the kernel is
connected and idle, and whether the document is saved.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import Page

from .server import JupyterServer

FRONTENDS = {"lab": "/lab/tree/{path}?reset", "notebook": "/notebooks/{path}?reset"}
"""URL of a notebook in each front end; ``reset`` starts from an empty workspace."""

RUN_TIMEOUT = 120.0
WIDGET_ERROR = re.compile(r"widget|bqplot|cellflux|\bcomms?\b|\bmodels?\b", re.IGNORECASE)
"""Console errors that concern the boards (the front ends log unrelated ones of their own)."""
ERROR_MARK = "Traceback (most recent call last)"

# Points in a bqplot line path: one M or L command per point (d3's linear curve; a gap
# for a NaN starts a new M). Legend swatches are `path.line` too, outside `g.curve`.
_JS_HELPERS = """
const cfPoints = (path) => ((path.getAttribute('d') || '').match(/[ML]/g) || []).length;
const cfCells = () => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
const cfCellIndex = (node) => cfCells().indexOf(node.closest('.jp-Cell'));
const cfAxisVertical = (axis) => {
  // d3-axis places each tick with translate(x,0) on a horizontal axis, translate(0,y) on a vertical one.
  for (const tick of axis.querySelectorAll('g.tick')) {
    const m = /translate\\(\\s*([-\\d.e]+)[ ,]+([-\\d.e]+)\\s*\\)/.exec(tick.getAttribute('transform') || '');
    if (m && Number(m[1]) !== Number(m[2])) return Number(m[1]) === 0;
  }
  const box = axis.querySelector('path.domain')?.getBBox();
  return box ? box.height > box.width : null;
};
// Screen x of the x-axis tick labelled "0" minus the screen x of the leftmost first point of the
// figure's lines: 0 when the lines sit on their axis; null without a "0" tick.
const cfZeroOffset = (fig) => {
  const axes = Array.from(fig.querySelectorAll('g.axis')).filter((a) => !a.closest('.g_legend') && cfAxisVertical(a) === false);
  const tick = axes.flatMap((a) => Array.from(a.querySelectorAll('g.tick'))).find((t) => t.textContent.trim() === '0');
  const starts = Array.from(fig.querySelectorAll('g.curve path.line')).filter((p) => cfPoints(p) > 0 && p.getScreenCTM())
    .map((p) => p.getPointAtLength(0).x * p.getScreenCTM().a + p.getScreenCTM().e);
  const m = tick?.getScreenCTM();
  return m && starts.length ? m.e - Math.min(...starts) : null;
};
// A chart's title is a Label above its figure; its names are in the latest/min/max table beside it.
const cfTitle = (fig) => fig.closest('.cellflux-chart')?.querySelector('.cellflux-chart-title')?.textContent ?? '';
const cfNames = (fig) => Array.from(fig.closest('.widget-hbox')?.querySelectorAll('table.cellflux-stats .cellflux-name') ?? [])
  .map((t) => t.textContent);
const cfFigures = () => Array.from(document.querySelectorAll('.jp-OutputArea .bqplot.figure')).map((fig) => {
  const axes = Array.from(fig.querySelectorAll('g.axis')).filter((a) => !a.closest('.g_legend') && a.querySelector('path.domain'));
  const label = (a) => a.querySelector('text.axislabel')?.textContent ?? '';
  return {
    title: cfTitle(fig),
    cell: cfCellIndex(fig),
    lines: Array.from(fig.querySelectorAll('g.curve path.line')).map(cfPoints),
    legend: cfNames(fig),
    bqplotLegend: fig.querySelectorAll('.g_legend text.legendtext').length,
    xLabels: axes.filter((a) => cfAxisVertical(a) === false).map(label),
    zeroOffset: cfZeroOffset(fig),
    yLabels: axes.filter((a) => cfAxisVertical(a) === true).map(label),
  };
});
const cfBars = () => Array.from(document.querySelectorAll('.jp-OutputArea .cellflux-progress-row')).map((row) => ({
  label: row.querySelector('.cellflux-progress-label')?.textContent ?? '',
  state: row.getAttribute('data-state'),
  width: row.querySelector('.cellflux-progress-fill')?.style.width ?? '',
  text: row.querySelector('.cellflux-progress-text')?.textContent ?? '',
  cell: cfCellIndex(row),
}));
// The static copy of a board (its own output after the live one) shows only where no live widget rendered.
const cfVisibleStatic = () => Array.from(document.querySelectorAll('.jp-OutputArea .cellflux-static'))
  .filter((e) => e.textContent.trim() && e.checkVisibility()).length;
const cfCellText = (i) => Array.from(cfCells()[i]?.querySelectorAll('.jp-OutputArea-output') ?? []).map((o) => o.textContent).join('\\n');
const cfOutputText = () => Array.from(document.querySelectorAll('.jp-OutputArea-output')).map((o) => o.textContent).join('\\n');
"""


def _js(body: str) -> str:
    return f"(arg) => {{ {_JS_HELPERS}\n{body} }}"


@dataclass
class Figure:
    title: str
    cell: int
    lines: list[int]
    legend: list[str]
    """Names in the latest/min/max table: the chart's one legend."""
    x_labels: list[str]
    y_labels: list[str]
    zero_offset: float | None
    """Pixels between the x-axis tick "0" and the first point drawn (None without a "0" tick)."""

    @property
    def points(self) -> int:
        return sum(self.lines)


@dataclass
class Bar:
    label: str
    state: str
    width: str
    text: str
    cell: int

    @property
    def percent(self) -> float:
        return float(self.width.rstrip("%") or 0)

    @property
    def count(self) -> int:
        """The count done, read from the text (``37/100 37% ...`` or ``37 · ...``)."""
        match = re.match(r"\s*(\d+)", self.text)
        return int(match.group(1)) if match else -1


@dataclass
class Snapshot:
    """What one cell's output showed at one instant."""

    at: float
    points: int
    figures: int
    bars: list[Bar]
    text: str
    all_text: str

    def printed(self, text: str) -> bool:
        return text in self.all_text


def write_notebook(path: Path, cells: Sequence[str]) -> Path:
    """A notebook of code cells, with the kernelspec of the server's Python."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, path)
    return path


@dataclass
class NotebookPage:
    """One notebook open in one front end of the server."""

    page: Page
    server: JupyterServer
    frontend: str
    path: str
    console: list[str] = field(default_factory=list)
    comm_msgs_sent: int = 0
    """Comm messages (``comm_msg``) the page has sent to its kernels: websocket frames, counted from open()."""
    comm_subshells: list[bool] = field(default_factory=list)
    """For each of those messages, whether it went to a kernel subshell (its header's ``subshell_id``)."""

    def open(self) -> NotebookPage:
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("websocket", lambda ws: ws.on("framesent", self._frame_sent))
        url = self.server.url + FRONTENDS[self.frontend].format(path=self.path) + f"&token={self.server.token}"
        self.page.goto(url, wait_until="domcontentloaded")
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        self.wait_kernel_idle()
        return self

    def _frame_sent(self, payload: str | bytes) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        if b'"msg_type":"comm_msg"' in data or b'"msg_type": "comm_msg"' in data:  # its header, either protocol
            self.comm_msgs_sent += 1
            self.comm_subshells.append(re.search(rb'"subshell_id":\s*"', data) is not None)

    def comms_without_subshells(self) -> None:
        """Send this notebook's comm messages on the main shell, as with subshells off in the
        settings (Kernel Comms over subshells: Disabled) or a kernel without them."""
        assert self._panel_js(
            "const k = panel.sessionContext.session?.kernel;"
            "if (!k) return false; k.commsOverSubshells = 'disabled'; return true;"
        ), "no kernel connection to change"

    def _panel_js(self, body: str) -> Any:
        # ``body`` runs with `panel`, the notebook panel of this path in JupyterLab's or Notebook 7's shell.
        return self.page.evaluate(
            """(path) => {
                const app = window.jupyterapp;
                if (!app) return null;
                let panel = null;
                for (const w of app.shell.widgets('main')) if (w.context && w.context.path === path) panel = w;
                if (!panel) return null;
                %s
            }""" % body,
            self.path,
        )

    def wait_kernel_idle(self, timeout: float = 60.0) -> None:
        """Until the kernel of the notebook is connected and idle: Run All before that may be lost."""
        self.wait_until(
            lambda: self._panel_js(
                "const k = panel.sessionContext.session?.kernel;"
                "return !!k && k.connectionStatus === 'connected' && k.status === 'idle';"
            ),
            timeout, "the kernel to be connected and idle",
        )

    def menu(self, name: str, command: str) -> None:
        """Click a menu bar item, then the entry of ``command`` (the same ids in both front ends)."""
        self.page.locator("[role=menubar] [role=menuitem]", has_text=name).first.click()
        self.page.locator(f'.lm-Menu li[data-command="{command}"]').click()

    def run_all(self) -> float:
        """Run > Run All Cells; returns the (monotonic) time it was clicked."""
        self.menu("Run", "runmenu:run-all")
        return time.monotonic()

    def save(self, timeout: float = 30.0) -> None:
        """File > Save, then wait until the document is no longer dirty."""
        self.menu("File", "docmanager:save")
        self.wait_until(lambda: self._panel_js("return panel.context.model.dirty === false;"), timeout, "the save")

    def assert_no_widget_errors(self) -> None:
        errors = [line for line in self.console if WIDGET_ERROR.search(line)]
        assert not errors, f"widget errors in the {self.frontend} console:\n" + "\n".join(errors)

    def outputs_text(self) -> str:
        text: str = self.page.evaluate(_js("return cfOutputText();"))
        return text

    def has_output(self, text: str) -> bool:
        """Whether ``text`` is in an output; fails at once on a traceback."""
        found = self.outputs_text()
        if ERROR_MARK in found:
            raise AssertionError(f"a cell failed in {self.frontend}:\n{found[-3000:]}")
        return text in found

    def wait_for_output(self, text: str, timeout: float = RUN_TIMEOUT) -> None:
        self.wait_until(lambda: self.has_output(text), timeout, f"the output {text!r}")

    def figures(self) -> list[Figure]:
        return [
            Figure(f["title"], f["cell"], f["lines"], f["legend"], f["xLabels"], f["yLabels"], f["zeroOffset"])
            for f in self.page.evaluate(_js("return cfFigures();"))
        ]

    def bars(self) -> list[Bar]:
        return [Bar(**b) for b in self.page.evaluate(_js("return cfBars();"))]

    def snapshot(self, cell: int) -> Snapshot:
        """Points drawn, bars and output text of one cell, and whether ``text`` is out yet, read at one instant."""
        data = self.page.evaluate(_js(
            "return {figures: cfFigures().filter((f) => f.cell === arg), bars: cfBars().filter((b) => b.cell === arg),"
            " text: cfCellText(arg), all: cfOutputText()};"
        ), cell)
        if ERROR_MARK in data["all"]:
            raise AssertionError(f"a cell failed in {self.frontend}:\n{data['all'][-3000:]}")
        return Snapshot(
            time.monotonic(),
            sum(sum(f["lines"]) for f in data["figures"]),
            len(data["figures"]),
            [Bar(**b) for b in data["bars"]],
            data["text"],
            data["all"],
        )

    def visible_static_boards(self) -> int:
        """Static copies of boards that show (not hidden next to their live widget)."""
        count: int = self.page.evaluate(_js("return cfVisibleStatic();"))
        return count

    def points(self, cell: int | None = None) -> int:
        return sum(f.points for f in self.figures() if cell is None or f.cell == cell)

    def evaluate(self, body: str, arg: Any = None) -> Any:
        """Run ``body`` in the page with the DOM helpers (cfFigures, cfBars, cfPoints...) in scope."""
        return self.page.evaluate(_js(body), arg)

    def scroll_to_cell(self, index: int) -> None:
        self.page.locator(".jp-Notebook .jp-Cell").nth(index).scroll_into_view_if_needed()

    def screenshot(self, path: Path, cell: int | None = None) -> None:
        """The viewport, or the output area of one cell (scrolled into view)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if cell is None:
            self.page.screenshot(path=str(path))
        else:
            self.page.locator(".jp-Notebook .jp-Cell").nth(cell).locator(".jp-OutputArea").first.screenshot(path=str(path))

    def wait_until(self, predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout:.0f} s waiting for {what} in {self.frontend}; "
                    f"outputs:\n{self.outputs_text()[-2000:]}\nconsole errors:\n" + "\n".join(self.console[-10:])
                )
            time.sleep(interval)


def saved_notebook(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
