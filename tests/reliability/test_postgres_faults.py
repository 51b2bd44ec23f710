"""A PostgreSQL server that restarts, kills its writers' connections, or stops for 10 s mid-run.

A training loop (pg_fault_child.py) records two metrics at every step and
checkpoints with ``cf.flush()``; the test breaks the server under it. Nothing a
flush confirmed is lost, nothing is stored twice (retried batches are
recognised), the loop never raises, and the run ends complete once the server
is back. A last scenario fills the backlog's bound during an outage: the
oldest unconfirmed points are dropped, counted in the warning and the report.
These tests start a server of their own (scripts/pg.sh): they stop it.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

import cellflux as cf

from ..postgres import Server, _start, fresh_database
from .conftest import HELPERS, PYTHON, child_env
from .ledger import Ledger

WAIT = 180.0


@pytest.fixture(scope="module")
def own_server() -> Iterator[Server]:
    server = _start()  # raises (fails the test) when no server can be started
    try:
        yield server
    finally:
        subprocess.run(["bash", str(HELPERS.parents[1] / "scripts" / "pg.sh"), "stop", server.socket_dir],
                       capture_output=True, timeout=120)


@pytest.fixture
def own_db(own_server: Server) -> Iterator[str]:
    yield from fresh_database(own_server)


class Job:
    """The child training loop, and its checkpoint lines as they come."""

    def __init__(self, url: str, tmp_path: Path, **env: str) -> None:
        self.stop_file = tmp_path / "stop"
        self.lines: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.proc = subprocess.Popen([PYTHON, str(HELPERS / "pg_fault_child.py"), url, str(self.stop_file)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(**env))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append(json.loads(line))
                self.changed.notify_all()

    def mark(self) -> int:
        with self.changed:
            return len(self.lines)

    def wait_for(self, test: Callable[[list[dict[str, Any]]], bool]) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: test(self.lines) or self.proc.poll() is not None, WAIT):
                raise AssertionError(f"timed out; last lines {self.lines[-3:]}")
        assert self.proc.poll() is None, f"the loop died: {self.proc.stderr.read() if self.proc.stderr else ''}"

    def complete_checkpoints_after(self, mark: int, n: int) -> None:
        self.wait_for(lambda lines: sum(1 for line in lines[mark:] if line.get("complete")) >= n)

    def finish(self) -> dict[str, Any]:
        self.stop_file.touch()
        self._reader.join(WAIT)  # until the child closes its output
        self.proc.wait(WAIT)
        err = self.proc.stderr.read() if self.proc.stderr else ""
        assert self.proc.returncode == 0, f"the loop raised: {err[-3000:]}"
        summary = self.lines[-1]
        assert summary.get("final"), summary
        return summary


def _check_store(url: str, summary: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    (run,) = cf.executions(url)
    assert run.status == "succeeded"
    n = summary["steps"]
    x, y = run.series("loss")
    assert x.tolist() == list(range(n)), "lost or duplicated points"  # sorted, no gap, no duplicate
    assert (y == x).all()
    ax, ay = run.series("acc")
    assert ax.tolist() == list(range(n)) and (ay == -ax).all()
    confirmed = max((line["step"] for line in lines if line.get("complete") and "step" in line), default=0)
    assert confirmed <= n
    assert summary["complete"] and summary["pending"] == 0 and summary["dropped"] == 0
    for message in summary["warnings"]:
        assert "s3cret" not in message
    return {"steps": n, "points": 2 * n, "confirmed": confirmed,
            "incomplete": sum(1 for line in lines if "step" in line and not line["complete"]),
            "checkpoints": sum(1 for line in lines if "step" in line)}


def _figures(facts: dict[str, Any], summary: dict[str, Any]) -> str:
    return (f"{facts['points']:,} points in {facts['checkpoints']} checkpoints ({facts['incomplete']} said "
            f"'pending' during the fault); {len(summary['warnings'])} warning(s); longest record() "
            f"{summary['longest_record_ms']} ms, longest flush() {summary['longest_flush_s']} s")


def _scenario(ledger: Ledger, name: str, url: str, tmp_path: Path, fault: Callable[[], None]) -> None:
    row = ledger.scenario(2, name)
    job = Job(url, tmp_path)
    job.complete_checkpoints_after(0, 5)
    before = job.mark()
    fault()
    job.complete_checkpoints_after(before, 5)
    summary = job.finish()
    facts = _check_store(url, summary, job.lines)
    assert len(summary["warnings"]) >= 1, "the outage was not warned about"
    ledger.done(row, _figures(facts, summary),
                f"0 of {facts['points']:,} (all {2 * facts['confirmed']:,} points confirmed by flush() kept; "
                "none stored twice); the loop never raised; the run ended succeeded")


def test_server_restarted_immediate_mid_run(own_server: Server, own_db: str, tmp_path: Path, ledger: Ledger) -> None:
    _scenario(ledger, "PostgreSQL: pg_ctl restart -m immediate mid-run (crash and recovery)", own_db, tmp_path,
              lambda: own_server.pg_ctl("restart", "-m", "immediate"))


def test_writer_connections_terminated(own_server: Server, own_db: str, tmp_path: Path, ledger: Ledger) -> None:
    def terminate() -> None:
        with psycopg.connect(own_server.url, autocommit=True) as conn:
            for _ in range(3):
                killed = conn.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'cellflux' AND pid <> pg_backend_pid()").fetchone()
                assert killed is not None and killed[0] >= 1
                time.sleep(0.5)  # let the writer reconnect, then kill it again

    _scenario(ledger, "PostgreSQL: pg_terminate_backend on the writer's connection, 3 times 0.5 s apart", own_db,
              tmp_path, terminate)


def test_server_stopped_for_ten_seconds(own_server: Server, own_db: str, tmp_path: Path, ledger: Ledger) -> None:
    def outage() -> None:
        own_server.pg_ctl("stop", "-m", "fast")
        time.sleep(10)  # the outage itself: the loop records on meanwhile
        own_server.pg_ctl("start")

    _scenario(ledger, "PostgreSQL: server stopped for 10 s, then started again", own_db, tmp_path, outage)


def test_the_backlog_bound_drops_the_oldest_unconfirmed_points(
    own_server: Server, own_db: str, tmp_path: Path, ledger: Ledger
) -> None:
    bound = 4000
    row = ledger.scenario(2, f"PostgreSQL down past the backlog's bound (CELLFLUX_STORE_BACKLOG={bound})")
    job = Job(own_db, tmp_path, CELLFLUX_STORE_BACKLOG=str(bound))
    job.complete_checkpoints_after(0, 3)
    confirmed = max(line["step"] for line in job.lines if line.get("complete"))
    own_server.pg_ctl("stop", "-m", "fast")
    down = job.mark()
    job.wait_for(lambda lines: len(lines) - down >= 30)  # 6,000 steps, 12,000 points recorded while down
    restarted_at = job.lines[-1]["step"]
    own_server.pg_ctl("start")
    job.complete_checkpoints_after(job.mark(), 3)
    summary = job.finish()
    (run,) = cf.executions(own_db)
    n = summary["steps"]
    x, _ = run.series("loss")
    stored = set(x.tolist())
    assert len(stored) == len(x), "a point was stored twice"
    missing = sorted(set(range(n)) - stored)
    assert missing, "the bound dropped nothing"
    assert missing[0] >= confirmed, "a point confirmed by flush() was dropped"
    assert missing == list(range(missing[0], missing[-1] + 1)), "the dropped points are not the oldest unconfirmed"
    ax, _ = run.series("acc")
    dropped = len(missing) + (n - len(ax))
    reported = sum(line.get("dropped", 0) for line in job.lines)  # each flush reports the new drops
    assert reported == dropped and summary["pending"] == 0 and summary["complete"]
    warned = [m for m in summary["warnings"] if "dropped" in m]
    assert warned and any(f"{dropped:,}" in m for m in warned), summary["warnings"]
    assert np.array_equal(x, np.sort(x))
    ledger.done(row, f"{2 * n:,} points, about {2 * (restarted_at - confirmed):,} recorded while the server was down",
                f"{dropped:,} oldest unconfirmed points dropped, counted in the warning and in flush()'s report; "
                "0 confirmed points lost; 0 duplicates; the newest points all stored")
