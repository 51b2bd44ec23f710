"""What goes into the store comes back out: definitions, points, executions, queries."""

from __future__ import annotations

import contextlib
import math
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import cellflux as cf
from cellflux.display.layout import layout
from cellflux.store import SQLiteStore, StoreError
from cellflux.store.sink import make_sink

from .backends import Backend
from .conftest import MakeRuntime, run_task


def test_definitions_points_and_status_round_trip(backend: Backend, make_runtime: MakeRuntime) -> None:
    make_runtime(backend.where)
    group = cf.MetricGroup("training", units="epoch", lower=0, upper=50)
    scale = cf.MetricScale("loss", units="nats", lower=-1.5, upper=9)
    loss = cf.Metric("loss", group=group, scale=scale, throttle=None)
    acc = cf.Metric("acc", group="training", scale=cf.MetricScale(units="%"), throttle=None)
    plain = cf.Metric("plain", throttle=None)
    values = [0.5, math.nan, math.inf, -math.inf, -0.0, 1e-300, 1.7976931348623157e308]

    def body() -> None:
        for i, v in enumerate(values):
            loss.record(v, at=i)
        acc.record(99.5, at=1)
        plain.record(3.0)
        for _ in cf.progress(range(4), key="epochs", group=group):
            pass

    def failing() -> None:
        cf.Metric("stopped", throttle=None).record(1.0, at=0)
        for i in cf.progress(range(10), key="bar"):
            if i == 3:
                raise RuntimeError("boom")

    with pytest.warns(cf.CellfluxWarning, match="non-finite"):
        exe = run_task("train", body)
    with pytest.raises(RuntimeError):
        run_task("crash", failing)
    cf.flush()

    # A fresh connection, as after a kernel restart.
    runs = cf.executions(backend.store())
    assert [r.name for r in runs] == ["crash", "train"]
    crash, train = runs
    assert train.id == exe.id and train.kind == "task" and train.parent is None
    assert train.status == "succeeded" and crash.status == "failed"
    assert train.started_at == pytest.approx(exe.started_at)
    assert train.ended_at == pytest.approx(exe.ended_at)
    assert list(train.metrics) == ["loss", "acc", "plain", "epochs"]
    m = train.metrics["loss"]
    assert (m.key, m.group, m.scale, m.x_auto, m.state) == ("loss", group, scale, False, None)
    assert train.metrics["acc"].group == group  # merged with the first definition, as live
    assert train.metrics["acc"].scale == cf.MetricScale(units="%")
    assert train.metrics["plain"].scale is None and train.metrics["plain"].x_auto is True
    bar = train.metrics["epochs"]
    assert bar.scale == cf.MetricScale(progress=True, lower=0, upper=4) and bar.state == "done"
    assert crash.metrics["bar"].state == "failed"
    # A stored execution is laid out exactly like the live one.
    assert layout(train.metrics.values()) == layout(exe.buffers.values())

    x, y = train.series("loss")
    assert x.dtype == np.float64 and x.tolist() == list(range(len(values)))
    # Bit-exact: NaN stays NaN, -0.0 keeps its sign, infinities stay infinite.
    assert y.tobytes() == np.array(values, dtype=np.float64).tobytes()
    assert train.series("epochs")[1][-1] == 4.0
    with pytest.raises(KeyError, match="nope"):
        train.series("nope")

    frame = train.to_pandas()
    assert list(frame.columns) == ["execution", "key", "x", "value"]
    assert set(frame["execution"]) == {exe.id}
    assert frame[frame["key"] == "loss"]["value"].isna().sum() == 1
    assert len(frame) == sum(len(train.series(k)[0]) for k in train.metrics)


