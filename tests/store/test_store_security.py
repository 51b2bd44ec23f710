"""PostgreSQL credentials: never shown anywhere, taken where libpq users expect them; and the
README's read-only role, which can watch and read but not write."""

from __future__ import annotations

import os
import pickle
import re
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import psycopg
import pytest

import cellflux as cf
from cellflux import config
from cellflux.display.replay import watch
from cellflux.display.ticker import Ticker
from cellflux.store import StoreError
from cellflux.store.locate import store_at
from cellflux.store.records import Batch, ExecutionRecord, PointRun

from ..postgres import SECRET, SECRET_ROLE, database_of, with_user
from .conftest import MakeRuntime, run_task

REPO = Path(__file__).resolve().parents[2]
WRONG = "wr0ng-p4ss/@x"


def _spellings(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), quote(secret)]


def _assert_hidden(text: str, secret: str = SECRET) -> None:
    for spelling in _spellings(secret):
        assert spelling not in text, f"{spelling!r} shown in: {text[:300]!r}"


class _Screen:
    """Collects every bundle a watcher displays, as text."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def display(self, bundle: dict[str, Any], parent: Any) -> int:
        self.texts.append(repr(bundle))
        return len(self.texts)

    def update(self, bundle: dict[str, Any], handle: Any) -> None:
        self.texts.append(repr(bundle))


def test_a_password_in_the_url_is_never_shown(
    pg_url: str, make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = with_user(pg_url, SECRET_ROLE, SECRET)
    rt, sink = make_runtime(url)
    shown: list[str] = [repr(sink), repr(sink.store), sink.store.path]
    metric = cf.Metric("loss", throttle=None)

    def body() -> None:
        for i in range(100):
            metric.record(float(i), at=i)
        handle = pickle.loads(pickle.dumps(cf.current_execution()))
        assert handle.store == url  # the worker gets what it needs to connect...
        shown.extend([repr(handle), str(handle)])  # ...and shows it masked
        report = cf.flush()
        assert report, report  # the password was right: everything is stored
        shown.append(repr(report))

    exe = run_task("secret run", body)
    monkeypatch.setattr(config, "settings", config.Settings())
    cf.configure(store=url)
    shown.append(repr(config.settings))
    (run,) = cf.executions(url)
    assert run.id == exe.id and len(run.series("loss")[0]) == 100
    shown += [repr(run), repr(run.store), repr(run.parts)]
    screen = _Screen()
    watcher = watch(run.id, store=url, display=screen.display, update=screen.update, ticker=Ticker(thread=False))
    watcher.poll()
    watcher.finish()
    shown += screen.texts
    assert any("secret run" in text for text in screen.texts)
    for text in shown:
        _assert_hidden(text)
    assert "***" in sink.store.path
    # Nor is it in the store.
    with psycopg.connect(pg_url) as conn:
        for table in ("executions", "metrics", "points", "batches", "meta"):
            rows = conn.execute(f"SELECT * FROM cellflux.{table}").fetchall()
            _assert_hidden(repr(rows))


def _errors_of(fn: Any) -> str:
    try:
        fn()
    except Exception as error:
        assert isinstance(error, StoreError), error
        assert error.__cause__ is None and error.__suppress_context__  # psycopg's error is not chained
        return "".join(traceback.format_exception(error))
    raise AssertionError("no error")


def test_errors_and_warnings_never_show_the_password(pg_url: str, make_runtime: MakeRuntime,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = with_user(pg_url, SECRET_ROLE, WRONG)
    text = _errors_of(lambda: cf.executions(wrong))
    assert "password authentication failed" in text
    _assert_hidden(text, WRONG)
    # psycopg quotes the connection string when it cannot parse it.
    spaced = wrong.replace(quote(WRONG, safe=""), "wr0ng p4ss")
    text = _errors_of(lambda: cf.executions(spaced))
    assert "spaces" in text
    _assert_hidden(text, "wr0ng p4ss")
    _assert_hidden(text, "p4ss")
    monkeypatch.setenv("PGPASSWORD", WRONG)
    text = _errors_of(lambda: cf.executions(with_user(pg_url, SECRET_ROLE)))
    _assert_hidden(text, WRONG)
    monkeypatch.delenv("PGPASSWORD")

    rt, sink = make_runtime(wrong, interval=3600.0)
    sink.flush_wait = 0.2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report: list[cf.Flushed] = []
        run_task("refused", lambda: (cf.Metric("m", throttle=None).record(1.0, at=0), report.append(cf.flush())))
    messages = [str(w.message) for w in caught]
    assert any("password authentication failed" in m for m in messages), messages
    assert not report[0] and report[0].pending == 1
    for text in [*messages, repr(report[0])]:
        _assert_hidden(text, WRONG)


def test_credentials_from_pgpassword_and_pgpass(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare = with_user(pg_url, SECRET_ROLE)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    assert "no password supplied" in _errors_of(lambda: cf.executions(bare))
    monkeypatch.setenv("PGPASSWORD", SECRET)
    assert cf.executions(bare) == []
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    escaped = SECRET.replace("\\", "\\\\").replace(":", "\\:")
    pgpass.write_text(f"*:*:*:{SECRET_ROLE}:{escaped}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert cf.executions(bare) == []


@pytest.fixture
def watcher_role(pg_url: str) -> Iterator[tuple[str, str]]:
    """The README's read-only role, made with the README's statements: (its URL, the owner's URL)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sql\n(CREATE ROLE watcher.*?)```", readme, re.DOTALL)
    assert block is not None, "the README has no read-only role block"
    role = f"watcher_{os.getpid()}"
    statements = (block.group(1).replace("watcher", role).replace("DATABASE metrics", f"DATABASE {database_of(pg_url)}")
                  .replace("FOR ROLE ml", "FOR ROLE cellflux"))
    # The owner's first run creates the schema; then the grants.
    owner = store_at(pg_url)
    owner.write(Batch(executions=[ExecutionRecord("first", "train", "task", None, "running", 1.0, None, 1)]))
    owner.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for statement in statements.split(";"):
            if statement.strip():
                conn.execute(statement)  # type: ignore[call-overload]
    try:
        yield with_user(pg_url, role), pg_url
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")  # type: ignore[call-overload]
            conn.execute(f"DROP ROLE {role}")  # type: ignore[call-overload]


def test_a_read_only_role_watches_but_cannot_write(watcher_role: tuple[str, str], make_runtime: MakeRuntime) -> None:
    readonly, owner_url = watcher_role
    owner = store_at(owner_url)

    def points(seq: int, values: list[float]) -> Batch:
        run = PointRun("first", "loss", np.arange(len(values), dtype=float) + seq * 10, np.array(values))
        return Batch(points=[run], writer="owner", seq=seq, host="h")

    owner.write(points(1, [1.0, 2.0]))
    (run,) = cf.executions(readonly)
    assert run.id == "first" and run.series("loss")[1].tolist() == [1.0, 2.0]
    screen = _Screen()
    watcher = watch(name="train", store=readonly, display=screen.display, update=screen.update,
                    ticker=Ticker(thread=False))
    watcher.poll()
    changes = run.store.changes(["first"])
    listener = getattr(changes, "listener")
    assert listener.listening.wait(30)  # LISTEN needs no privilege
    owner.write(points(2, [3.0]))
    assert changes.wait(30)  # woken by the owner's commit
    watcher.poll()
    assert watcher.series["loss"].read()[1].tolist() == [1.0, 2.0, 3.0]
    changes.close()
    watcher.stop()
    owner.close()

    with pytest.raises(StoreError, match="may not write this store") as info:
        store_at(readonly).write(points(3, [9.0]))
    assert "permission denied" in str(info.value)
    rt, sink = make_runtime(readonly, interval=3600.0)
    sink.flush_wait = 0.2
    with pytest.warns(cf.CellfluxWarning, match="may not write this store"):
        run_task("not allowed", lambda: cf.Metric("m", throttle=None).record(1.0, at=0))
        assert not cf.flush()
    assert [r.name for r in cf.executions(owner_url)] == ["train"]
