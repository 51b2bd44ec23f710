"""Tools, jobs and statistics: each measurement runs in a fresh process.

A :class:`Tool` is one row of a table: a function of a workload module, the
distributions it needs, and the cellflux row it is compared with. The runner
starts ``python -m benchmarks.job`` for one (tool, round), with every peer
pointed at a private temporary directory and kept offline, and reads back the
JSON result; a tool that is missing, fails or hangs becomes a row with the reason.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Tool:
    """One row: ``workload``'s function ``fn`` run with ``params``."""

    name: str
    workload: str
    fn: str
    requires: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    ref: str = ""
    """The cellflux row this one is compared with (empty: the workload's first row)."""

    @property
    def is_cellflux(self) -> bool:
        return self.name.startswith("cellflux")


@dataclass
class Outcome:
    """The results of a tool over all rounds, or why there are none."""

    tool: Tool
    runs: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    """Why there is no figure (set only when no round succeeded)."""
    failures: list[str] = field(default_factory=list)
    rounds: int = 0
    """Rounds asked for (a slow tool may have stopped after two)."""

    def values(self, key: str) -> list[float]:
        return [float(r[key]) for r in self.runs if r.get(key) is not None]

    def median(self, key: str) -> float | None:
        values = self.values(key)
        return statistics.median(values) if values else None

    def spread(self, key: str) -> tuple[float, float] | None:
        values = self.values(key)
        return (min(values), max(values)) if values else None

    def first(self, key: str) -> Any:
        return self.runs[0].get(key) if self.runs else None


def missing(tool: Tool) -> str | None:
    """Why ``tool`` cannot run here (a distribution not installed), or None."""
    absent = []
    for dist in tool.requires:
        try:
            metadata.version(dist)
        except metadata.PackageNotFoundError:
            absent.append(dist)
    if absent:
        return f"not installed: {', '.join(absent)} (pip install -e '.[bench]')"
    return None


def offline_env(scratch: Path) -> dict[str, str]:
    """The environment of every job: private directories, no network, no telemetry."""
    env = dict(os.environ)
    # Older OpenBLAS builds need these on some CPUs, and they slow a current numpy:
    # unset for every tool alike (see the machine notes).
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    home = scratch / "home"
    for sub in ("wandb", "trackio", "hf", "mpl", "cache", "config"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env.update(
        WANDB_MODE="offline", WANDB_SILENT="true", WANDB_CONSOLE="off", WANDB_DISABLE_GIT="true",
        WANDB_DISABLE_CODE="true", WANDB_DIR=str(home / "wandb"), WANDB_CONFIG_DIR=str(home / "config"),
        WANDB_CACHE_DIR=str(home / "cache"), WANDB_DATA_DIR=str(home / "wandb"),
        HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1", HF_HOME=str(home / "hf"),
        TRACKIO_DIR=str(home / "trackio"), GRADIO_ANALYTICS_ENABLED="False",
        MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="1",
        MPLCONFIGDIR=str(home / "mpl"), MPLBACKEND="Agg",
        CELLFLUX_DISPLAY="0", CELLFLUX_STORE=str(scratch / "default-store.sqlite"),
        XDG_CACHE_HOME=str(home / "cache"), PYTHONHASHSEED="0",
    )
    return env


class Runner:
    """Runs jobs in fresh processes under one scratch directory."""

    def __init__(self, scratch: Path | None = None, timeout: float = 300.0) -> None:
        self.scratch = scratch or Path(tempfile.mkdtemp(prefix="cellflux-bench-"))
        self.timeout = timeout
        self.env = offline_env(self.scratch)
        self._n = 0

    def workdir(self, label: str) -> Path:
        self._n += 1
        path = self.scratch / f"{self._n:04d}-{label}"
        path.mkdir(parents=True)
        return path

    def run(self, tool: Tool, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """One job: the tool's result dict, or ``{"error": reason}``."""
        work = self.workdir(tool.fn)
        out = work / "result.json"
        params = {**tool.params, **(extra or {}), "workdir": str(work)}
        command = [sys.executable, "-m", "benchmarks.job", tool.workload, tool.fn, json.dumps(params), str(out)]
        try:
            done = subprocess.run(
                command, cwd=ROOT, env=self.env, timeout=self.timeout,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {self.timeout:.0f} s"}
        if done.returncode != 0 or not out.exists():
            lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
            last = lines[-1] if lines else f"exit code {done.returncode}"
            return {"error": last[:300]}
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def interleave(
    runner: Runner, tools: list[Tool], rounds: int, *, budget: float = float("inf"),
    extra: dict[str, dict[str, Any]] | None = None, log: Any = print,
) -> list[Outcome]:
    """Run every available tool once per round, in a rotated order each round.

    A tool whose jobs took more than ``budget`` seconds in all stops after two
    rounds; ``extra`` adds parameters by tool name (a store made beforehand).
    """
    outcomes = [Outcome(t, reason=missing(t), rounds=rounds) for t in tools]
    live = [o for o in outcomes if o.reason is None]
    spent = {id(o): 0.0 for o in live}
    for r in range(rounds):
        k = r % len(live) if live else 0
        for outcome in live[k:] + live[:k]:
            if outcome.failures and not outcome.runs:
                continue  # failed in an earlier round: no point in more
            if len(outcome.runs) >= 2 and spent[id(outcome)] > budget:
                continue
            started = time.perf_counter()
            result = runner.run(outcome.tool, {"round": r, **(extra or {}).get(outcome.tool.name, {})})
            took = time.perf_counter() - started
            spent[id(outcome)] += took
            if "error" in result:
                outcome.failures.append(result["error"])
                log(f"    round {r + 1}/{rounds} {outcome.tool.name}: failed: {result['error']}")
                continue
            outcome.runs.append(result)
            log(f"    round {r + 1}/{rounds} {outcome.tool.name}: {brief(result)} (job {took:.1f} s)")
    for outcome in live:
        if not outcome.runs and outcome.failures:
            outcome.reason = f"failed: {outcome.failures[-1]}"
    return outcomes


def brief(result: dict[str, Any]) -> str:
    keys = [k for k, v in result.items() if isinstance(v, (int, float)) and not isinstance(v, bool)][:3]
    return ", ".join(f"{k}={result[k]:.4g}" for k in keys)


def versions(dists: list[str]) -> dict[str, str]:
    found = {}
    for dist in dists:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    return found
