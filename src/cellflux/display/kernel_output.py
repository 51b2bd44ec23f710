"""Outputs in a kernel's cells: which shell runs the kernel, and showing or updating a
display bundle in the cell of a given parent header, from any thread."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def kernel_shell() -> Any:
    """The IPython shell of a Jupyter kernel, or None (a terminal IPython, a script)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "kernel"):
        return None
    return shell


def parent_header(shell: Any) -> Any:
    """The parent header of the cell running now, where its outputs go."""
    return getattr(shell.display_pub, "parent_header", None)


def show_bundle(bundle: dict[str, Any], parent: Any) -> Any:
    """Display ``bundle`` in the cell of ``parent``; returns its handle for :func:`update_bundle`."""
    from IPython.display import display

    return _with_parent(parent, lambda: display(bundle, raw=True, display_id=True))  # type: ignore[no-untyped-call]


def update_bundle(bundle: dict[str, Any], handle: Any) -> None:
    """Replace a displayed output with ``bundle``."""
    handle.update(bundle, raw=True)


def _with_parent(parent: Any, action: Callable[[], Any]) -> Any:
    # Output goes to the cell of the parent header; in a background thread that is
    # the latest cell, so set the header captured where the execution started.
    shell = kernel_shell()
    pub = getattr(shell, "display_pub", None)
    if parent is None or pub is None or not hasattr(pub, "set_thread_parent"):
        return action()
    token = pub.set_thread_parent(parent)
    try:
        return action()
    finally:
        pub.reset_thread_parent(token)
