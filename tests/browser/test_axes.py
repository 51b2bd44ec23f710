"""Every line stays inside its chart and the y-ticks reach past the data, however fast the range grows.

Two metrics recorded fast at ``throttle=100``: ``wide`` over 0..9999 and ``grow`` over ten
orders of magnitude from 0.01. The charts are looked at three times: with their first,
single point (the kernel waits for the test there), half-way (it waits again), and at the
end. A first point of magnitude below 0.1 is what broke bqplot's automatic domains for
good (see ``display/ranges.py``); ``grow`` starts there on purpose, and auto x (seconds
since the start) does so by chance. Three runs per front end, as the failure was a race.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

STEPS = 10_000
HALF = STEPS // 2


def grow(i: int) -> float:
    return float(10 ** (i / 1000 - 2))


RECORD = f'''
import pathlib
import time

import cellflux as cf


def wait_for(gate):
    # The test creates the file once it has looked at the charts: a busy kernel reads no comm message.
    while not pathlib.Path(gate).exists():
        time.sleep(0.05)


wide = cf.Metric("wide", throttle=100)
grow = cf.Metric("grow", throttle=100)
wide.record(0)
grow.record(0.01)
print("axes-" + "first")
wait_for(GATE + ".first")
for i in range(1, {STEPS}):
    wide.record(i)
    grow.record(10 ** (i / 1000 - 2))
    time.sleep(0.0002)
    if i == {HALF}:
        print("axes-" + "half")
        wait_for(GATE + ".half")
print("axes-" + "done")
'''

# Per figure of the cell: the plot area (its clip rect), every point of every line, the
# labels of the y-axis ticks and the cells of the latest/min/max table, read off the page.
GEOMETRY = r"""
return Array.from(cfCells()[arg].querySelectorAll('.bqplot.figure')).map((fig) => {
  const clip = fig.querySelector('defs clipPath rect');
  const number = /-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi;
  const lines = Array.from(fig.querySelectorAll('g.curve path.line')).map((path) => {
    const values = ((path.getAttribute('d') || '').match(number) || []).map(Number);
    const points = [];
    for (let i = 0; i + 1 < values.length; i += 2) points.push([values[i], values[i + 1]]);
    return points;
  });
  const axes = Array.from(fig.querySelectorAll('g.axis')).filter((a) => a.querySelector('path.domain'));
  const yTicks = axes.filter((a) => cfAxisVertical(a) === true)
    .map((a) => Array.from(a.querySelectorAll('g.tick text')).map((t) => t.textContent));
  const table = fig.closest('.widget-hbox')?.querySelector('table.cellflux-stats');
  const stats = Array.from(table?.querySelectorAll('td') ?? []).map((td) => td.textContent);
  return {width: Number(clip?.getAttribute('width')), height: Number(clip?.getAttribute('height')), lines, yTicks, stats};
});
"""


def tick_value(label: str) -> float:
    """A tick label as bqplot prints it: ``10000``, ``0.5``, ``1e+10``, ``−2`` (U+2212), ``1,000``."""
    return float(label.replace("\u2212", "-").replace(",", ""))


def problems(figures: list[dict[str, Any]], data: list[tuple[float, float]]) -> list[str]:
    """What is wrong with the charts: lines outside their plot area, y-ticks short of the data."""
    found: list[str] = []
    if len(figures) != len(data):
        return [f"{len(figures)} charts drawn, {len(data)} expected"]
    for name, figure, (low, high) in zip(("wide", "grow"), figures, data):
        width, height = figure["width"], figure["height"]
        if not (width > 0 and height > 0):
            found.append(f"{name}: no plot area ({width} x {height})")
            continue
        points = [p for line in figure["lines"] for p in line]
        outside = [(x, y) for x, y in points if not (-0.5 <= x <= width + 0.5 and -0.5 <= y <= height + 0.5)]
        if not points or outside:
            found.append(f"{name}: {len(outside)} of {len(points)} points outside the {width:.0f} x {height:.0f} "
                         f"plot area, e.g. {outside[:3]}")
        if len(figure["yTicks"]) != 1 or not figure["yTicks"][0]:
            found.append(f"{name}: y-axis ticks {figure['yTicks']}")
            continue
        ticks = [tick_value(t) for t in figure["yTicks"][0]]
        slack = 1e-9 * max(high - low, abs(high))
        if min(ticks) > low + slack or max(ticks) < high - slack:
            found.append(f"{name}: y ticks {figure['yTicks'][0]} do not cover the data {low:g}..{high:g}")
    return found


def stats_show(figures: list[dict[str, Any]], data: list[tuple[float, float]]) -> bool:
    """Whether the latest/min/max tables show ``data``: the tick that carried it has been applied."""
    if len(figures) != len(data):
        return False
    for figure, (low, high) in zip(figures, data):
        if len(figure["stats"]) != 3:
            return False
        latest, smallest, largest = (float(v) for v in figure["stats"])
        if not (math.isclose(latest, high, rel_tol=1e-3) and math.isclose(smallest, low, rel_tol=1e-3)):
            return False
    return True


@pytest.mark.parametrize("repetition", range(3), ids=lambda r: f"run{r}")
def test_lines_stay_inside_their_axes(
    open_notebook: Callable[..., Any], shoot: Callable[..., Any], jupyter: Any, frontend: str, repetition: int
) -> None:
    gate = f"axes-{repetition}-{frontend}"
    nb = open_notebook([f"GATE = {gate!r}", RECORD], name=f"axes-{repetition}")
    nb.run_all()
    stages = [
        ("first", [(0.0, 0.0), (grow(0), grow(0))]),
        ("half", [(0.0, HALF), (grow(0), grow(HALF))]),
        ("done", [(0.0, STEPS - 1.0), (grow(0), grow(STEPS - 1))]),
    ]
    for stage, data in stages:
        nb.wait_for_output(f"axes-{stage}")
        nb.scroll_to_cell(1)
        nb.wait_until(lambda: stats_show(nb.evaluate(GEOMETRY, 1), data), 30, f"the {stage} values in the tables")
        # The values are in; bqplot applies a path's new `d` at the next animation frame.
        try:
            nb.wait_until(lambda: not problems(nb.evaluate(GEOMETRY, 1), data), 10, f"lines inside their charts ({stage})")
        except AssertionError:
            shoot(nb, f"run{repetition}-{stage}-wrong", cell=1)
            found = problems(nb.evaluate(GEOMETRY, 1), data)
            raise AssertionError(f"at {stage}:\n" + "\n".join(found + nb.console[-3:])) from None
        if stage != "done":
            Path(jupyter.root, f"{gate}.{stage}").touch()
    # bqplot reports a failed redraw only in the console (and stops redrawing that axis).
    assert not [line for line in nb.console if "setting state" in line], nb.console[-3:]
    nb.assert_no_widget_errors()
    shoot(nb, f"run{repetition}", cell=1)
