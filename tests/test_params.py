"""Hyperparameters: flattened on the execution, stored with it, shown under its board as text."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import comm
import numpy as np
import pytest

import cellflux as cf
from cellflux.display.board_sink import BoardSink
from cellflux.display.saved_board import static_bundle
from cellflux.display.params_table import params_html
from cellflux.display.replay import board_for
from cellflux.display.ticker import Budget, Ticker
from cellflux.params import flatten
from cellflux.runtime import Runtime, use_runtime
from cellflux.store.sink import StoreSink
from cellflux.store.sqlite import SQLiteStore

from .conftest import FakeClock
from .fakes import Screen
from .recording_comm import RecordingComm, updates

HOSTILE = '<img src=x onerror="alert(1)">&amp;'


def test_flatten_keeps_scalars_and_writes_the_rest_as_text() -> None:
    class Opt:
        def __str__(self) -> str:
            return "Adam(lr=0.1)"

    table = flatten({
        "model": {"layers": 2, "act": "relu"}, "lr": np.float32(0.5), "steps": np.int64(3),
        "tags": ["a", "b"], "opt": Opt(), "ok": True, "none": None, "nan": float("nan"), "empty": {},
    })
    assert table == {
        "model.layers": 2, "model.act": "relu", "lr": 0.5, "steps": 3, "tags": "['a', 'b']",
        "opt": "Adam(lr=0.1)", "ok": True, "none": None, "nan": "nan", "empty": "{}",
    }
    assert type(table["steps"]) is int


def test_set_params_merges_and_checks(rt: Runtime) -> None:
    exe = cf.current_execution()
    exe.set_params({"lr": 0.1, "batch": 32})
    exe.set_params({"lr": 0.01})
    assert exe.params == {"lr": 0.01, "batch": 32}
    with pytest.raises(TypeError, match="expected a mapping"):
        exe.set_params([("lr", 1)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not valid Unicode"):
        exe.set_params({"x": "\udcff"})


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[tuple[Runtime, StoreSink]]:
    rt = Runtime(flusher_thread=False)
    sink = StoreSink(SQLiteStore(tmp_path / "m.sqlite"))
    rt.add_sink(sink)
    with use_runtime(rt):
        yield rt, sink
    sink.close()


def test_params_round_trip_through_the_store(stored: tuple[Runtime, StoreSink], tmp_path: Path) -> None:
    rt, sink = stored
    with cf.run("fit", params={"lr": 1e-3, "opt": {"name": HOSTILE}, "flag": False, "n": None}) as exe:
        cf.Metric("loss").record(1.0, at=1)
        exe.set_params({"lr": 2e-3})
    rt.flush()
    back = cf.stored_execution(exe.id, tmp_path / "m.sqlite")
    assert back.params == {"lr": 2e-3, "opt.name": HOSTILE, "flag": False, "n": None}
    assert back.status == "succeeded"


def test_a_version_1_store_gains_the_params_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    from cellflux.store import schema

    for statement in schema.TABLES[:-1]:  # the tables of format 1: all but params
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO executions VALUES ('e1', NULL, 'old', 'task', 'succeeded', 1.0, 2.0, 1)")
    conn.commit()
    conn.close()
    old = cf.stored_execution("e1", path)
    assert old.params == {} and old.name == "old"
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION


def test_params_table_is_escaped_text_under_the_live_board(
    rt: Runtime, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(**kw))
    RecordingComm.log.clear()
    scr = Screen()
    sink = BoardSink(rt, display=scr.display, update=scr.update, ticker=Ticker(Budget(clock=clock), thread=False))
    rt.add_sink(sink)
    with cf.run("fit", params={HOSTILE: HOSTILE, "lr": 0.001}) as exe:
        cf.Metric("loss").record(1.0, at=1)
        board = sink.boards[exe.id]
        board.tick(1 << 30)
        assert board.params.widget is not None and board.box.children[-1] is board.params.widget
        mark = len(RecordingComm.log)
        exe.set_params({"epochs": 3})
        board.tick(1 << 30)
    sent = [state["value"] for _, state in updates(mark) if "cellflux-params" in str(state.get("value", ""))]
    assert sent and "epochs" in sent[0]
    values = [str(d.get("state", {}).get("value", "")) for _, _, d in RecordingComm.log]
    tables = [v for v in values if "cellflux-params" in v]
    assert tables and all("<img" not in v for v in tables) and any("&lt;img" in v for v in tables)
    final = dict(scr.updated)[1]
    assert "cellflux-params" in final["text/html"] and "<img src=x" not in final["text/html"]
    assert "hyperparameters: " in final["text/plain"] and "lr=0.001" in final["text/plain"]


def test_stored_board_shows_the_params(stored: tuple[Runtime, StoreSink], tmp_path: Path) -> None:
    rt, _ = stored
    with cf.run("fit", params={"max_depth": 3}) as exe:
        cf.Metric("loss").record(1.0, at=1)
    rt.flush()
    board = board_for([exe.id], tmp_path / "m.sqlite")
    html = static_bundle(board.execution, board.series)["text/html"]
    assert "max_depth" in html and params_html({}) == ""
