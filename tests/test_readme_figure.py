"""The README's chart figure (docs/images/chart-controls.svg) is what scripts/readme_figure.py draws today."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURE = ROOT / "docs" / "images" / "chart-controls.svg"
SVG = "{http://www.w3.org/2000/svg}"


def test_the_committed_figure_is_current() -> None:
    done = subprocess.run([sys.executable, "scripts/readme_figure.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_readme_shows_the_figure() -> None:
    assert "](docs/images/chart-controls.svg)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_figure_is_zoomed_smoothed_on_a_log_axis_with_a_hover_label() -> None:
    root = ET.parse(FIGURE).getroot()
    axes = {a.get("data-side"): a for a in root.iter(f"{SVG}g") if "cellflux-axis" in a.get("class", "")}
    assert (float(axes["bottom"].get("data-lower", "")), float(axes["bottom"].get("data-upper", ""))) == (1500, 2100)
    series = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cellflux-series"]
    faint = [g.get("data-key") for g in series if g.get("stroke-opacity") == "0.3"]
    solid = [g.get("data-key") for g in series if g.get("stroke-opacity") is None]
    assert faint == solid == ["loss", "accuracy"], "each metric: its raw line faint, its smoothed line over it"
    assert next(g for g in series if g.get("data-key") == "loss").get("data-log") == "true"
    label = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "cellflux-hover-figure")
    lines = ["".join(t.itertext()) for t in label.iter(f"{SVG}text")]
    assert [line.split(":")[0] for line in lines] == ["loss", "accuracy"]
    assert all("(smoothed " in line and line.endswith("at step 1620") for line in lines)
