"""Long runs: 50 million points over 100 metrics (CELLFLUX_LONG_RUN_POINTS), with a live board.

The series buffers keep every point at 16 bytes (x and y float64) in chunks of
65,536 points, so the process grows by 16 bytes per point plus at most one partly
filled chunk per column; the display path (decimators, line marks, the front end's
copy) stays about 2,000 points per line, whatever the length of the run.
Runs in a subprocess, so the memory measured is the run's own.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .conftest import HELPERS, PYTHON, child_env, env_int
from .ledger import Ledger

POINTS = env_int("CELLFLUX_LONG_RUN_POINTS", 50_000_000)
METRICS = 100
CHUNK_BYTES = 2 * 65_536 * 8
"""One chunk of x and one of y."""
DISPLAY_PER_LINE = 256 * 1024
"""Ceiling of what one line may hold on the display path: ~2,000 points in several copies."""


def test_fifty_million_points(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(5, "50 million points over 100 metrics with a live board: memory")
    proc = subprocess.run(
        [PYTHON, str(HELPERS / "long_run_child.py"), str(POINTS)],
        capture_output=True, text=True, env=child_env(), timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    points = out["points"]
    assert points >= POINTS
    growth = out["rss_growth"]
    # 16 bytes a point, plus the unfilled rest of the last chunk of each series, plus the
    # board itself (widgets, decimators): nothing grows with the points but the buffers.
    allowed = 16 * points + METRICS * CHUNK_BYTES + 64 * 2**20
    assert growth <= allowed, f"{growth / points:.2f} bytes per point"
    assert out["chunks"] * CHUNK_BYTES // 2 <= 16 * points + METRICS * CHUNK_BYTES
    assert out["lines"] == METRICS and out["longest_line"] <= 2000
    assert out["display_end"] <= METRICS * DISPLAY_PER_LINE
    assert out["display_end"] <= 2 * out["display_first_round"], "the display path grows with the run"
    assert out["last_values_on_board"]
    ledger.done(
        row,
        f"{points:,} points, {METRICS} metrics in 10 charts, board pulled every {points // 1000:,} points, "
        f"{points / out['seconds'] / 1e6:.2f} M records/s",
        f"0 points; process +{growth / 2**20:.0f} MB = {growth / points:.2f} B/point "
        f"(buffers {out['chunks'] * CHUNK_BYTES / 2 / points:.2f} B/point in 64k-point chunks); display path "
        f"{out['display_first_round'] / 2**20:.1f} MB after 10% of the run, {out['display_end'] / 2**20:.1f} MB at the end, "
        f"≤ {out['longest_line']} points per line",
    )
