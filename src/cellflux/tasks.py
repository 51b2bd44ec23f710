"""``task()`` and ``workflow()``: every call of the decorated function is an execution."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar, overload

from . import execution as ex
from .execution import Execution
from .runtime import Runtime, get_runtime
from .values import check_encodable

F = TypeVar("F", bound=Callable[..., Any])


@overload
def task(name: F) -> F: ...
@overload
def task(name: str | None = None) -> Callable[[F], F]: ...
def task(name: Any = None) -> Any:
    """Make every call of the function an execution (a child of the calling one).

    Usable as ``@task``, ``@task()`` or ``@task("name")``.
    """
    return _decorator(name, "task")


@overload
def workflow(name: F) -> F: ...
@overload
def workflow(name: str | None = None) -> Callable[[F], F]: ...
def workflow(name: Any = None) -> Any:
    """Like :func:`task`, for the top-level function of a run."""
    return _decorator(name, "workflow")


def _decorator(name: Any, kind: str) -> Any:
    if callable(name):
        return _wrap(name, None, kind)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{kind}(): name must be a str, got {type(name).__name__}")
    if name is not None:
        check_encodable(f"{kind}()", "name", name)
    return lambda fn: _wrap(fn, name, kind)


def _wrap(fn: Callable[..., Any], name: str | None, kind: str) -> Any:
    label = str(name or getattr(fn, "__qualname__", None) or getattr(fn, "__name__", kind))
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            rt, exe, token = _enter(label, kind, is_async=True)
            try:
                result = await fn(*args, **kwargs)
            except BaseException as error:
                _exit(rt, exe, token, error, is_async=True)
                raise
            _exit(rt, exe, token, None, is_async=True)
            return result

        return run_async

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        rt, exe, token = _enter(label, kind, is_async=False)
        try:
            result = fn(*args, **kwargs)
        except BaseException as error:
            _exit(rt, exe, token, error, is_async=False)
            raise
        _exit(rt, exe, token, None, is_async=False)
        return result

    return run


def _enter(label: str, kind: str, *, is_async: bool) -> tuple[Runtime, Execution, Any]:
    rt = get_runtime()
    _install_thread_hook()
    parent = ex.current.get()
    if parent is not None and parent.status is not ex.RUNNING:
        parent = None
    exe = rt.start(label, kind, parent)
    token = ex.current.set(exe)
    rt.task_entered(is_async)
    return rt, exe, token


def _exit(rt: Runtime, exe: Execution, token: Any, error: BaseException | None, *, is_async: bool) -> None:
    try:
        rt.end(exe, ex.status_after(error))
    finally:
        try:
            ex.current.reset(token)
        except ValueError:  # reset from another context (a generator resumed elsewhere)
            ex.current.set(exe.parent)
        rt.task_exited(is_async)


def current_execution() -> Execution:
    """The execution a ``record()`` here would go to (started on demand)."""
    return get_runtime().resolve()


_hook_lock = threading.Lock()
_hooked = False


def _install_thread_hook() -> None:
    """Threads started inside a task record into that task.

    ``threading.Thread`` does not carry context variables into the new thread, so
    ``Thread.start`` is wrapped once: a thread started while a task runs begins
    with that task as its execution. Threads started elsewhere are untouched.
    """
    global _hooked
    if _hooked:
        return
    with _hook_lock:
        if _hooked:
            return
        original = threading.Thread.start

        @functools.wraps(original)
        def start(self: threading.Thread) -> None:
            exe = ex.current.get()
            # cellflux's own threads (flusher, ticker, store writer) belong to no task.
            if exe is not None and exe.status is ex.RUNNING and not self.name.startswith("cellflux-"):
                self.run = _inherit(self.run, exe, get_runtime())  # type: ignore[method-assign]
            original(self)

        threading.Thread.start = start  # type: ignore[method-assign]
        _hooked = True


def _inherit(run: Callable[[], None], exe: Execution, rt: Runtime) -> Callable[[], None]:
    def run_in_task() -> None:
        ex.current.set(exe)
        rt.task_entered(False)
        try:
            run()
        finally:
            rt.task_exited(False)

    return run_in_task
