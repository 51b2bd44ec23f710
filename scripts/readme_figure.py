"""Draw the README's chart figure: a zoomed, smoothed chart on a log scale with a hover label.

    .venv/bin/python scripts/readme_figure.py          # writes docs/images/chart-controls.svg
    .venv/bin/python scripts/readme_figure.py --check  # exit 1 if the committed figure is stale

Screenshots are build output and never committed; this figure is text, drawn the same
way every time from a fixed training curve, by the parts the chart itself uses: the
static chart writer (``chart_svg.py``, the picture a saved notebook holds), the zoomed
window at full detail (``zoom.py``), the debiased EMA (``smoothing.py``, the same
formula as the live chart's) and the live hover label's own text (``js/src/hover.js``,
run by node). What it shows is the state the live controls leave a chart in: zoomed into
steps 1,500-2,100, smoothing 0.9 (raw lines faint), loss on a log axis, the pointer at
step 1,620. The browser tier screenshots the live chart in that state
(``artifacts/browser/controls_while_a_cell_records-*-zoomed-smoothed-log-hover.png``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

import cellflux as cf
from cellflux.display.chart_svg import TEXT, LineData, chart_svg, text_width
from cellflux.display.escape import esc
from cellflux.display.layout import PALETTE, LineSpec, layout
from cellflux.display.smoothing import smooth
from cellflux.display.zoom import ZoomWindow

ROOT = Path(__file__).resolve().parent.parent
FIGURE = ROOT / "docs" / "images" / "chart-controls.svg"
STEPS, WINDOW, STRENGTH, POINTER = 3000, (1500.0, 2100.0), 0.9, 1620.0
Floats = npt.NDArray[np.float64]
Locate = Callable[[float, float, int], tuple[float, float]]
Dot = tuple[float, float, int, str]
"""A hover dot: x, y, the y-axis, the colour."""


class Curve:
    """A recorded metric as the layout sees it and the zoom reads it (``len``, ``read(start, stop)``)."""

    key: str
    group: cf.MetricGroup | None
    scale: cf.MetricScale | None
    x_auto: bool | None

    def __init__(self, key: str, scale: cf.MetricScale, group: cf.MetricGroup, ys: Floats) -> None:
        self.key, self.scale, self.group, self.x_auto = key, scale, group, False
        self.xs, self.ys = np.arange(len(ys), dtype=np.float64), ys

    def __len__(self) -> int:
        return len(self.ys)

    def read(self, start: int = 0, stop: int | None = None) -> tuple[Floats, Floats]:
        return self.xs[start:stop], self.ys[start:stop]


def training() -> list[Curve]:
    """A noisy loss and accuracy over 3,000 steps (a fixed seed: the figure never changes by itself)."""
    rng = np.random.default_rng(7)
    steps = np.arange(STEPS, dtype=np.float64)
    loss = (2.3 * np.exp(-steps / 700) + 0.03) * rng.lognormal(0.0, 0.3, STEPS)
    accuracy = np.minimum(100.0, 100 * (1 - 0.95 * np.exp(-steps / 500)) + rng.normal(0.0, 1.2, STEPS))
    group = cf.MetricGroup("training", units="step")
    return [Curve("loss", cf.MetricScale("loss", log=True), group, loss),
            Curve("accuracy", cf.MetricScale("accuracy", units="%"), group, accuracy)]


def hover_rows(rows: list[dict[str, object]], x_units: str) -> list[str]:
    """The live hover label's lines, from its own code (``rowText`` in js/src/hover.js)."""
    script = (
        "import { rowText } from './js/src/hover.js';"
        "const [rows, units] = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(rows.map((r) => rowText(r, units, false))));"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script, json.dumps([rows, x_units])],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [str(line) for line in json.loads(out)]


def draw() -> str:
    curves = training()
    (spec,) = layout(curves)
    spec = replace(spec, x_lower=WINDOW[0], x_upper=WINDOW[1], lines=[])
    lines: list[LineData] = []
    rows: list[dict[str, object]] = []
    dots: list[Dot] = []
    for index, curve in enumerate(curves):
        xs, ys = ZoomWindow.read(curve, *WINDOW, stop=len(curve)).points()
        smoothed, colour = smooth(ys, STRENGTH), PALETTE[index]
        lines += [LineData(curve.key, colour, xs, ys, float(ys[-1]), opacity=0.3, legend=False),
                  LineData(curve.key, colour, xs, smoothed, float(smoothed[-1]))]
        spec.lines += [LineSpec(curve.key, index), LineSpec(curve.key, index)]
        at = int(np.argmin(np.abs(xs - POINTER)))
        rows.append({"key": curve.key, "colour": colour, "x": float(xs[at]), "y": float(ys[at]),
                     "smoothed": float(smoothed[at]), "units": spec.axes[index].units})
        dots.append((float(xs[at]), float(smoothed[at]), index, colour))
    piece = chart_svg(spec, lines)
    assert piece.locate is not None
    marks = overlay(piece.locate, piece.plot, dots, hover_rows(rows, spec.x_label))
    return piece.markup[: -len("</svg>")] + marks + "</svg>"


def overlay(locate: Locate, plot: tuple[int, int, int, int], dots: list[Dot], text: list[str]) -> str:
    """The live chart's hover marks, as SVG: a dashed rule at the pointer, a dot per line, the label."""
    left, top, _, bottom = plot
    x = locate(POINTER, 1.0, 0)[0]
    out = [f'<g class="cellflux-hover-figure"><path d="M{x:.1f} {top}V{bottom}" stroke="#888" stroke-dasharray="3 3"/>']
    for px, py, axis, colour in dots:
        cx, cy = locate(px, py, axis)
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="{colour}" stroke="#fff"/>')
    width = max(text_width(line, 12) for line in text) + 14
    box_x, box_y = (x + 12 if x + 12 + width <= 640 else max(0.0, x - 12 - width)), top + 12
    out.append(f'<rect x="{box_x:.1f}" y="{box_y}" width="{width:.1f}" height="{17 * len(text) + 8}" rx="3" '
               f'fill="#fff" fill-opacity="0.94" stroke="#999"/>')
    for i, line in enumerate(text):
        out.append(f'<text x="{box_x + 7:.1f}" y="{box_y + 17 + 17 * i}" font-size="12" fill="{TEXT}">{esc(line)}</text>')
    return "".join(out) + "</g>"


def main(argv: list[str]) -> int:
    markup = draw() + "\n"
    if "--check" in argv:
        if FIGURE.exists() and FIGURE.read_text(encoding="utf-8") == markup:
            return 0
        print(f"{FIGURE.relative_to(ROOT)} is stale: run .venv/bin/python scripts/readme_figure.py", file=sys.stderr)
        return 1
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    FIGURE.write_text(markup, encoding="utf-8")
    print(f"wrote {FIGURE.relative_to(ROOT)} ({len(markup.encode()) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
