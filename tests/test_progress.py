"""progress(): counts, totals, lazy streaming, stop and failure states."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

import cellflux as cf
from cellflux.runtime import Runtime


def bar(key: str = "progress") -> tuple[list[float], str | None, float | None]:
    series = cf.current_execution().buffers[key]
    assert series.scale is not None and series.scale.progress
    return series.read()[1].tolist(), series.state, series.scale.upper


def test_counts_to_the_total_with_len(rt: Runtime) -> None:
    assert list(cf.progress(range(5))) == [0, 1, 2, 3, 4]
    counts, state, upper = bar()
    assert counts[0] == 0 and counts[-1] == 5 and state == "done" and upper == 5


def test_total_overrides_len_and_key_group_apply(rt: Runtime) -> None:
    for _ in cf.progress(iter(range(3)), key="items", group="processing", total=10):
        pass
    series = cf.current_execution().buffers["items"]
    assert series.group is not None and series.group.name == "processing"
    assert bar("items")[2] == 10


def test_iterables_without_len_are_streamed_lazily(rt: Runtime) -> None:
    pulled = []

    def gen() -> Iterator[int]:
        for i in itertools.count():
            pulled.append(i)
            yield i

    for i in cf.progress(gen(), key="infinite"):
        if i == 1000:
            break
    assert len(pulled) == 1001
    counts, state, upper = bar("infinite")
    assert counts[-1] == 1000 and state == "stopped" and upper is None


def test_break_records_the_count_reached_and_stops(rt: Runtime) -> None:
    for i in cf.progress(range(100)):
        if i == 37:
            break
    counts, state, _ = bar()
    assert counts[-1] == 37 and state == "stopped"


def test_exception_records_the_count_and_fails_with_the_execution(rt: Runtime) -> None:
    seen: list[cf.Execution] = []

    @cf.task
    def work() -> None:
        seen.append(cf.current_execution())
        for i in cf.progress(range(10)):
            if i == 4:
                raise ValueError("bad item")

    with pytest.raises(ValueError):
        work()
    series = seen[0].buffers["progress"]
    assert series.read()[1].tolist()[-1] == 4 and series.state == "failed"


def test_empty_iterable_is_a_complete_zero_of_zero(rt: Runtime) -> None:
    assert list(cf.progress([])) == []
    counts, state, upper = bar()
    assert counts == [0.0] and state == "done" and upper == 0


def test_a_second_loop_over_the_same_key_restarts_the_bar(rt: Runtime) -> None:
    for epoch in range(2):
        for _ in cf.progress(range(3 + epoch), key="batch"):
            pass
    counts, state, upper = bar("batch")
    assert counts[-1] == 4 and state == "done" and upper == 4


def test_bad_total(rt: Runtime) -> None:
    with pytest.raises(TypeError, match="'p'.*total"):
        cf.progress([], key="p", total="3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'p'.*total"):
        cf.progress([], key="p", total=-1)
