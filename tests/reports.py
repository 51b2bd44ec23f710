"""Where tests write what they measured: ``build/reports/`` (git-ignored).

A test never writes a tracked file. The committed reports (``RELIABILITY.md``,
``benchmarks/results-browser.md``) are replaced by ``bash scripts/reports.sh`` only,
from the files the last test run left here.
"""

from __future__ import annotations

from pathlib import Path

REPORTS = Path(__file__).resolve().parents[1] / "build" / "reports"
