"""A chart's controls, used while the training cell is still running and recording.

One cell records ``loss`` (a known, noisy function of the step) and a metric with a
hostile name, 50 points a second, until the test creates a gate file. Meanwhile the
test, like a user: hovers (the label shows a known point; the hostile name stays
text; no comm message per pointer move), zooms with the wheel (the x range narrows,
one request per settled gesture, the kernel serves the window at full detail and the
range stays narrowed while points arrive), turns the log scale on (ticks at powers of
ten), smoothing (a second, smoother line over the faint raw one), hides and shows a
line from the table, saves the chart as PNG and its data as CSV (one row per stored
step, the hostile name inert in the header), and resets the zoom.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .test_axes import tick_value

pytestmark = pytest.mark.browser

HOSTILE = '=HYPERLINK("x")<img src=x onerror="window.cfPwned=1">'


def loss_at(step: int) -> float:
    """The loss recorded at ``step``: decaying, with a deterministic wiggle to smooth."""
    return 2.0 * 0.997**step + 0.05 + 0.3 * ((step * 7919) % 13) / 13


TRAIN = f'''
import pathlib
import time

import cellflux as cf


def loss_at(step):
    return 2.0 * 0.997 ** step + 0.05 + 0.3 * ((step * 7919) % 13) / 13


group = cf.MetricGroup("training", units="step")
loss = cf.Metric("loss", group=group, scale=cf.MetricScale("loss"), throttle=None)
other = cf.Metric({HOSTILE!r}, group=group, throttle=None)
step = 0


def record():
    global step
    loss.record(loss_at(step), at=step)
    other.record(1.0 + step % 10, at=step)
    step += 1


for _ in range(1000):
    record()
print("controls-" + "ready")
while not pathlib.Path(GATE).exists():  # a busy cell: it records until the test is done
    record()
    time.sleep(0.02)
print("controls-" + "done", step)
'''

# The chart of the cell: its axes' tick labels (y: by axis label), and each line path with its opacity, its
# roughness (the sum of its vertical steps, in pixels) and whether it is shown.
CHART = r"""
const fig = cfCells()[arg].querySelector('.bqplot.figure');
if (!fig) return null;
const number = /-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi;
const axes = Array.from(fig.querySelectorAll('g.axis')).filter((a) => a.querySelector('path.domain'));
const ticks = (a) => Array.from(a.querySelectorAll('g.tick text')).map((t) => t.textContent);
const label = (a) => a.querySelector('text.axislabel')?.textContent ?? '';
// Not checkVisibility(): Chromium answers true for an SVG path in a `display: none` group.
const shown = (node) => {
  for (let n = node; n && n !== fig; n = n.parentElement) if (getComputedStyle(n).display === 'none') return false;
  return true;
};
const paths = Array.from(fig.querySelectorAll('g.curve path.line')).map((p) => {
  const v = ((p.getAttribute('d') || '').match(number) || []).map(Number);
  let rough = 0;
  for (let i = 3; i < v.length; i += 2) rough += Math.abs(v[i] - v[i - 2]);
  return {stroke: p.style.stroke || p.getAttribute('stroke') || '', opacity: Number(getComputedStyle(p).opacity),
          rough, points: v.length / 2, shown: shown(p)};
});
// Whether two of the x axis' tick labels overlap on screen (bqplot's ~10 d3 ticks did on a zoomed, narrow plot).
const xBoxes = axes.filter((a) => cfAxisVertical(a) === false).flatMap((a) => Array.from(a.querySelectorAll('g.tick text')))
  .map((t) => t.getBoundingClientRect()).filter((r) => r.width > 0).sort((p, q) => p.left - q.left);
const xOverlap = xBoxes.some((r, i) => i > 0 && r.left < xBoxes[i - 1].right + 2);
return {x: axes.filter((a) => cfAxisVertical(a) === false).map(ticks)[0] || [], x_overlap: xOverlap,
        y: Object.fromEntries(axes.filter((a) => cfAxisVertical(a) === true).map((a) => [label(a), ticks(a)])), paths,
        status: cfCells()[arg].querySelector('.cellflux-controls-status')?.textContent || '',
        hover: fig.querySelector('.cellflux-hover')?.textContent || null,
        table: cfCells()[arg].querySelector('table.cellflux-stats')?.textContent || ''};
