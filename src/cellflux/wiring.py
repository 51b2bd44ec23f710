"""Where the store and the boards plug into the runtime.

The core knows its consumers only through the sink interface (sink.py). This
module, imported by the package's ``__init__``, hands the runtime the factories
of its default sinks: the store writer, the live board (in a Jupyter kernel)
and the terminal progress line (on a TTY). Each reads the settings (config.py)
when the runtime makes it; ``configure()`` changes the settings and has the
running runtime make its default sinks again.
"""

from __future__ import annotations

from typing import Any

from . import config
from .runtime import Runtime, current_runtime, set_default_sinks
from .sink import Sink
from .store.sink import make_sink as store_sink


def board_sink(runtime: Runtime) -> Sink | None:
    # Imported when the first runtime is made, not with the package: the widget
    # libraries take a while to import, and scripts never need them.
    from .display.board_sink import make_sink

    return make_sink(runtime)


def text_sink(runtime: Runtime) -> Sink | None:
    from .display.text import make_text_sink

    return make_text_sink(runtime)


set_default_sinks(store_sink, board_sink, text_sink)


def configure(
    *,
    store: Any = config.UNSET,
    display: Any = config.UNSET,
    chart_height: Any = config.UNSET,
    controls: Any = config.UNSET,
) -> None:
    """Choose the store (a path, ``":memory:"``, or ``False`` for none) and display.

    ``chart_height`` is the height in pixels of a chart whose ``MetricGroup`` sets
    none (260 by default); ``controls=False`` draws charts without their controls
    (zoom, log scale, smoothing, save) and hover labels.

    In a running process, what was recorded so far is flushed to the sinks in
    use, and the default sinks are made again with the new settings.

    >>> configure(store=":memory:", display=False)
    """
    config.update(store=store, display=display, chart_height=chart_height, controls=controls)
    runtime = current_runtime()
    if runtime is not None:
        runtime.reconfigure()
