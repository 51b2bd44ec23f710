"""W1 progress: per-item overhead of a progress bar over a bare loop of ``n`` items.

Each job times the bare loop and the wrapped loop alternately, ``repeats``
times, and reports the difference of the medians per item. Notebook front ends
(tqdm.notebook, fastprogress, cellflux's board) send to a recorded front end.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import frontend
from .harness import Tool

Wrap = Callable[[range], Iterable[int]]
BOARD = "cellflux.progress + live board"


def tools(quick: bool) -> list[Tool]:
    p = {"n": 200_000 if quick else 1_000_000, "repeats": 3}
    return [
        Tool("cellflux.progress", "w1_progress", "cellflux_plain", ("cellflux",), p,
             "store on, no display (a script)"),
        Tool(BOARD, "w1_progress", "cellflux_board", ("cellflux",), p,
             "store on, board on a recorded front end, real ticker thread"),
        Tool("tqdm (std, to a null file)", "w1_progress", "tqdm_std", ("tqdm",), p),
        Tool("tqdm.notebook", "w1_progress", "tqdm_notebook", ("tqdm", "ipywidgets"), p,
             "widget on a recorded front end", ref=BOARD),
        Tool("fastprogress (NBProgressBar)", "w1_progress", "fastprogress_nb", ("fastprogress",), p,
             "HTML display updates on a recorded front end", ref=BOARD),
    ]


def _bare(n: int) -> None:
    for _ in range(n):
        pass


def _measure(wrap: Wrap, n: int, repeats: int) -> dict[str, Any]:
    def loop(n: int) -> None:
        for _ in wrap(range(n)):
            pass

    loop(1000)  # first-use costs (imports, threads, widgets) are not per item
    bare, wrapped = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        _bare(n)
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        loop(n)
        wrapped.append(time.perf_counter() - t)
    b, w = statistics.median(bare), statistics.median(wrapped)
    return {"overhead_ns": (w - b) / n * 1e9, "bare_ns": b / n * 1e9, "loop_ns": w / n * 1e9}


def _cellflux(params: dict[str, Any]) -> Any:
    import cellflux as cf

    cf.configure(store=str(Path(params["workdir"]) / "store.sqlite"))
    return cf


def cellflux_plain(params: dict[str, Any]) -> dict[str, Any]:
    cf = _cellflux(params)
    result = _measure(lambda it: cf.progress(it, key="progress"), params["n"], params["repeats"])
    cf.flush()
    return result


def cellflux_board(params: dict[str, Any]) -> dict[str, Any]:
    frontend.install()
    cf = _cellflux(params)
    frontend.cellflux_board()
    start = time.perf_counter()
    result = _measure(lambda it: cf.progress(it, key="progress"), params["n"], params["repeats"])
    cf.flush()
    return {**result, **_sent(start)}


def tqdm_std(params: dict[str, Any]) -> dict[str, Any]:
    from tqdm import tqdm

    with open(os.devnull, "w") as null:
        return _measure(lambda it: tqdm(it, file=null), params["n"], params["repeats"])


def tqdm_notebook(params: dict[str, Any]) -> dict[str, Any]:
    frontend.install()
    from tqdm.notebook import tqdm

    start = time.perf_counter()
    result = _measure(lambda it: tqdm(it), params["n"], params["repeats"])
    return {**result, **_sent(start)}


def fastprogress_nb(params: dict[str, Any]) -> dict[str, Any]:
    frontend.install()
    from fastprogress.fastprogress import NBProgressBar

    start = time.perf_counter()
    result = _measure(lambda it: NBProgressBar(it), params["n"], params["repeats"])
    return {**result, **_sent(start)}


def _sent(start: float) -> dict[str, Any]:
    sent = frontend.summary(start, time.perf_counter())
    return {"messages_per_s": sent["messages_per_s"], "bytes_per_s": sent["bytes_per_s"]}
