"""The static copy of a finished board, for saved notebooks.

A board's second output holds its final charts (as SVG images), numbers (as escaped
text) and hyperparameters: nbconvert and other renderers without widget state show it.
"""

from __future__ import annotations

from typing import Any

from .params_table import params_html, params_of, params_text

# The static board sits in its own output right after the live one: nbconvert and
# other renderers prefer a widget view over text/html in the same bundle, and show
# nothing for it without widget state. Next to a live widget that did render, the
# static copy hides itself (CSS :has), so JupyterLab and Notebook 7 show one board.
_HIDE_NEXT_TO_LIVE = (
    "<style>.jp-OutputArea-child:has(.cellflux-live) + .jp-OutputArea-child .cellflux-static,"
    ".output_area:has(.cellflux-live) + .output_area .cellflux-static{display:none}"
    # a reopened board's "disconnected" icon shifts bqplot's marks off their axes
    ".cellflux-live .bqplot.figure.jupyter-widgets-disconnected::before{display:none}</style>"
)


def static_bundle(execution: Any, series: dict[str, Any]) -> dict[str, Any]:
    """text/html and text/plain renderings of a finished board, for saved notebooks."""
    from .static import render_html
    from .summary import summarize

    view = _View(execution, series)
    params = params_of(execution)
    board = render_html(view, images=True) + params_html(params)
    html = f'<div class="cellflux-static">{board}</div>{_HIDE_NEXT_TO_LIVE}'
    text = summarize(view) + (f"\n{params_text(params)}" if params else "")
    return {"text/html": html, "text/plain": text}


class _View:
    """An execution with the series a board shows, as the static renderer reads it."""

    def __init__(self, execution: Any, series: dict[str, Any]) -> None:
        self.execution = execution
        self.name = execution.name
        self.status = execution.status
        self.started_at = execution.started_at
        self.ended_at = execution.ended_at
        self.series = series

