"""``show()`` and ``watch()`` at the top level, importing the widgets only when called."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .display.replay import Watcher
    from .store.read import StoreLike


def show(target: Any, store: StoreLike = None) -> None:
    """Draw the board of an execution (an id, a stored or a live one), or overlay a list of them."""
    from .display.replay import show as _show

    _show(target, store)


def watch(
    target: Any = None, *, store: StoreLike = None, name: str | None = None, interval: float | None = None
) -> Watcher:
    """A live board for an execution another process writes into the store (newest running by default)."""
    from .display.replay import watch as _watch

    return _watch(target, store=store, name=name, interval=interval)
