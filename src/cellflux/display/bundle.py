"""The built front ends (``js/`` bundled into ``static/``), read when a widget is made."""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC", "read_bundle"]

STATIC = Path(__file__).resolve().parent.parent / "static"
"""Where ``npm run build`` in ``js/`` writes the bundles."""


def read_bundle(path: Path, what: str) -> str:
    """The bundle at ``path`` (``what`` names it), with a hint on how to build it when it is missing.

    Read at a widget's construction, not at import, so ``import cellflux`` works before a build.
    """
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = (
            f"cellflux's {what} front end {path} is missing: "
            "run `npm install && npm run build` in js/ (or reinstall cellflux with pip)"
        )
        raise FileNotFoundError(msg) from None