"""

BLUE = "rgb(31, 119, 180)"
"""The first palette colour (#1f77b4): the loss line."""


def span(labels: list[str]) -> tuple[float, float]:
    values = [tick_value(label) for label in labels]
    return min(values), max(values)


class Cell:
    """The training cell's chart on the page, as the tests read and use it."""

    def __init__(self, nb: Any) -> None:
        self.nb = nb
        self.page = nb.page
        self.area = self.page.locator(".jp-Notebook .jp-Cell").nth(1).locator("rect.plotarea_events").first

    def read(self) -> dict[str, Any]:
        return self.nb.evaluate(CHART, 1)  # type: ignore[no-any-return]

    def plot(self) -> dict[str, float]:
        """The plot area on screen now (it moves when the toolbar's status line wraps)."""
        box = self.area.bounding_box()
        assert box is not None
        return box  # type: ignore[no-any-return]

    def at(self, fraction: float) -> tuple[float, float]:
        box = self.plot()
        return box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.5

    def wheel_zoom(self) -> None:
        """One gesture: six wheel steps over the middle of the plot, dispatched in one task of the
        page so that no timer runs between them (the gesture settles once, whatever the load)."""
        x, y = self.at(0.5)
        self.page.mouse.move(x, y)
        self.page.evaluate(
            """([x, y]) => {
                const target = document.elementFromPoint(x, y);
                for (let i = 0; i < 6; i++) {
                    target.dispatchEvent(new WheelEvent('wheel', {clientX: x, clientY: y, deltaY: -120,
                        bubbles: true, cancelable: true}));
                }
            }""",
            [x, y],
        )

    def real_wheel(self) -> None:
        """One wheel step of the mouse, through Chromium's input."""
        self.page.mouse.move(*self.at(0.5))
        self.page.mouse.wheel(0, -480)

    def status(self, text: str, timeout: float = 20) -> None:
        self.nb.wait_until(lambda: text in self.read()["status"], timeout, f"the status {text!r}")


def start(open_notebook: Callable[..., Any], gate: str, name: str, subshells: bool = True) -> Cell:
    """The notebook, its training cell recording (and still running), its chart drawn."""
    nb = open_notebook([f"GATE = {gate!r}", TRAIN], name=name)
    if not subshells:
        nb.comms_without_subshells()
    nb.run_all()
    nb.wait_for_output("controls-ready")
    nb.scroll_to_cell(1)
    cell = Cell(nb)
    nb.wait_until(lambda: (c := cell.read()) and len(c["x"]) > 2 and any(p["points"] >= 900 for p in c["paths"]),
                  60, "the chart with its first 1000 points")
    return cell


def csv_rows(download: Any, into: Path) -> list[list[str]]:
    download.save_as(into)
    return list(csv.reader(io.StringIO(into.read_text(encoding="utf-8"))))


def test_controls_while_a_cell_records(
    open_notebook: Callable[..., Any], shoot: Callable[..., Any], jupyter: Any, frontend: str, tmp_path: Path
) -> None:
    gate = f"controls-{frontend}.end"
    cell = start(open_notebook, gate, "controls")
    nb, page, chart = cell.nb, cell.page, cell.read
    full = span(chart()["x"])
    assert not chart()["x_overlap"], f"the x axis' tick labels overlap: {chart()['x']}"

    # Hover: the nearest point of each line, as text; no message to the kernel.
    sent = nb.comm_msgs_sent
    for i in range(20):
        page.mouse.move(*cell.at(0.3 + 0.01 * i))
    label = nb.wait_until(lambda: chart()["hover"], 10, "the hover label")
    found = re.search(r"^loss: (\S+) at step (\d+)$", label, re.MULTILINE)
    assert found, label
    assert math.isclose(float(found.group(1)), loss_at(int(found.group(2))), rel_tol=2e-4), label
    assert f"{HOSTILE}: " in label
    assert nb.comm_msgs_sent == sent, "a pointer move sent a comm message"

    # Wheel zoom: the x range narrows at once, one request once the gesture settles,
    # the kernel answers while the cell runs (the comm's subshell), and it stays narrowed.
    cell.wheel_zoom()
    cell.status("zoomed: full detail (double-click to reset)")
    assert nb.comm_msgs_sent == sent + 1, f"{nb.comm_msgs_sent - sent} comm messages for one wheel gesture"
    assert nb.comm_subshells[-1], "the zoom request went to the main shell, not the comm's subshell"
    zoomed = span(chart()["x"])
    assert zoomed[1] - zoomed[0] < (full[1] - full[0]) / 2, (full, zoomed)
    assert not chart()["x_overlap"], f"the zoomed x axis' tick labels overlap: {chart()['x']}"
    for _ in range(3):  # three ticks of the board, each with new points
        table = chart()["table"]
        nb.wait_until(lambda: chart()["table"] != table, 20, "new points in the table")
    assert span(chart()["x"]) == zoomed, "the zoomed range moved while points arrived"

    # Log scale: the loss axis ticks at powers of ten.
    page.get_by_role("checkbox", name="Log scale: loss").check()
    def decades() -> bool:
        ticks = chart()["y"].get("loss") or []
        return len(ticks) >= 2 and all(math.log10(tick_value(t)).is_integer() for t in ticks)
    nb.wait_until(decades, 10, "powers of ten on the loss axis")
    other_ticks = next(ticks for name, ticks in chart()["y"].items() if name != "loss")
    assert not all(math.log10(tick_value(t)).is_integer() for t in other_ticks), "the other axis went log"

    # Smoothing: a second, smoother loss line; the raw one stays, faint.
    page.get_by_role("slider", name="Smoothing").fill("0.9")
    def two_loss_lines() -> list[dict[str, Any]] | None:
        lines = [p for p in chart()["paths"] if p["stroke"] == BLUE and p["shown"] and p["points"] > 2]
        return lines if len(lines) == 2 else None
    raw, smoothed = sorted(nb.wait_until(two_loss_lines, 10, "a smoothed loss line"), key=lambda p: p["opacity"])
    assert raw["opacity"] < 0.5 and smoothed["opacity"] == 1
    assert smoothed["rough"] < raw["rough"] / 2, (raw, smoothed)

    page.mouse.move(*cell.at(0.6))
    nb.wait_until(lambda: chart()["hover"], 10, "the hover label")
    shoot(nb, "zoomed-smoothed-log-hover", cell=1)

    # Show and hide from the table.
    name = page.locator('.jp-Notebook .jp-Cell').nth(1).locator('th[data-cellflux-key="loss"]')
    name.click()
    nb.wait_until(lambda: not any(p["shown"] for p in chart()["paths"] if p["stroke"] == BLUE), 10, "loss hidden")
    assert any(p["shown"] for p in chart()["paths"] if p["stroke"] != BLUE), "the other line went too"
    name.click()
    nb.wait_until(lambda: two_loss_lines(), 10, "loss shown again")

    # Save PNG (in the browser) and Save CSV (every stored point, from the kernel).
    with page.expect_download() as download:
        page.get_by_role("button", name="Save PNG").click()
    png = tmp_path / "chart.png"
    download.value.save_as(png)
    assert download.value.suggested_filename == "training.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Save CSV").click()
    rows = csv_rows(download.value, tmp_path / "chart.csv")
    assert rows[0] == ["step", "loss", "'" + HOSTILE], rows[0]
    steps = [int(row[0]) for row in rows[1:]]
    assert steps == list(range(len(steps))) and len(steps) > 1000, "one row per stored step, none missing"
    assert all(float(row[1]) == pytest.approx(loss_at(int(row[0])), rel=1e-12) for row in rows[1:] if row[1])

    # Zoom reset: the full range, up to the latest points.
    page.get_by_role("button", name="Zoom reset").click()
    nb.wait_until(lambda: span(chart()["x"])[1] >= len(steps) - 1 and span(chart()["x"])[0] == 0, 10,
                  "the full x range")

    Path(jupyter.root, gate).touch()
    nb.wait_for_output("controls-done")
    assert page.evaluate("() => window.cfPwned") is None
    # The board's static copy is an <img> of an SVG data URI; the name must not have made one of its own.
    assert nb.evaluate("return cfCells()[arg].querySelectorAll('.jp-OutputArea img[src=\"x\"]').length", 1) == 0
    nb.assert_no_widget_errors()


