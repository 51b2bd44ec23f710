"""Worker processes record into the parent's execution through the store."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

import cellflux as cf
from cellflux.store import ExecutionHandle

from .backends import Backend
from .conftest import MakeRuntime, run_task


def record_in_worker(handle: ExecutionHandle, n: int, first: int) -> int:
    """A worker's task: ``n`` points of worker.loss from x = ``first``, and a progress bar.

    A store warning in the worker fails it: a forked worker inherits pytest's
    warning recorder, which would otherwise hide it.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metric = cf.Metric("worker.loss", group="workers", throttle=None)
        with cf.attach(handle) as exe:
            assert exe.id == handle.id
            for i in range(first, first + n):
                metric.record(float(i), at=i)
            for _ in cf.progress(range(3), key="worker.progress"):
                pass
    problems = [str(w.message) for w in caught if "store" in str(w.message)]
    assert not problems, problems
    return os.getpid()


def _parent_run(method: str, backend: Backend, tasks: list[tuple[int, int]]) -> tuple[cf.Execution, dict[str, object]]:
    """A parent task that hands its execution to workers, and what it read back while running."""
    seen: dict[str, object] = {}
    own = cf.Metric("parent.loss", throttle=None)

    def body() -> None:
        exe = cf.current_execution()
        own.record(1.0, at=0)
        ctx: Any = multiprocessing.get_context(method)
        if method == "spawn":
            workers = [ctx.Process(target=record_in_worker, args=(exe, n, first)) for n, first in tasks]
            for w in workers:
                w.start()
            for w in workers:
                w.join(60)
            seen["exitcodes"] = [w.exitcode for w in workers]
        else:
            with ctx.Pool(2) as pool:
                seen["pids"] = pool.starmap(record_in_worker, [(exe, n, first) for n, first in tasks])
        own.record(2.0, at=1)
        cf.flush()
        # What the parent's live board will do: read the workers' points only.
        store = backend.store()
        batch = store.read_points(exe.id, exclude_pid=os.getpid())
        seen["keys"] = sorted(batch.series)
        seen["worker_points"] = sorted(batch.series["worker.loss"][1].tolist())
        seen["row_while_running"] = store.read_execution(exe.id)

    return run_task("parent", body), seen


def _check_parent_row(backend: Backend, exe: cf.Execution) -> cf.StoredExecution:
    (run,) = cf.executions(backend.where)  # the workers wrote no execution of their own
    assert (run.id, run.name, run.kind, run.status, run.pid) == (exe.id, "parent", "task", "succeeded", os.getpid())
    assert run.ended_at == pytest.approx(exe.ended_at)
    return run


def test_attach_from_spawned_workers(backend: Backend, make_runtime: MakeRuntime) -> None:
    make_runtime(backend.where)
    exe, seen = _parent_run("spawn", backend, [(300, 0), (200, 1000)])
    assert seen["exitcodes"] == [0, 0]
    assert seen["keys"] == ["worker.loss", "worker.progress"]
    assert seen["worker_points"] == [float(i) for i in [*range(300), *range(1000, 1200)]]
    assert seen["row_while_running"].status == "running"  # type: ignore[attr-defined]
    run = _check_parent_row(backend, exe)
    assert run.series("parent.loss")[1].tolist() == [1.0, 2.0]
    assert len(run.series("worker.loss")[0]) == 500
    assert run.metrics["worker.loss"].group == cf.MetricGroup("workers")
    assert run.metrics["worker.progress"].state == "done"


def test_attach_from_a_forked_pool(backend: Backend, make_runtime: MakeRuntime) -> None:
    make_runtime(backend.where)
    tasks = [(100, k * 1000) for k in range(4)]
    exe, seen = _parent_run("fork", backend, tasks)
    assert os.getpid() not in seen["pids"]  # type: ignore[operator]
    assert seen["worker_points"] == [float(k * 1000 + i) for k in range(4) for i in range(100)]
    run = _check_parent_row(backend, exe)
    # The parent's points were written once, by the parent: not again by its forks.
    assert run.series("parent.loss")[1].tolist() == [1.0, 2.0]
    assert len(run.series("worker.loss")[0]) == 400


