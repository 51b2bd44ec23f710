"""``python -m benchmarks``: cellflux and its peers on W1..W5, side by side in one run.

Writes ``benchmarks/results.md`` (``--quick``: a smoke run of a couple of
minutes, written to ``cellflux-bench-quick.md`` in the temporary directory
unless ``--out`` says otherwise).
Install the peers first: ``pip install -e '.[bench]'``; a peer that is missing
or fails appears in the tables with the reason.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import report, w1_progress, w2_logging, w4_live, w5_readback
from .harness import ROOT, Outcome, Runner, Tool, interleave, missing, versions

PEERS = ["tqdm", "fastprogress", "livelossplot", "trackio", "tensorboardX", "tensorboard", "crc32c", "mlflow",
         "wandb", "plotly", "ipywidgets", "anywidget", "bqplot", "matplotlib", "numpy"]
WORKLOADS = ("W1", "W2", "W4", "W5")
"""W3 is measured in W2's jobs: the end of W2's loop is where W3 starts."""


def log(text: str) -> None:
    print(text, flush=True)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        gib = int(mem.split()[1]) / 2**20
    except (OSError, StopIteration, ValueError):
        gib = 0.0
    return f"{model}, {os.cpu_count()} cores, {gib:.0f} GiB RAM, {platform.machine()}"


def cellflux_version() -> str:
    version = versions(["cellflux"])["cellflux"]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "src"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return version
    return f"{version} (commit {commit}{', with uncommitted changes in src/' if dirty else ''})"


def run_w5(runner: Runner, tools: list[Tool], rounds: int, budget: float) -> list[Outcome]:
    """Make each store once, then read it back in interleaved rounds."""
    made: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for tool in tools:
        if missing(tool):
            continue  # interleave() reports it
        started = time.perf_counter()
        result = runner.run(Tool(tool.name, tool.workload, tool.params["make"], tool.requires, tool.params))
        if "error" in result:
            failed[tool.name] = f"failed to make the store: {result['error']}"
            log(f"    {tool.name}: {failed[tool.name]}")
        else:
            made[tool.name] = result
            log(f"    made {tool.name} store in {time.perf_counter() - started:.1f} s")
    outcomes = interleave(runner, [t for t in tools if t.name not in failed], rounds, budget=budget,
                          extra=made, log=log)
    for name, reason in failed.items():
        outcomes.append(Outcome(next(t for t in tools if t.name == name), reason=reason))
    for o in outcomes:
        stored = made.get(o.tool.name)
        if stored:
            for run in o.runs:
                run["bytes"] = stored.get("bytes")
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: smaller sizes, one round")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="workloads to run, e.g. W1,W4 (W2 includes W3)")
    parser.add_argument("--out", type=Path, help="where to write the Markdown results")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    quick = args.quick
    only = {w.strip().upper() for w in args.only.split(",")}
    if "W3" in only:
        only.add("W2")
    rounds = {"W1": 2, "W2": 1, "W4": 1, "W5": 1} if quick else {"W1": 5, "W2": 3, "W4": 3, "W5": 3}
    runner = Runner(timeout=180 if quick else 600)
    quick_out = Path(tempfile.gettempdir()) / "cellflux-bench-quick.md"
    out = args.out or (quick_out if quick else ROOT / "benchmarks" / "results.md")
    started, load0 = time.perf_counter(), os.getloadavg()[0]
    log(f"scratch directory: {runner.scratch}")
    sections: list[str] = []
    try:
        if "W1" in only:
            log("W1 progress")
            tools = w1_progress.tools(quick)
            sections.append(report.w1(interleave(runner, tools, rounds["W1"], log=log), tools[0].params["n"]))
        if "W2" in only:
            log("W2 logging (and W3 durable)")
            tools = w2_logging.tools(quick)
            outcomes = interleave(runner, tools, rounds["W2"], budget=60.0, log=log)
            default, unthrottled = tools[0].name, tools[1].name
            sections.append(report.w2(outcomes, default, unthrottled))
            sections.append(report.w3(outcomes, default, unthrottled))
        if "W4" in only:
            log("W4 live view")
            tools = w4_live.tools(quick)
            sections.append(report.w4(interleave(runner, tools, rounds["W4"], log=log), tools[0].params["seconds"]))
        if "W5" in only:
            log("W5 read back")
            tools = w5_readback.tools(quick)
            outcomes = run_w5(runner, tools, rounds["W5"], budget=90.0)
            sections.append(report.w5(outcomes, tools[0].params["points"], w5_readback.NOT_FEASIBLE))
    finally:
        if not args.keep:
            shutil.rmtree(runner.scratch, ignore_errors=True)
    minutes, seconds = divmod(int(time.perf_counter() - started), 60)
    meta = {
        "command": "python -m benchmarks" + (" --quick" if quick else "")
        + ("" if args.only == ",".join(WORKLOADS) else f" --only {args.only}"),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "duration": f"{minutes} min {seconds} s",
        "machine": machine(),
        "load": f"{load0:.1f} / {os.getloadavg()[0]:.1f}",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cellflux": cellflux_version(),
        "versions": versions(PEERS),
        "rounds": ", ".join(f"{k} {v}" for k, v in rounds.items() if k in only),
    }
    text = report.header(meta) + "\n\n" + "\n\n".join(sections) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    log("")
    log(text)
    log(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
