"""Names on a board that may be long: shortened where they are drawn, whole on hover, always text.

Metric keys, units, group and task names are untrusted and of any length. Titles and
names are escaped into one-line markup that CSS cuts with an ellipsis, the whole text in
a ``title`` attribute (shown on hover, as text). bqplot draws axis labels as SVG text,
which no CSS can cut: :func:`shorten` cuts them in the kernel.
"""

from __future__ import annotations

import html

import ipywidgets

ELLIPSIS = "\u2026"
NAME_WIDTH = "20em"
"""Widest a metric name gets in the latest/min/max table before it is cut."""


def shorten(text: str, limit: int) -> str:
    """``text`` cut in the middle to at most ``limit`` characters, the end kept: it often holds the units.

    >>> shorten("validation/accuracy/top1 (%)", 20)
    'validation/ac…p1 (%)'
    """
    if len(text) <= limit:
        return text
    tail = (limit - 1) // 3
    return text[: limit - 1 - tail] + ELLIPSIS + text[len(text) - tail :]


def line_markup(text: str, hover: str | None = None, *, bold: bool = False) -> str:
    """``text`` on one line, cut with an ellipsis by CSS; ``hover`` (``text`` by default) whole in ``title``.

    Both escaped: the browser shows them as text. The line is placed absolutely in the HTML
    widget's content box (``position: relative`` in ipywidgets' CSS): an ordinary block
    would widen the widget to the whole text instead of being cut.
    """
    style = "position:absolute;left:0;right:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap"
    if bold:
        style += ";font-weight:bold;font-size:14px"
    whole = html.escape(text if hover is None else hover, quote=True)
    return f'<div class="cellflux-line" title="{whole}" style="{style}">{html.escape(text)}</div>'


def text_line(text: str, *, css_class: str, bold: bool = False) -> ipywidgets.HTML:
    """A one-line widget of :func:`line_markup`.

    Not a Label: a Label's ``tooltip`` goes to its (hidden) description, not to its text.
    """
    return ipywidgets.HTML(  # classes given here go out with the widget, not as one more message
        value=line_markup(text, bold=bold), layout=ipywidgets.Layout(width="100%", height="28px"), _dom_classes=(css_class,)
    )


def name_cell(name: str, swatch_colour: str) -> str:
    """A ``<th>`` of the stats table: a colour swatch and the name, cut by CSS, whole in ``title``."""
    text = html.escape(name, quote=True)
    return (
        '<th style="text-align:left;white-space:nowrap;padding-right:4px">'
        f'<span style="color:{swatch_colour}">&#9632;</span> '
        f'<span class="cellflux-name" title="{text}" style="display:inline-block;max-width:{NAME_WIDTH};'
        f'overflow:hidden;text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom">{text}</span></th>'
    )
