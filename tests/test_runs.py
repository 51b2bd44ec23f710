"""``cf.run()``: an execution started and ended by code, ended at the latest with its enclosing one."""

from __future__ import annotations

import pytest

import cellflux as cf
from cellflux.runtime import Runtime


def test_run_as_context_is_an_execution_like_a_task(rt: Runtime) -> None:
    with cf.run("fit", params={"lr": 0.1}) as exe:
        cf.Metric("loss").record(0.5, at=1)
        assert cf.current_execution() is exe
    assert exe.status == "succeeded" and exe.kind == "run" and exe.name == "fit"
    assert exe.series("loss")[1].tolist() == [0.5]
    assert exe.params == {"lr": 0.1}
    assert cf.current_execution() is not exe


@pytest.mark.parametrize(
    ("error", "status"), [(ValueError("boom"), "failed"), (KeyboardInterrupt(), "interrupted")]
)
def test_run_context_takes_the_status_of_the_error(rt: Runtime, error: BaseException, status: str) -> None:
    with pytest.raises(type(error)):
        with cf.run("fit") as exe:
            raise error
    assert exe.status == status


def test_run_ended_by_hand_from_callbacks(rt: Runtime) -> None:
    run = cf.run("fit")
    cf.Metric("loss").record(1.0, at=1)
    bar = cf.Progress("epoch", total=10)
    bar.update(3)
    run.end()
    assert run.ended and run.execution.status == "succeeded"
    assert run.execution.buffers["epoch"].state == "stopped"  # ended before its total
    run.end(ValueError())  # a second end changes nothing
    assert run.execution.status == "succeeded"
    other = cf.run("other")
    with pytest.raises(ValueError, match="status must be one of"):
        other.end(status="weird")
    other.end()


def test_a_run_its_code_did_not_end_ends_with_the_enclosing_task(rt: Runtime) -> None:
    runs: list[cf.Run] = []

    @cf.task
    def cell() -> None:
        runs.append(cf.run("fit"))  # a framework's start hook; its end hook never comes
        cf.Metric("loss").record(1.0, at=1)
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        cell()
    (run,) = runs
    assert run.ended and run.execution.status == "failed"
    assert run.execution.ended_at is not None and run.execution.parent is not None
    assert run.execution.ended_at <= run.execution.parent.ended_at  # type: ignore[operator]
    assert rt._task_threads == {}  # the gate's bookkeeping is back to no task


def test_an_unended_run_in_the_implicit_execution_ends_with_it(rt: Runtime) -> None:
    run = cf.run("fit")
    outer = run.execution.parent
    assert outer is not None and outer.kind in ("process", "cell")
    rt.end(outer, "interrupted")
    assert run.execution.status == "interrupted"


def test_records_after_the_run_go_back_to_the_enclosing_execution(rt: Runtime) -> None:
    run = cf.run("fit")
    run.end()
    cf.Metric("after").record(1.0, at=1)
    assert "after" not in run.execution.buffers
    assert "after" in cf.current_execution().buffers


def test_run_name_is_checked(rt: Runtime) -> None:
    with pytest.raises(TypeError, match="name must be a non-empty str"):
        cf.run("")
