"""show() and watch(): boards for stored executions, overlays, and following another process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import comm
import pytest

import cellflux as cf
from cellflux.display.replay import Watcher, board_for, show
from cellflux.display.ticker import Ticker
from cellflux.runtime import Runtime, use_runtime
from cellflux.store.read import stored_execution

from .recording_comm import RecordingComm


@pytest.fixture(autouse=True)
def recording(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(**kw))


def run_and_store(path: Path, scale: float) -> str:
    with use_runtime(Runtime()) as rt:
        cf.configure(store=str(path))
        try:
            @cf.task("train")
            def train() -> str:
                m = cf.Metric("loss", group="training", throttle=None)
                for i in range(500):
                    m.record(scale / (i + 1), at=i)
                for _ in cf.progress(range(4), key="epoch", group="training"):
                    pass
                return cf.current_execution().id

            exe_id = train()
            cf.flush()
        finally:
            rt.close()
            cf.configure(store=":memory:")
    return exe_id


def test_show_redraws_a_stored_execution_like_the_live_board(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    exe_id = run_and_store(store, 1.0)
    board = board_for([exe_id], str(store))
    board.finish()
    (chart,) = board.charts
    assert chart.lines["loss"].mark.y[-1] == pytest.approx(1 / 500)
    assert chart.lines["loss"].count == 500
    (spec, bars), = board.bars
    assert bars.labels == ["epoch"] and bars.states == ["done"]


def test_show_overlays_runs_with_one_colour_each_on_a_shared_axis(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    ids = [run_and_store(store, 1.0), run_and_store(store, 2.0)]
    board = board_for(ids, str(store))
    board.finish()
    (chart,) = board.charts
    assert len(chart.lines) == 2 and len(chart.y_axes) == 1
    colours = {line.mark.colors[0] for line in chart.lines.values()}
    assert len(colours) == 2
    finals = sorted(line.mark.y[-1] for line in chart.lines.values())
    assert finals == pytest.approx([1 / 500, 2 / 500])


def test_show_in_a_plain_script_prints_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.sqlite"
    exe_id = run_and_store(store, 1.0)
    show(exe_id, str(store))
    out = capsys.readouterr().out
    assert out.startswith("train · succeeded") and "4/4 (done)" in out


WRITER = textwrap.dedent(
    """
    import sys, time
    import cellflux as cf
    cf.configure(store=sys.argv[1])
    go = sys.argv[2]

    @cf.task("remote")
    def remote():
        m = cf.Metric("signal", throttle=None)
        for i in range(30):
            m.record(float(i), at=i)
            cf.flush()
            while not __import__("os").path.exists(go + str(i)):
                time.sleep(0.01)
    remote()
    cf.flush()
    """
)


def test_watch_follows_another_process_incrementally(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    go = str(tmp_path / "go")
    proc = subprocess.Popen([sys.executable, str(script), str(store), go], env=dict(os.environ))
    try:
        import time

        shown: list[dict[str, Any]] = []
        updated: list[dict[str, Any]] = []
        for _ in range(500):
            runs = cf.executions(store=str(store)) if store.exists() else []
            if runs and runs[0].status == "running" and "signal" in runs[0].metrics:
                break
            time.sleep(0.02)
        watcher = Watcher(stored_execution(runs[0].id, str(store)), lambda b, p: shown.append(b) or len(shown),
                          lambda b, h: updated.append(b), Ticker(thread=False))
        watcher.start(thread=False)
        seen = []
        for i in range(30):
            Path(go + str(i)).touch()
            for _ in range(200):  # the writer flushed point i+1 (or ended)
                before = watcher.cursor
                running = watcher.poll()
                if watcher.cursor != before or not running:
                    break
                time.sleep(0.01)
            seen.append(len(watcher.series["signal"]))
        proc.wait(30)
        while watcher.poll():
            time.sleep(0.01)
        watcher.finish()
        assert len(watcher.series["signal"]) == 30
        assert seen == sorted(seen) and seen[0] < 30  # grew step by step, no re-reads
        x, y = watcher.series["signal"].read()
        assert list(y) == [float(i) for i in range(30)]
        assert len(shown) == 2 and len(updated) == 2 and "remote · succeeded" in updated[1]["text/plain"]
    finally:
        proc.kill()
