"""notebooks/integrations/keras.ipynb run in JupyterLab: one board, train and validation on one chart, bars done."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import REPO

pytestmark = pytest.mark.browser

KERAS = REPO / "notebooks" / "integrations" / "keras.ipynb"
SENTINEL = "cellflux-keras-done"


@pytest.mark.parametrize("frontend", ["lab"])  # the notebook, as a user opens it in JupyterLab
def test_keras_notebook_board(open_notebook: Callable[..., Any], shoot: Callable[..., Any]) -> None:
    nb = open_notebook(KERAS, name="keras")
    nb.run_all()
    nb.wait_for_output(SENTINEL)
    printed = re.search(r"succeeded (\d+) epochs", nb.outputs_text())
    assert printed is not None, nb.outputs_text()[-500:]
    epochs = int(printed.group(1))
    nb.wait_until(lambda: [len(f.lines) for f in nb.figures()] == [2, 2]
                  and all(f.lines == [epochs, epochs] for f in nb.figures())
                  and {b.label: b.state for b in nb.bars()}.get("epoch") in ("done", "stopped"),
                  30, "the final board")
    figures = nb.figures()
    assert len({f.cell for f in figures}) == 1  # one board, in the cell that called fit
    assert [(f.title, f.legend, f.x_labels) for f in figures] == [
        ("accuracy", ["accuracy", "val_accuracy"], ["epoch"]), ("loss", ["loss", "val_loss"], ["epoch"])
    ]  # in the order of Keras's logs
    bars = {b.label: b for b in nb.bars()}
    assert list(bars) == ["epoch", "batch", "validation"]
    assert bars["batch"].state == "done" and bars["validation"].state == "done"
    assert re.match(r"50/50 100% ", bars["batch"].text) and re.match(r"13/13 100% ", bars["validation"].text)
    expected = "done" if epochs == 8 else "stopped"
    assert bars["epoch"].state == expected and bars["epoch"].text.startswith(f"{epochs}/8 ")
    assert nb.visible_static_boards() == 0
    assert "hyperparameters" in nb.outputs_text() and "learning_rate" in nb.outputs_text()
    nb.assert_no_widget_errors()
    shoot(nb, "board", cell=figures[0].cell)
