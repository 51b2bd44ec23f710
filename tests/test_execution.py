"""Executions: tasks, nesting, statuses, threads and which execution a record joins."""

from __future__ import annotations

import asyncio
import threading

import pytest

import cellflux as cf
from cellflux.runtime import Runtime


def test_every_call_is_an_execution_with_its_own_series(rt: Runtime) -> None:
    m = cf.Metric("loss")

    @cf.task()
    def train(v: float) -> cf.Execution:
        m.record(v)
        return cf.current_execution()

    a, b = train(1.0), train(2.0)
    assert a.id != b.id
    assert (a.name, a.kind, a.status) == ("test_every_call_is_an_execution_with_its_own_series.<locals>.train", "task", "succeeded")
    assert a.series("loss")[1].tolist() == [1.0] and b.series("loss")[1].tolist() == [2.0]
    assert a.ended_at is not None and a.ended_at >= a.started_at


@pytest.mark.parametrize("decorate", [cf.task, cf.task(), cf.task("named"), cf.workflow, cf.workflow("wf")])
def test_decorator_forms(rt: Runtime, decorate: object) -> None:
    @decorate  # type: ignore[operator]
    def fn() -> cf.Execution:
        return cf.current_execution()

    exe = fn()
    assert exe.kind in ("task", "workflow")
    if decorate in (cf.task, cf.workflow):
        assert exe.name.endswith("fn")


def test_nested_calls_make_child_executions(rt: Runtime) -> None:
    @cf.task("inner")
    def inner() -> cf.Execution:
        return cf.current_execution()

    @cf.workflow("outer")
    def outer() -> tuple[cf.Execution, cf.Execution]:
        return cf.current_execution(), inner()

    parent, child = outer()
    assert child.parent is parent and parent.parent is None
    assert parent.kind == "workflow" and child.kind == "task"


def test_exception_fails_the_execution_and_keeps_its_last_value(rt: Runtime) -> None:
    m = cf.Metric("loss")
    seen: list[cf.Execution] = []

    @cf.task
    def train() -> None:
        seen.append(cf.current_execution())
        for i in range(100):
            m.record(float(i))
        raise RuntimeError("diverged")

    with pytest.raises(RuntimeError, match="diverged"):
        train()
    assert seen[0].status == "failed"
    assert seen[0].series("loss")[1].tolist() == [0.0, 99.0]


def test_keyboard_interrupt_is_interrupted(rt: Runtime) -> None:
    m = cf.Metric("loss")
    seen: list[cf.Execution] = []

    @cf.task
    def train() -> None:
        seen.append(cf.current_execution())
        m.record(1.0)
        m.record(2.0)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train()
    assert seen[0].status == "interrupted"
    assert seen[0].series("loss")[1].tolist() == [1.0, 2.0]


def test_thread_started_inside_a_task_records_into_it(rt: Runtime) -> None:
    m = cf.Metric("worker", throttle=None)

    @cf.task
    def train() -> cf.Execution:
        t = threading.Thread(target=lambda: [m.record(float(i)) for i in range(10)])
        t.start()
        t.join()
        return cf.current_execution()

    exe = train()
    assert exe.series("worker")[1].tolist() == [float(i) for i in range(10)]


def test_thread_without_task_records_into_the_innermost_live_execution(rt: Runtime) -> None:
    m = cf.Metric("bg", throttle=None)
    outer_started, go, done = threading.Event(), threading.Event(), threading.Event()

    def background() -> None:
        go.wait(5)
        m.record(1.0)
        done.set()

    t = threading.Thread(target=background)  # started outside any task
    t.start()

    @cf.task
    def train() -> cf.Execution:
        go.set()
        done.wait(5)
        return cf.current_execution()

    exe = train()
    t.join()
    assert exe.series("bg")[1].tolist() == [1.0]
    assert not outer_started.is_set()


def test_sixteen_threads_lose_nothing(rt: Runtime) -> None:
    m = cf.Metric("many", throttle=None)

    @cf.task
    def train() -> cf.Execution:
        def work(base: int) -> None:
            for i in range(10_000):
                m.record(float(base + i))

        threads = [threading.Thread(target=work, args=(k * 10_000,)) for k in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return cf.current_execution()

    exe = train()
    got = exe.series("many")[1]
    assert len(got) == 160_000
    assert sorted(got.tolist()) == [float(i) for i in range(160_000)]


def test_threads_in_different_tasks_keep_their_values_apart(rt: Runtime) -> None:
    # One Metric object shared by two tasks running at once in two threads: the
    # fast path must never put one task's value in the other's series.
    m = cf.Metric("shared")
    barrier = threading.Barrier(2)
    results: dict[str, cf.Execution] = {}

    @cf.task
    def run(name: str, value: float) -> None:
        results[name] = cf.current_execution()
        barrier.wait()
        for _ in range(50_000):
            m.record(value)

    threads = [threading.Thread(target=run, args=(n, v)) for n, v in (("a", 1.0), ("b", 2.0))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results["a"].series("shared")[1].tolist()) == {1.0}
    assert set(results["b"].series("shared")[1].tolist()) == {2.0}


def test_async_tasks_keep_their_values_apart(rt: Runtime) -> None:
    m = cf.Metric("shared")

    @cf.task
    async def run(value: float) -> cf.Execution:
        for _ in range(200):
            for _ in range(50):
                m.record(value)
            await asyncio.sleep(0)
        return cf.current_execution()

    async def main() -> list[cf.Execution]:
        return list(await asyncio.gather(run(1.0), run(2.0)))

    a, b = asyncio.run(main())
    assert set(a.series("shared")[1].tolist()) == {1.0}
    assert set(b.series("shared")[1].tolist()) == {2.0}
    assert a.status == b.status == "succeeded"


def test_current_execution_fields(rt: Runtime) -> None:
    @cf.task("job")
    def job() -> cf.Execution:
        return cf.current_execution()

    exe = job()
    assert len(exe.id) == 12 and exe.name == "job" and exe.parent is None
    assert exe.status == "succeeded" and isinstance(exe.started_at, float)
    assert "object at 0x" not in repr(exe)
