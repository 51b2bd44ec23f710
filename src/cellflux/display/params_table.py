"""The hyperparameters of a run as a compact table under its board (live and static).

Names and values are user text (a framework's settings, a config file's
strings): every one goes through :func:`esc`, and the markup keeps to what the
sanitiser of an untrusted notebook output leaves alone (a real ``table``,
``th``/``td``/``span``, inline styles of its allow-list), like static_text.py.
Pairs run across ``COLUMNS`` name/value columns so that a hundred settings take
a few lines of height, not a hundred; a long value is cut on screen by CSS and
kept whole in the text and in its ``title``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import ipywidgets

from .chart_svg import MUTED
from .escape import esc

__all__ = ["ParamsView", "params_html", "params_of", "params_text"]

COLUMNS = 3
"""Name/value pairs per row."""

_TABLE = "border-collapse:collapse;font-size:12px;line-height:1.5;margin:4px 0 2px 0"
_NAME = "text-align:left;font-weight:normal;padding:0 6px 0 0;white-space:nowrap;color:" + MUTED
_VALUE = "padding:0 18px 0 0;white-space:nowrap"
_CUT = (
    "display:inline-block;max-width:16em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;"
    "vertical-align:bottom"
)


def params_of(execution: Any) -> dict[str, Any]:
    """The hyperparameters of a live or stored execution (empty when it has none)."""
    params = getattr(execution, "params", None)
    return dict(params) if isinstance(params, Mapping) else {}


def show_value(value: Any) -> str:
    """A value as text: strings as they are, numbers and the rest as JSON writes them."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.6g}"
    return json.dumps(value)


def params_html(params: Mapping[str, Any]) -> str:
    """The table (empty string for no parameters); well-formed XML."""
    if not params:
        return ""
    cells = [
        f'<th scope="row" style="{_NAME}"><span title="{esc(name)}" style="{_CUT}">{esc(name)}</span></th>'
        f'<td style="{_VALUE}"><span title="{esc(show_value(value))}" style="{_CUT}">'
        f"{esc(show_value(value))}</span></td>"
        for name, value in params.items()
    ]
    rows = ["".join(cells[i : i + COLUMNS]) for i in range(0, len(cells), COLUMNS)]
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    return (
        f'<table class="cellflux-params" style="{_TABLE}"><caption style="text-align:left;color:{MUTED};'
        f'font-size:12px">hyperparameters</caption><tbody>{body}</tbody></table>'
    )


def params_text(params: Mapping[str, Any]) -> str:
    """One line for ``text/plain``: ``hyperparameters: lr=0.001, optimizer=adam``."""
    if not params:
        return ""
    return "hyperparameters: " + ", ".join(f"{name}={show_value(value)}" for name, value in params.items())


class ParamsView:
    """The live board's table: one ``HTML`` widget, sent again only when the parameters change."""

    def __init__(self) -> None:
        self.widget: Any = None
        self._shown: dict[str, Any] = {}

    def changes(self, execution: Any) -> tuple[bool, list[tuple[Any, dict[str, Any]]]]:
        """(whether the widget is new, the trait changes to send) for the parameters now."""
        params = params_of(execution)
        if params == self._shown:
            return False, []
        self._shown = params
        if self.widget is None:
            self.widget = ipywidgets.HTML(value=params_html(params))
            self.widget.add_class("cellflux-params-live")
            return True, []
        return False, [(self.widget, {"value": params_html(params)})]

    def close(self) -> None:
        if self.widget is not None:
            self.widget.close()
