"""The leading + trailing throttle, driven by a fake clock (no sleeps)."""

from __future__ import annotations

import numpy as np

import cellflux as cf
from cellflux.runtime import Runtime

from .conftest import FakeClock


def values(key: str) -> list[float]:
    return cf.current_execution().series(key)[1].tolist()


def test_first_point_is_reported_at_once(rt: Runtime) -> None:
    cf.Metric("loss").record(1.0)
    assert values("loss") == [1.0]


def test_latest_point_of_the_window_is_reported_when_it_closes(rt: Runtime, clock: FakeClock) -> None:
    m = cf.Metric("loss")
    for v in (1.0, 2.0, 3.0):
        m.record(v)
        clock.advance(0.01)
    assert values("loss") == [1.0]
    clock.advance(0.1)
    rt.flusher.run_due()
    assert values("loss") == [1.0, 3.0]
    x = cf.current_execution().series("loss")[0]
    assert np.allclose(x, [0.0, 0.02])


def test_at_most_one_point_per_window_in_a_tight_loop(rt: Runtime, clock: FakeClock) -> None:
    m = cf.Metric("loss")
    for i in range(10_000):
        m.record(float(i))
        clock.advance(1e-4)  # one second in all: ten windows
        if i % 100 == 0:
            rt.flusher.run_due()
    rt.flush()
    got = values("loss")
    assert got[0] == 0.0 and got[-1] == 9999.0
    assert 9 <= len(got) <= 12


def test_gated_values_keep_x_close_to_the_true_time(rt: Runtime, clock: FakeClock) -> None:
    m = cf.Metric("loss")
    for i in range(5000):
        m.record(float(i))
        clock.advance(1e-6)
    clock.advance(0.2)
    rt.flusher.run_due()
    x, y = cf.current_execution().series("loss")
    assert y[-1] == 4999.0
    assert abs(x[-1] - 4999e-6) <= 250e-6  # the gate spans at most ~200 µs of calls


def test_final_value_is_delivered_at_execution_end(rt: Runtime) -> None:
    m = cf.Metric("loss")

    @cf.task
    def train() -> cf.Execution:
        for i in range(1000):
            m.record(float(i))
        return cf.current_execution()

    exe = train()
    assert exe.series("loss")[1].tolist() == [0.0, 999.0]


def test_final_value_is_delivered_by_flush(rt: Runtime) -> None:
    m = cf.Metric("loss")
    for i in range(100):
        m.record(float(i))
    cf.flush()
    assert values("loss") == [0.0, 99.0]


def test_final_value_is_delivered_by_the_flusher_within_a_window(rt: Runtime, clock: FakeClock) -> None:
    m = cf.Metric("loss")
    m.record(1.0)
    m.record(2.0)
    clock.advance(0.05)
    assert rt.flusher.run_due() == 0
    clock.advance(0.06)
    assert rt.flusher.run_due() == 1
    assert values("loss") == [1.0, 2.0]


def test_flusher_thread_delivers_without_flush() -> None:
    runtime = Runtime()  # real clock, real flusher thread
    from cellflux.runtime import use_runtime

    with use_runtime(runtime):
        m = cf.Metric("loss", throttle=100)
        m.record(1.0)
        m.record(2.0)
        exe = cf.current_execution()
        import threading

        done = threading.Event()
        for _ in range(200):  # up to 2 s, in 10 ms event waits
            if exe.series("loss")[1].tolist() == [1.0, 2.0]:
                done.set()
                break
            done.wait(0.01)
        assert done.is_set()


def test_each_execution_and_key_has_its_own_window(rt: Runtime) -> None:
    a, b = cf.Metric("a"), cf.Metric("b")

    @cf.task
    def child() -> cf.Execution:
        a.record(5.0)
        return cf.current_execution()

    a.record(1.0)
    b.record(2.0)
    exe = child()
    a.record(3.0)  # same window as 1.0: pending
    assert values("a") == [1.0]
    assert values("b") == [2.0]
    assert exe.series("a")[1].tolist() == [5.0]


def test_throttle_none_reports_every_value(rt: Runtime) -> None:
    m = cf.Metric("exact", throttle=None)
    for i in range(1000):
        m.record(float(i))
    assert values("exact") == [float(i) for i in range(1000)]


def test_throttle_rate_sets_the_window(rt: Runtime, clock: FakeClock) -> None:
    m = cf.Metric("fast", throttle=100)
    m.record(1.0)
    clock.advance(0.011)
    m.record(2.0)
    assert values("fast") == [1.0, 2.0]


def test_explicit_at_in_a_tight_loop_keeps_exact_x_and_the_final_point(rt: Runtime, clock: FakeClock) -> None:
    m = cf.Metric("loss")
    for step in range(20_000):
        m.record(step * 0.5, at=step)
        clock.advance(5e-5)  # one second in all
        if step % 500 == 0:
            rt.flusher.run_due()
    rt.flush()
    x, y = cf.current_execution().series("loss")
    assert x[-1] == 19_999 and y[-1] == 19_999 * 0.5
    assert (y == x * 0.5).all()  # every point is a recorded (at, value) pair
    assert (np.diff(x) > 0).all() and 9 <= len(x) <= 14


def test_a_non_increasing_at_is_dropped_even_inside_a_gated_window(rt: Runtime) -> None:
    import pytest

    m = cf.Metric("loss")
    for step in range(1000):
        m.record(1.0, at=step)
    with pytest.warns(cf.CellfluxWarning, match="at=500"):
        m.record(2.0, at=500)
    rt.flush()
    x, y = cf.current_execution().series("loss")
    assert x.tolist() == [0.0, 999.0] and 2.0 not in y.tolist()


def test_unthrottled_explicit_at_keeps_every_point_and_checks_order(rt: Runtime) -> None:
    import pytest

    m = cf.Metric("exact", throttle=None)
    for step in range(1000):
        m.record(float(step), at=step)
    with pytest.warns(cf.CellfluxWarning, match="at=999"):
        m.record(-1.0, at=999)
    m.record(1000.0, at=1000)
    x, y = cf.current_execution().series("exact")
    assert x.tolist() == [float(i) for i in range(1001)] and y.tolist() == x.tolist()
