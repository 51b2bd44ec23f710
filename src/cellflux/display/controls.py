"""The controls of one chart: an anywidget whose front end does the work in the browser.

Hover labels, zoom and pan, the log scale, smoothing, showing and hiding lines and
Save PNG run in the browser (``js/src/controls.js``): they reach the chart's bqplot
models through the widget manager and change them there, with no message to the
kernel, so they work while a cell is busy. Two things need the kernel's data, and
the front end asks for them with one custom message each:

* ``{"kind": "zoom", "seq": n, "low": a, "high": b}`` (``low``/``high`` null for
  the full range), once per settled zoom gesture: the lines at full detail inside
  the window (see zoom.py), then ``{"kind": "zoomed", "seq": n}``;
* ``{"kind": "csv", "seq": n}``: every stored point of the chart, as
  ``{"kind": "csv", "seq": n, "name": ..., "last": bool}`` messages whose buffer is
  a chunk of the file.

Each request is acknowledged (``{"kind": "ack", "seq": n}``) as soon as Python
sees it; a front end that hears no ack in time says the request will apply when
the cell finishes. Whether Python sees it during a busy cell depends on the front
end and the kernel: see ``docs/interactive.md`` and :func:`listen_where_sent`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Protocol

import anywidget
import traitlets

from ..warn import warn
from .bundle import STATIC, read_bundle

__all__ = ["Actions", "ChartControls", "listen_where_sent"]

_BUNDLE = STATIC / "controls.js"


class Actions(Protocol):
    """What the controls ask of their chart (display/interact.py)."""

    def zoom(self, low: float | None, high: float | None) -> None:
        """Show ``low..high`` (x in the axis' units) at full detail; None, None: the full range."""

    def csv(self) -> tuple[str, Iterator[bytes]]:
        """A file name and the chunks of the chart's CSV."""


def listen_where_sent(comm: Any) -> bool:
    """Handle this comm's messages on the subshell the front end sent them to.

    JupyterLab 4.4+ and Notebook 7.4+ send a widget's comm messages to a kernel
    subshell (one per comm target, setting ``commsOverSubshells``), which ipykernel 7
    runs in a thread of its own, so a handler runs while a cell is busy. But
    ipykernel 7.4 sends a comm's incoming messages to the subshell of the last message
    the kernel sent on it (``BaseComm._reply_subshell_for``), and a board's widgets
    are opened and updated from the cell (the main shell): every message would wait
    for the cell to finish. For this comm, whose handlers take the board's lock, the
    subshell the front end chose is kept. Returns whether that hook was there: with
    ipykernel 7.0 to 7.3 messages already go where they were sent, with ipykernel 6
    there are no subshells.
    """
    route = getattr(comm, "_reply_subshell_for", None)
    if route is None:
        return False

    def where_sent(data: Any, default: Any) -> Any:
        route(data, default)  # its own bookkeeping (replies it waits for), then our answer
        return default

    comm._reply_subshell_for = where_sent
    return True


def _window(content: dict[str, Any]) -> tuple[float | None, float | None]:
    low, high = content.get("low"), content.get("high")
    if low is None and high is None:
        return None, None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (low, high)):
        raise ValueError(f"a zoom window needs two finite numbers, got {low!r}, {high!r}")
    if not low < high:  # type: ignore[operator]
        raise ValueError(f"a zoom window needs low < high, got {low!r}, {high!r}")
    return float(low), float(high)  # type: ignore[arg-type]


class ChartControls(anywidget.AnyWidget):
    """The toolbar and pointer handling of one chart; ``meta`` tells the front end what is where.

    ``meta`` holds the model ids of the figure, its x scale, each y axis and scale
    and each line's mark, the units for hover labels, and which axes are log, so the
    front end can find them with ``widget_manager.get_model``. It changes only when
    the chart's layout does (a new line or axis, auto x switching to minutes).
    """

    meta = traitlets.Dict().tag(sync=True)
    """See the class docstring; built by interact.chart_meta."""

    def __init__(self, actions: Actions, meta: dict[str, Any]) -> None:
        self._esm = read_bundle(_BUNDLE, "chart controls")
        super().__init__(meta=meta, layout={"width": "100%"})
        self._actions = actions
        self.subshell_ready = listen_where_sent(self.comm)
        """Whether incoming messages stay on the subshell the front end sent them to."""
        self.on_msg(self._receive)

    def __repr__(self) -> str:
        return f"ChartControls({self.meta.get('title', '')!r})"

    def _receive(self, _: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("seq"), int):
            return
        seq = content["seq"]
        self.send({"kind": "ack", "seq": seq})
        try:
            if content.get("kind") == "zoom":
                self._actions.zoom(*_window(content))
                self.send({"kind": "zoomed", "seq": seq})
            elif content.get("kind") == "csv":
                self._send_csv(seq)
        except Exception as error:  # a request that fails is reported where it was made
            warn(f"cellflux: a chart request failed ({error!r})", 2)
            self.send({"kind": "error", "seq": seq, "message": f"{type(error).__name__}: {error}"})

    def _send_csv(self, seq: int) -> None:
        name, chunks = self._actions.csv()
        pending = next(chunks, b"")
        for chunk in chunks:
            self.send({"kind": "csv", "seq": seq, "name": name, "last": False}, buffers=[pending])
            pending = chunk
        self.send({"kind": "csv", "seq": seq, "name": name, "last": True}, buffers=[pending])
