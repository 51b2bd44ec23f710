"""Crashes: SIGKILL at random moments of heavy recording, and KeyboardInterrupt.

A killed process leaves a store that opens, passes ``PRAGMA integrity_check``,
holds every point a ``flush()`` confirmed, and loses at most the batch the writer
had not committed yet. An interrupted loop ends its execution ``interrupted``
with its values delivered and stored.
"""

from __future__ import annotations

import random
import signal
import struct
import subprocess
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cellflux as cf

from .conftest import HELPERS, PYTHON, child_env, env_int
from .harness import Rig, integrity
from .ledger import Ledger

CHILD = str(HELPERS / "crash_child.py")
RUNS = env_int("CELLFLUX_CRASH_RUNS", 20)
WRITER_INTERVAL = 0.2
"""The store writer's batch period (StoreSink's default)."""


@dataclass
class Kill:
    seed: int
    delay: float
    before_ready: bool
    confirmed: int = 0
    reached: int = 0
    stored: int = 0
    rate: float = 0.0
    execution: str = ""


def _kill_one(tmp: Path, seed: int) -> Kill:
    rng = random.Random(seed)
    before_ready = seed % 5 == 0  # every fifth run dies while starting: store creation, first batch
    kill = Kill(seed, rng.uniform(0.05, 0.9) if before_ready else rng.uniform(0.0, 1.6), before_ready)
    store = tmp / f"run{seed}" / "metrics.sqlite"
    counter = tmp / f"run{seed}.counter"
    counter.write_bytes(b"\0" * 8)
    child = subprocess.Popen(
        [PYTHON, CHILD, str(store), str(counter), "kill", str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            if not line.endswith("\n"):  # cut by the SIGKILL mid-line: never confirmed
                break
            lines.append(line.strip())
            if line.startswith("READY"):
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    started = time.monotonic()
    if before_ready:
        time.sleep(kill.delay)
    else:
        assert ready.wait(60), f"the child never started: {child.stderr.read() if child.stderr else ''}"
        started = time.monotonic()
        time.sleep(kill.delay)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    reader.join(10)
    elapsed = time.monotonic() - started
    kill.reached = struct.unpack("<q", counter.read_bytes())[0]
    kill.rate = kill.reached / elapsed if elapsed > 0 else 0.0
    confirmed = [int(line.split()[1]) for line in lines if line.startswith("CONFIRMED")]
    kill.confirmed = confirmed[-1] if confirmed else 0
    ready_lines = [line.split() for line in lines if line.startswith("READY")]
    kill.execution = ready_lines[0][1] if ready_lines else ""
    kill.stored = _check_store(store, kill)
    return kill


def _check_store(path: Path, kill: Kill) -> int:
    """The store opens, is intact, and holds a prefix of every metric at least as long as confirmed."""
    if not path.exists():
        assert kill.confirmed == 0 and kill.before_ready
        return 0
    assert integrity(path) == "ok", f"seed {kill.seed}: integrity check failed"
    runs = cf.executions(path)
    if not runs:  # killed before the first commit: an empty store that opens
        assert kill.confirmed == 0
        return 0
    (run,) = runs
    assert run.status == "running" and run.name == "crash"
    assert not kill.execution or run.id == kill.execution
    lengths = []
    for k in range(4):
        key = f"m{k}"
        x, y = run.series(key) if key in run.refresh().metrics else (np.zeros(0), np.zeros(0))
        n = len(x)
        assert np.array_equal(x, np.arange(n, dtype=np.float64)), f"seed {kill.seed}: {key} is not a prefix"
        assert np.array_equal(x, y)
        assert kill.confirmed <= n <= kill.reached, f"seed {kill.seed}: {key} has {n}, confirmed {kill.confirmed}"
        lengths.append(n)
    # (Lengths may differ by a step or two: the writer reads the series one after the
    # other while the loop records.)
    return min(lengths)


def _reopen_and_write(path: Path) -> None:
    """After the crash, a new process (here: a fresh runtime) writes into the same store."""
    rig = Rig(path, board=False)
    with rig.installed():

        @cf.task("after-crash")
        def run() -> cf.Execution:
            metric = cf.Metric("after", throttle=None)
            for i in range(100):
                metric.record(float(i), at=i)
            return cf.current_execution()

        exe = run()
        rig.compare(exe, board=False)
    assert integrity(path) == "ok"


def test_sigkill_at_random_moments(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(3, "SIGKILL at random moments of heavy recording")
    with ThreadPoolExecutor(max_workers=2) as pool:
        kills = list(pool.map(lambda seed: _kill_one(tmp_path, seed), range(RUNS)))
    for kill in kills:
        path = tmp_path / f"run{kill.seed}" / "metrics.sqlite"
        if path.exists():
            _reopen_and_write(path)
    worst = 0.0
    for kill in kills:
        lost = kill.reached - kill.stored
        assert lost >= 0
        if kill.rate > 0:
            worst = max(worst, lost / kill.rate)
    # The loss is the batch the writer had not committed: about one writer period of recording
    # (a few on a loaded machine, where the writer thread waits for the GIL and the disk).
    assert worst <= 6 * WRITER_INTERVAL, f"up to {worst:.2f} s of recording lost"
    confirmed = sum(k.confirmed for k in kills)
    ledger.done(
        row,
        f"{RUNS} kills ({sum(k.before_ready for k in kills)} while starting), {sum(k.reached for k in kills)} steps "
        f"x 4 metrics; then each store reopened and written",
        f"0 of {confirmed} confirmed steps; unconfirmed loss at most {worst * 1000:.0f} ms of recording "
        f"(writer batch {WRITER_INTERVAL * 1000:.0f} ms); integrity ok {RUNS}/{RUNS}",
    )


# -- KeyboardInterrupt ----------------------------------------------------------------------


def _interrupt_child(tmp: Path, where: str, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    store = tmp / f"int{where}{seed}" / "metrics.sqlite"
    child = subprocess.Popen(
        [PYTHON, CHILD, str(store), str(tmp / "unused"), f"interrupt-{where}", str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
    )
    assert child.stdout is not None and child.stderr is not None
    first = child.stdout.readline()
    assert first.startswith("READY"), first + child.stderr.read()
    time.sleep(rng.uniform(0.05, 0.8))
    child.send_signal(signal.SIGINT)
    try:
        out, err = child.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        raise AssertionError(f"{where}: the interrupted process hung (a lock held across the interrupt?)")
    assert child.returncode != 0 and "KeyboardInterrupt" in err, err[-2000:]
    last = [int(line.split()[1]) for line in out.splitlines() if line.startswith("LAST")]
    assert last, out + err
    runs = cf.executions(store)
    run = next(r for r in runs if r.id == first.split()[1])
    assert run.status == "interrupted", (where, run.status)
    x, y = run.series("value")
    steps_x, steps = run.series("steps")
    # The value recorded last is delivered (throttled at 10/s, it was pending when the interrupt came).
    assert y[-1] in (last[0] - 1, last[0]), (where, y[-5:], last)
    assert steps[-1] in (last[0], last[0] + 1), (where, steps[-5:], last)
    assert run.metrics["steps"].state == "stopped", run.metrics["steps"].state
    assert integrity(store) == "ok"
    return {"steps": last[0]}


@pytest.mark.parametrize("where", ["task", "script"])
def test_keyboard_interrupt_in_a_subprocess(tmp_path: Path, ledger: Ledger, where: str) -> None:
    place = "inside a task" if where == "task" else "at the top of a script (its process execution)"
    row = ledger.scenario(3, f"SIGINT (KeyboardInterrupt) in progress() {place}, random moments")
    results = [_interrupt_child(tmp_path, where, seed) for seed in range(3)]
    ledger.done(
        row,
        f"3 processes, {sum(r['steps'] for r in results)} steps",
        "0: status interrupted, last value and count reached stored, bar stopped",
    )


def test_keyboard_interrupt_in_process(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(3, "KeyboardInterrupt raised inside progress() inside a task, throttled values pending")
    rig = Rig(tmp_path / "kbd" / "metrics.sqlite")
    tried = 0
    with rig.installed(), warnings.catch_warnings():
        warnings.simplefilter("error", cf.CellfluxWarning)
        for stop in (0, 1, 7, 500):
            metric = cf.Metric("loss", group="train")
            seen: list[cf.Execution] = []

            @cf.task("interrupted")
            def train() -> None:
                seen.append(cf.current_execution())
                for step in cf.progress(range(1000), key="epoch", group="train"):
                    metric.record(1.0 / (step + 1))
                    rig.clock.advance(0.001)
                    if step == stop:
                        raise KeyboardInterrupt

            with pytest.raises(KeyboardInterrupt):
                train()
            exe = seen[0]
            assert exe.status == "interrupted"
            # Delivered at the end of the execution, without a flush: the last value and the count.
            assert exe.series("loss")[1][-1] == 1.0 / (stop + 1)
            assert exe.series("epoch")[1][-1] == stop
            assert exe.buffers["epoch"].state == "stopped"
            rig.compare(exe)  # and stored, and on the board
            stored = rig.stored_execution(exe.id)
            assert stored.status == "interrupted"
            tried += 1
    ledger.done(row, f"{tried} interrupts (first step, early, late)", "0: last value and count delivered, stored, drawn")
