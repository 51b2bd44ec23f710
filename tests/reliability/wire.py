"""A comm that keeps what the front end would hold: each widget's state, buffers decoded.

Unlike ``tests/recording_comm.py`` it also keeps the binary buffers (bqplot sends
line data as float64 buffers), so a test can compare the points that reached
the front end with the points of a series. ``keep_log=False`` keeps only the
latest state of each widget, for runs that send many messages.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from comm.base_comm import BaseComm


class Wire:
    """Every message sent through :class:`WireComm` objects made by this wire."""

    def __init__(self, *, keep_log: bool = True) -> None:
        self.keep_log = keep_log
        self.log: list[tuple[str, str, dict[str, Any]]] = []
        self.models: dict[str, dict[str, Any]] = {}
        """comm id -> the widget state as the front end would have it."""
        self.messages = 0
        self.lock = threading.Lock()
        self.fail_on: set[str] = set()
        """comm ids whose next sends raise (a broken transport)."""
        self.on_fail: Callable[[], None] | None = None
        """Called by the sending thread just before such a send raises."""

    def create_comm(self, **kwargs: Any) -> WireComm:
        return WireComm(wire=self, **kwargs)

    def receive(self, comm_id: str, msg_type: str, data: Any, buffers: Any) -> None:
        data = dict(data or {})
        state = data.get("state")
        if state is not None:
            state = copy.deepcopy(state)
            for path, buffer in zip(data.get("buffer_paths", []), buffers or []):
                _put(state, path, bytes(buffer))
            state = {k: _decode(v) for k, v in state.items()}
        with self.lock:
            self.messages += 1
            if self.keep_log:
                self.log.append((comm_id, msg_type, {**data, "state": state} if state is not None else data))
            if state is not None:
                self.models.setdefault(comm_id, {}).update(state)

    def model(self, widget: Any) -> dict[str, Any]:
        """The front end's state of ``widget``."""
        return self.models[widget.comm.comm_id if widget.comm is not None else widget._model_id]

    def html_values(self) -> list[str]:
        """Every value sent to a trait that the front end renders as markup.

        That is ``value`` of HTML widgets, and ``description`` of any widget that
        allows HTML in it; every other string trait is shown as text.
        """
        out = []
        for comm_id, _, data in self.log:
            state = data.get("state") or {}
            model = self.models.get(comm_id, {})
            if model.get("_model_name") in _HTML_MODELS and isinstance(state.get("value"), str):
                out.append(state["value"])
            if model.get("description_allow_html") and isinstance(state.get("description"), str):
                out.append(state["description"])
        return out


_HTML_MODELS = ("HTMLModel", "HTMLMathModel")


def _put(state: Any, path: list[Any], buffer: bytes) -> None:
    target = state
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = buffer


def _decode(value: Any) -> Any:
    """bqplot's array serialisation ({dtype, shape, value: buffer}) as a numpy array."""
    if isinstance(value, dict) and set(value) >= {"dtype", "shape", "value"} and isinstance(value["value"], bytes):
        return np.frombuffer(value["value"], dtype=value["dtype"]).reshape(value["shape"])
    return value


class WireComm(BaseComm):
    def __init__(self, *, wire: Wire, **kwargs: Any) -> None:
        self.wire = wire
        super().__init__(**kwargs)

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        if self.comm_id in self.wire.fail_on and msg_type == "comm_msg":
            if self.wire.on_fail is not None:
                self.wire.on_fail()
            raise ConnectionError(f"comm {self.comm_id} is broken")
        self.wire.receive(self.comm_id, msg_type, data, buffers)
