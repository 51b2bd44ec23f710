"""notebooks/quickstart.ipynb run to its end: every chart and every bar in its final state."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import REPO

pytestmark = pytest.mark.browser

QUICKSTART = REPO / "notebooks" / "quickstart.ipynb"
SENTINEL = "cellflux-quickstart-done"

# The charts of the quickstart, in page order: (title, points per line or None when the
# count depends on timing, y-axis labels, x-axis label). A y label carries the units.
CHARTS: list[tuple[str, list[int | None], list[str], str]] = [
    ("training", [12, 12], ["loss", "accuracy"], ""),
    ("training", [20, 20], ["loss", "accuracy (%)"], "epoch"),
    ("fast_metric", [None], ["fast_metric"], "time (s)"),
    ("exact_metric", [600], ["exact_metric"], ""),
]
BARS = [("epoch", 20), ("progress", 150), ("items_processed", 120)]


def test_quickstart_final(open_notebook: Callable[..., Any], shoot: Callable[..., Any]) -> None:
    nb = open_notebook(QUICKSTART, name="quickstart")
    nb.run_all()
    nb.wait_for_output(SENTINEL)
    expected_lines = [len(lines) for _, lines, _, _ in CHARTS]
    # The final push follows the end of each execution; give the last one a moment to land.
    nb.wait_until(lambda: [len(f.lines) for f in nb.figures()] == expected_lines
                  and all(b.text.startswith(f"{n}/{n} ") for b, (_, n) in zip(nb.bars(), BARS)),
                  15, "the final state of every board")

    figures = nb.figures()
    assert [f.title for f in figures] == [title for title, *_ in CHARTS]
    for figure, (title, points, y_labels, x_label) in zip(figures, CHARTS):
        assert figure.y_labels == y_labels, title
        assert figure.x_labels == [x_label], title
        assert figure.legend == [label.split(" (")[0] for label in y_labels], title
        if x_label != "time (s)":  # at=0 is the first point: it sits on the axis tick "0"
            assert figure.zero_offset is not None and abs(figure.zero_offset) <= 2, (title, figure.zero_offset)
        for drawn, expected in zip(figure.lines, points):
            if expected is None:
                assert drawn >= 20, f"{title}: {drawn} points drawn"
            else:
                assert drawn == expected, f"{title}: {drawn} points drawn, {expected} recorded"

    # One legend per chart, the table: no bqplot legend box over the lines.
    assert nb.evaluate("return document.querySelectorAll('.jp-OutputArea .g_legend text.legendtext').length;") == 0
    bars = nb.bars()
    assert [(b.label, b.state) for b in bars] == [(label, "done") for label, _ in BARS]
    for bar, (label, n) in zip(bars, BARS):
        assert re.match(rf"{n}/{n} 100% ", bar.text), f"{label}: {bar.text!r}"
        assert bar.percent == 100.0, f"{label}: fill width {bar.width}"

    # One board per execution: each static copy hides next to its rendered live board.
    assert nb.visible_static_boards() == 0

    nb.assert_no_widget_errors()
    # One screenshot per board.
    for cell in sorted({f.cell for f in figures} | {b.cell for b in bars}):
        shoot(nb, f"cell{cell}", cell=cell)