def test_controls_without_subshells_apply_when_the_cell_finishes(
    open_notebook: Callable[..., Any], jupyter: Any, frontend: str, tmp_path: Path
) -> None:
    """Comms over subshells off (a setting of both front ends; ipykernel 6 has none): the zoom
    is drawn at once in the browser, its detail and the CSV wait for the cell, and say so."""
    gate = f"controls-wait-{frontend}.end"
    cell = start(open_notebook, gate, "controls-wait", subshells=False)
    nb, page, chart = cell.nb, cell.page, cell.read
    full = span(chart()["x"])
    sent = nb.comm_msgs_sent

    cell.real_wheel()
    cell.status("zoomed: full detail when the cell finishes")
    zoomed = span(chart()["x"])
    assert zoomed[1] - zoomed[0] < (full[1] - full[0]) / 2, (full, zoomed)
    assert not chart()["x_overlap"], f"the zoomed x axis' tick labels overlap: {chart()['x']}"
    assert nb.comm_subshells[sent:] == [False], "one request, on the main shell"
    page.get_by_role("button", name="Save CSV").click()
    cell.status("Save CSV: when the cell finishes")

    with page.expect_download(timeout=60_000) as download:
        Path(jupyter.root, gate).touch()
        nb.wait_for_output("controls-done")
    done = re.search(r"controls-done (\d+)", nb.outputs_text())
    assert done, nb.outputs_text()[-500:]
    rows = csv_rows(download.value, tmp_path / "chart.csv")
    assert [int(row[0]) for row in rows[1:]] == list(range(int(done.group(1)))), "one row per stored step"
    cell.status("zoomed: full detail (double-click to reset)")
    assert "when the cell finishes" not in chart()["status"]
    assert span(chart()["x"]) == zoomed, "the zoom moved when its detail came"
    nb.assert_no_widget_errors()