def test_a_fresh_process_reads_the_file(backend: Backend, make_runtime: MakeRuntime) -> None:
    make_runtime(backend.where)
    key = cf.Metric("k", throttle=None)

    def body() -> None:
        for i, v in enumerate((1.0, 2.0, math.nan)):
            key.record(v, at=i + 1)

    with pytest.warns(cf.CellfluxWarning):
        run_task("saved", body)
    cf.flush()
    code = (
        "import sys, cellflux as cf\n"
        "e = cf.executions(sys.argv[1])[0]\n"
        "x, y = e.series('k')\n"
        "print(e.name, e.status, x.tolist(), y.tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code, backend.where], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "saved succeeded [1.0, 2.0, 3.0] [1.0, 2.0, nan]"


def test_newest_first_name_filter_limit_and_lookup_by_id(backend: Backend, make_runtime: MakeRuntime) -> None:
    make_runtime(backend.where)
    store_path = backend.where
    exes = []
    for name in ["a", "b", "a", "c", "a"]:
        exes.append(run_task(name, lambda: cf.Metric("m", throttle=None).record(1.0, at=0)))
        time.sleep(0.002)  # distinct start times
    ids = [e.id for e in reversed(exes)]
    assert [r.id for r in cf.executions(store_path)] == ids
    assert [r.id for r in cf.executions(store_path, name="a")] == [exes[4].id, exes[2].id, exes[0].id]
    assert [r.id for r in cf.executions(store_path, limit=2)] == ids[:2]
    assert [r.id for r in cf.executions(store_path, name="a", limit=1)] == [exes[4].id]
    assert cf.executions(store_path, name="zzz") == []
    assert cf.stored_execution(exes[1].id[:8], store_path).name == "b"
    with pytest.raises(LookupError, match="no execution"):
        cf.stored_execution("ffffffffffffff", store_path)
    backend.insert_execution(exes[0].id[:6] + "zzzzzz")
    with pytest.raises(LookupError, match="ambiguous"):
        cf.stored_execution(exes[0].id[:6], store_path)
    with pytest.raises(ValueError):
        cf.executions(store_path, limit=-1)


def test_hostile_keys_and_names_are_data(backend: Backend, make_runtime: MakeRuntime) -> None:
    make_runtime(backend.where)
    store_path = backend.where
    keys = [
        "'); DROP TABLE points; --",
        '<script>alert("x")</script>',
        "name with \"quotes\" and 'apostrophes'",
        "\u00e9\u4e2d\U0001f600",
        "%_",
        "%s %(x)s $1 \x00nul ? :name",
        "back\\slash \t tab \ufdd0 marker",
    ]
    group = cf.MetricGroup("'; DELETE FROM metrics; --", units="<b>u</b>")

    def body() -> None:
        for i, key in enumerate(keys):
            cf.Metric(key, group=group, scale=cf.MetricScale("' OR 1=1 --", units="&amp;"), throttle=None).record(
                float(i), at=0
            )

    run_task("<img src=x onerror=alert(1)>'--\x00", body)
    cf.flush()
    (run,) = cf.executions(store_path)
    assert run.name == "<img src=x onerror=alert(1)>'--\x00"
    assert list(run.metrics) == keys
    for i, key in enumerate(keys):
        assert run.metrics[key].group == group
        assert run.metrics[key].scale == cf.MetricScale("' OR 1=1 --", units="&amp;")
        assert run.series(key)[1].tolist() == [float(i)]
    assert cf.executions(store_path, name="' OR '1'='1") == []
    with pytest.raises(LookupError):
        cf.stored_execution("%", store_path)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"this is not a database, just text\n" * 200, "not a cellflux store"),
        (None, "SQLite database but not a cellflux store"),
        ("newer", "newer cellflux"),
    ],
)
def test_a_file_that_is_not_a_store_is_named_in_the_error(tmp_path: Path, content: object, match: str) -> None:
    path = tmp_path / "bad.sqlite"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        with sqlite3.connect(path) as conn:
            if content is None:
                conn.execute("CREATE TABLE notes (text TEXT)")
            else:
                conn.execute("PRAGMA application_id = 1667648632")
                conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match=match) as info:
        cf.executions(path)
    assert str(path) in str(info.value)


def test_reading_never_creates_a_store(backend: Backend) -> None:
    where = backend.where if backend.name == "postgresql" else str(Path(backend.where).parent / "missing" / "m.sqlite")
    assert cf.executions(where) == []
    with pytest.raises(LookupError):
        cf.stored_execution("abc", where)
    if backend.name == "sqlite":
        assert not Path(where).parent.exists()
    else:
        assert not backend.has_tables()  # type: ignore[attr-defined]


def test_default_store_is_created_under_the_working_directory_on_first_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cellflux import config
    from cellflux.runtime import Runtime, use_runtime

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CELLFLUX_STORE")
    monkeypatch.setattr(config, "settings", config.Settings())
    rt = Runtime(flusher_thread=False)
    sink = make_sink(rt)
    assert sink is not None
    assert not (tmp_path / ".cellflux").exists()  # nothing is created until a write
    rt.add_sink(sink)
    with use_runtime(rt):
        run_task("t", lambda: cf.Metric("m", throttle=None).record(1.0, at=0))
        cf.flush()
    sink.close()
    assert [e.name for e in cf.executions(tmp_path / ".cellflux" / "metrics.sqlite")] == ["t"]

    monkeypatch.setenv("CELLFLUX_STORE", "off")
    assert make_sink(rt) is None
    monkeypatch.setenv("CELLFLUX_STORE", ":memory:")
    memory = make_sink(rt)
    assert memory is not None and memory.store.path == ":memory:"


def test_configure_switches_the_store_of_a_running_process(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cellflux import config
    from cellflux.runtime import Runtime, use_runtime

    first, second = tmp_path / "first.sqlite", backend.where
    monkeypatch.setattr(config, "settings", config.Settings())
    monkeypatch.setenv("CELLFLUX_STORE", str(first))
    rt = Runtime(flusher_thread=False)
    rt.install_default_sinks()
    metric = cf.Metric("m", throttle=None)
    with use_runtime(rt):
        run_task("before", lambda: metric.record(1.0, at=0))
        cf.configure(store=second)  # flushes and closes the first store
        run_task("after", lambda: metric.record(2.0, at=0))
        cf.flush()
        assert [e.name for e in cf.executions()] == ["after"]  # this process's store: the second
        cf.configure(store=":memory:")
        run_task("in memory", lambda: metric.record(3.0, at=0))
        assert [e.name for e in cf.executions()] == ["in memory"]
        rt.close()
    assert [e.name for e in cf.executions(first)] == ["before"]
    assert [e.name for e in cf.executions(second)] == ["after"]


def test_runs_compare_on_one_board(
    backend: Backend, make_runtime: MakeRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    from cellflux.display.replay import board_for

    make_runtime(backend.where)
    loss = cf.Metric("loss", throttle=None)
    first = run_task("train", lambda: [loss.record(1.0 / (i + 1), at=i) for i in range(50)])
    second = run_task("train", lambda: [loss.record(2.0 / (i + 1), at=i) for i in range(80)])
    cf.flush()
    runs = cf.executions(backend.where, name="train")
    assert [r.id for r in runs] == [second.id, first.id]
    board = board_for(runs)
    assert sorted(board.series) == sorted(f"loss · train {e.id[:6]}" for e in (first, second))
    assert {k: len(s) for k, s in board.series.items()} == {f"loss · train {second.id[:6]}": 80,
                                                             f"loss · train {first.id[:6]}": 50}
    cf.show(runs)
    text = capsys.readouterr().out
    assert "2 runs: train, train" in text and f"loss · train {first.id[:6]}" in text
