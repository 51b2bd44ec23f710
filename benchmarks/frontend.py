"""A stand-in for the Jupyter front end that counts what a kernel would send it.

Every widget comm message, display message and stdout write is packed into a
Jupyter message with ``jupyter_client``'s ``Session`` (as ipykernel does, in the
sending thread) and counted: messages, bytes on the wire (envelope, JSON content
and binary buffers), and when. Widgets talk through :class:`RecordingComm`
(swapped in for ``comm.create_comm``, as ``tests/recording_comm.py`` does),
``IPython.display`` through :class:`WireDisplay` on an ``InteractiveShell``,
and stdout through :class:`WireStream`, which batches like ipykernel's
``OutStream`` (one ``stream`` message per 0.2 s at most).
"""

from __future__ import annotations

import io
import sys
import threading
import time
from collections import Counter
from typing import Any

from comm.base_comm import BaseComm
from IPython.core.displaypub import DisplayPublisher
from jupyter_client.session import Session

IOPUB_LIMIT = 1000.0
"""Jupyter server's default ``iopub_msg_rate_limit`` (messages/s over a 3 s window)."""


class Wire:
    """Counts messages and bytes sent to the front end, from any thread."""

    def __init__(self) -> None:
        self.session = Session(key=b"")
        self.times: list[float] = []
        self.sizes: list[int] = []
        self.kinds: Counter[str] = Counter()
        self._lock = threading.Lock()

    def send(self, msg_type: str, content: dict[str, Any], buffers: Any = None) -> None:
        msg = self.session.msg(msg_type, content)
        size = sum(len(frame) for frame in self.session.serialize(msg))
        size += sum(memoryview(b).nbytes for b in buffers or ())
        with self._lock:
            self.times.append(time.perf_counter())
            self.sizes.append(size)
            self.kinds[msg_type] += 1

    def count(self, start: float, stop: float) -> tuple[int, int]:
        """Messages and bytes sent in ``[start, stop)`` (perf_counter seconds)."""
        with self._lock:
            pairs = [(t, s) for t, s in zip(self.times, self.sizes) if start <= t < stop]
        return len(pairs), sum(s for _, s in pairs)

    def peak_rate(self, window: float = 3.0) -> float:
        """The highest message rate over any ``window`` seconds (the server's limit is per 3 s)."""
        with self._lock:
            times = list(self.times)
        if not times:
            return 0.0
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while times[lo] < t - window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best / max(min(window, times[-1] - times[0]), 1e-3)


WIRE = Wire()


class RecordingComm(BaseComm):
    """A comm whose messages go to :data:`WIRE` instead of a kernel's IOPub socket."""

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        content = dict(data=data or {}, comm_id=self.comm_id, **keys)
        WIRE.send(msg_type, content, buffers)


class WireDisplay(DisplayPublisher):
    """IPython's display publisher, sending display messages to :data:`WIRE`."""

    def publish(
        self, data: Any, metadata: Any = None, source: Any = None, *, transient: Any = None,
        update: bool = False, **kwargs: Any,
    ) -> None:
        content = {"data": data, "metadata": metadata or {}, "transient": transient or {}}
        WIRE.send("update_display_data" if update else "display_data", content)

    def clear_output(self, wait: bool = False) -> None:
        WIRE.send("clear_output", {"wait": wait})


class WireStream(io.TextIOBase):
    """stdout as a kernel sends it: text gathered and sent at most every 0.2 s."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self._parts: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wire-stdout", daemon=True)
        self._thread.start()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            text, self._parts = "".join(self._parts), []
        if text:
            WIRE.send("stream", {"name": "stdout", "text": text})

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        self.flush()


def install(*, matplotlib: bool = False) -> Any:
    """Route comms, displays and stdout to :data:`WIRE`; returns the IPython shell.

    ``matplotlib``: also turn on the inline backend, so ``plt.show()`` sends PNGs.
    """
    import comm
    from IPython.core.interactiveshell import InteractiveShell

    comm.create_comm = lambda **kw: RecordingComm(**kw)
    shell = InteractiveShell.instance()
    shell.display_pub = WireDisplay(shell=shell)
    if matplotlib:  # what %matplotlib inline does, without a GUI event loop to enable
        import matplotlib as mpl
        from IPython.core.pylabtools import select_figure_formats

        mpl.use("module://matplotlib_inline.backend_inline")
        select_figure_formats(shell, {"png"})
    sys.stdout = WireStream()
    return shell


def summary(start: float, stop: float) -> dict[str, Any]:
    """What went to the front end in ``[start, stop)``, and in all."""
    n, size = WIRE.count(start, stop)
    seconds = stop - start
    total_n, total_bytes = len(WIRE.sizes), sum(WIRE.sizes)
    return {
        "messages_per_s": n / seconds,
        "bytes_per_s": size / seconds,
        "peak_messages_per_s": WIRE.peak_rate(),
        "messages_total": total_n,
        "bytes_total": total_bytes,
        "kinds": dict(WIRE.kinds),
    }


def cellflux_board() -> Any:
    """cellflux's live board on this front end, refreshed by a real ticker thread, as in a kernel."""
    from IPython.display import display

    from cellflux.display.board_sink import BoardSink
    from cellflux.display.ticker import Ticker
    from cellflux.runtime import get_runtime

    rt = get_runtime()
    sink = BoardSink(
        rt,
        display=lambda bundle, parent: display(bundle, raw=True, display_id=True),
        update=lambda bundle, handle: handle.update(bundle, raw=True),
        ticker=Ticker(),
    )
    rt.add_sink(sink)
    return sink
