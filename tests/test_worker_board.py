"""Points recorded by worker processes (cf.attach) show on the parent's live board."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import comm
import pytest

import cellflux as cf
from cellflux.display.board import Board
from cellflux.display.board_sink import BoardSink
from cellflux.display.ticker import Ticker
from cellflux.runtime import Runtime, use_runtime

from .recording_comm import RecordingComm


def work(handle: Any, base: float) -> None:
    with cf.attach(handle):
        m = cf.Metric("worker_loss", throttle=None)
        for i in range(50):
            m.record(base + i, at=i)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_points_reach_the_parent_board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(**kw))
    rt = Runtime()
    with use_runtime(rt):
        cf.configure(store=str(tmp_path / "s.sqlite"))
        try:
            sink = BoardSink(rt, display=lambda b, p: None, update=lambda b, h: None, ticker=Ticker(thread=False))
            rt.add_sink(sink)
            boards: list[Board] = []

            @cf.task("parent")
            def parent() -> None:
                cf.Metric("parent_loss").record(1.0)
                boards.append(sink.boards[cf.current_execution().id])
                ctx = multiprocessing.get_context(method)
                p = ctx.Process(target=work, args=(cf.current_execution(), 100.0))
                p.start()
                p.join(60)
                assert p.exitcode == 0

            parent()
            board = boards[0]
            assert "worker_loss" in board.series
            x, y = board.series["worker_loss"].read()
            assert y.tolist() == [100.0 + i for i in range(50)]
            line = next(c for c in board.charts if "worker_loss" in c.lines).lines["worker_loss"]
            assert line.mark.y[-1] == 149.0
        finally:
            rt.close()
            cf.configure(store=":memory:")