def test_a_handle_without_a_store_file_is_refused(make_runtime: MakeRuntime) -> None:
    make_runtime(":memory:")

    def body() -> None:
        handle = pickle.loads(pickle.dumps(cf.current_execution()))
        assert isinstance(handle, ExecutionHandle) and handle.store is None
        with pytest.raises(ValueError, match="no store file"):
            with cf.attach(handle):
                pass

    run_task("memory", body)


def test_attach_in_the_owning_process_records_directly(backend: Backend, make_runtime: MakeRuntime) -> None:
    make_runtime(backend.where)
    store_path = backend.where
    metric = cf.Metric("from.thread", throttle=None)
    holder: list[cf.Execution] = []

    def thread_body() -> None:
        with cf.attach(holder[0]) as exe:
            assert exe is holder[0]
            metric.record(7.0, at=0)

    def body() -> None:
        holder.append(cf.current_execution())
        t = threading.Thread(target=thread_body)
        t.start()
        t.join()

    exe = run_task("threads", body)
    cf.flush()
    assert exe.series("from.thread")[1].tolist() == [7.0]
    assert cf.stored_execution(exe.id, store_path).series("from.thread")[1].tolist() == [7.0]


def test_forks_while_the_writer_is_busy(backend: Backend, make_runtime: MakeRuntime) -> None:
    # The parent's writer commits every 5 ms while children are forked: no child
    # may inherit a connection or a lock held mid-transaction.
    rt, sink = make_runtime(backend.where, interval=0.005)
    store_path = backend.where
    busy = cf.Metric("parent.busy", throttle=None)
    stop = threading.Event()

    def body() -> None:
        exe = cf.current_execution()

        def keep_recording() -> None:
            i = 0
            while not stop.is_set():
                busy.record(float(i), at=i)
                i += 1

        recorder = threading.Thread(target=keep_recording)
        recorder.start()
        ctx = multiprocessing.get_context("fork")
        try:
            for k in range(8):
                worker = ctx.Process(target=record_in_worker, args=(exe, 50, k * 100))
                worker.start()
                worker.join(30)
                assert worker.exitcode == 0, f"worker {k} exit code {worker.exitcode}"
        finally:
            stop.set()
            recorder.join()

    exe = run_task("busy parent", body)
    cf.flush()
    run = cf.stored_execution(exe.id, store_path)
    assert sorted(run.series("worker.loss")[0].tolist()) == [float(k * 100 + i) for k in range(8) for i in range(50)]
    x, _ = run.series("parent.busy")
    assert (x == range(len(x))).all() and len(x) > 0
    assert sink.transactions > 8


def test_threads_of_a_worker_share_one_added_sink(backend: Backend, make_runtime: MakeRuntime, tmp_path: Path) -> None:
    # The worker's own store is elsewhere: attach() adds a sink for the parent's
    # store, shared by the blocks open at once and removed after the last.
    rt, own_sink = make_runtime(tmp_path / "worker-own.sqlite")
    parent_store = backend.where
    handle = ExecutionHandle("abcdef123456", "parent", "task", None, 0.0, 1, parent_store)
    metric = cf.Metric("t", throttle=None)
    first_in, first_out = threading.Event(), threading.Event()

    def first() -> None:
        with cf.attach(handle):
            metric.record(1.0, at=1)
            first_in.set()
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with cf.attach(handle):
            first_out.wait(10)  # the first block closed while this one is open
            metric.record(2.0, at=2)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert rt.sinks == [own_sink]
    (run,) = cf.executions(parent_store)
    assert (run.id, run.name, run.status, run.pid) == ("abcdef123456", "parent", "running", 1)
    assert sorted(run.series("t")[1].tolist()) == [1.0, 2.0]
    assert cf.executions(tmp_path / "worker-own.sqlite") == []
