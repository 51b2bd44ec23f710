"""``cf.Progress``: a progress bar told by callbacks, with the semantics of ``cf.progress``."""

from __future__ import annotations

import pytest

import cellflux as cf
from cellflux.runtime import Runtime

from .conftest import FakeClock


def test_counts_to_total_and_is_done(rt: Runtime, clock: FakeClock) -> None:
    with cf.run("fit") as exe:
        bar = cf.Progress("batch", group="progress", total=4)
        for _ in range(4):
            clock.advance(0.5)
            bar.update()
        bar.close()
    series = exe.buffers["batch"]
    xs, ys = series.read()
    assert ys[0] == 0 and ys[-1] == 4 and series.state == "done"
    assert series.scale is not None and series.scale.upper == 4 and series.scale.progress
    assert xs[-1] == pytest.approx(2.0)  # auto x: seconds, so the board shows a rate
    assert bar.count == 4 and repr(bar) == "Progress('batch', 4/4, done)"


def test_closed_early_is_stopped_and_failed_if_the_run_fails(rt: Runtime) -> None:
    with pytest.raises(RuntimeError):
        with cf.run("fit") as exe:
            with cf.Progress("batch", total=10) as bar:
                bar.update(3)
                raise RuntimeError
    assert exe.buffers["batch"].state == "failed"
    assert exe.buffers["batch"].read()[1][-1] == 3


def test_a_new_loop_over_the_key_takes_its_own_total(rt: Runtime, clock: FakeClock) -> None:
    with cf.run("fit") as exe:
        for total in (3, 5):
            bar = cf.Progress("batch", total=total)
            clock.advance(1)
            bar.update(total)
            bar.close()
    series = exe.buffers["batch"]
    assert series.scale is not None and series.scale.upper == 5 and series.state == "done"
    assert series.read()[1].tolist() == [0, 3, 0, 5]


def test_unknown_total_is_done_when_closed_and_bad_totals_raise(rt: Runtime) -> None:
    bar = cf.Progress("items")
    bar.update(7)
    bar.close()
    assert bar.state == "done"
    with pytest.raises(TypeError, match="total must be an int"):
        cf.Progress("x", total=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be negative"):
        cf.Progress("x", total=-1)
    with pytest.raises(ValueError, match="state must be one of"):
        cf.Progress("y", total=1).close("weird")
