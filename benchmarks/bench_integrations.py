"""Cost per training step of each integration, and its fixed cost per run, side by side in one run.

Timing a whole training and dividing by its steps mixes two costs: what each
step adds, and what a run costs once whatever its length (the Trainer and its
callbacks made, the run opened in the store, the final flush). So every
variant (see ``integrations_trainings``) trains twice per round, for the base
length L and for 3L (epochs, or boosting rounds); in that round

- the cost per step is the slope ``(T(3L) - T(L)) / (steps(3L) - steps(L))``;
- the fixed cost per run is the intercept ``T(L) - steps(L) * slope``.

The variants are interleaved round by round (the order rotated, the two
lengths alternated) and the medians over rounds are reported with their
interquartile range, next to each other and each with its excess over
``none``, from the wall clock and from the process's CPU time (all threads: the
store's writer thread counts; on a shared, loaded machine the CPU time is the
steadier of the two). The verdict compares cellflux's per-step cost with the
default progress output's, round by round: "slower" only when cellflux is
slower in more than three rounds in four (the lower quartile of the per-round
ratios above 1).

The trainings run on one thread (``OMP_NUM_THREADS=1`` unless set): the models
are tiny, and on a shared 2-core machine torch's spinning worker threads turn
any other runnable thread (cellflux's, TensorBoard's, or another job's) into
tens of milliseconds per step of scheduling noise; measured here, the Hugging
Face step went from about 80 ms (2 threads) to 6 ms (1 thread) for every variant.

Run: ``python benchmarks/bench_integrations.py [framework ...] [--rounds N] [--write]``
(needs the ``integrations`` and ``bench`` extras; ``BENCH_ROUNDS`` is the default
of ``--rounds``). ``--write`` writes ``benchmarks/results-integrations.md``: run it
deliberately, the tests never do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported: see above
os.environ.setdefault("CELLFLUX_DISPLAY", "0")
os.environ["CELLFLUX_STORE"] = os.path.join(tempfile.mkdtemp(prefix="cellflux-bench-"), "metrics.sqlite")
sys.path.insert(0, str(Path(__file__).parent))  # run as a script: the trainings module is a sibling

from integrations_trainings import BENCHES, Train  # noqa: E402

RESULTS = Path(__file__).with_name("results-integrations.md")
LENGTHS = (1, 3)


@dataclass
class Variant:
    """One variant's figures, one per round: seconds per step (the slope) and per run (the intercept)."""

    per_step: list[float] = field(default_factory=list)
    fixed: list[float] = field(default_factory=list)
    cpu_per_step: list[float] = field(default_factory=list)
    """The same from the process's CPU time (every thread): less swayed by a loaded machine."""
    cpu_fixed: list[float] = field(default_factory=list)


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def measure(train: Train, variants: list[str], rounds: int) -> dict[str, Variant]:
    for variant in variants:  # warm-up: imports, first compilations, caches
        train(variant, LENGTHS[0])
    out = {v: Variant() for v in variants}
    for r in range(rounds):
        for variant in variants[r % len(variants):] + variants[: r % len(variants)]:
            timed: dict[int, tuple[int, float, float]] = {}
            for length in LENGTHS if r % 2 == 0 else LENGTHS[::-1]:
                wall, cpu = time.perf_counter(), time.process_time()
                steps = train(variant, length)
                timed[length] = steps, time.perf_counter() - wall, time.process_time() - cpu
            (s1, t1, c1), (s3, t3, c3) = timed[LENGTHS[0]], timed[LENGTHS[1]]
            v = out[variant]
            v.per_step.append((t3 - t1) / (s3 - s1))
            v.fixed.append(t1 - s1 * v.per_step[-1])
            v.cpu_per_step.append((c3 - c1) / (s3 - s1))
            v.cpu_fixed.append(c1 - s1 * v.cpu_per_step[-1])
    return out


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.0f}"


def cell(values: list[float], floor: list[float], unit: Callable[[float], str]) -> str:
    """Median [IQR] (+ the median's excess over the floor's median)."""
    q1, q2, q3 = quartiles(values)
    return f"{unit(q2)} [{unit(q1)}–{unit(q3)}] ({'+' if q2 >= statistics.median(floor) else ''}" \
           f"{unit(q2 - statistics.median(floor))})"


def verdict(name: str, clock: str, cellflux: list[float], default: list[float]) -> str:
    ratios = [c / d for c, d in zip(cellflux, default) if d > 0]
    r1, r2, r3 = quartiles(ratios)
    slower = "slower" if r1 > 1 else "not measurably slower"
    return f"{name}, {clock}: per step, cellflux / default = {r2:.2f} [IQR {r1:.2f}–{r3:.2f}]: {slower}"


def table(name: str, results: dict[str, Variant]) -> list[str]:
    """A markdown table of one framework's variants (each cell: median [IQR] (over none)), then the verdicts."""
    none = results["none"]
    lines = [f"### {name}", "",
             "| variant | per step, wall µs | per step, CPU µs | fixed per run, wall ms | fixed per run, CPU ms |",
             "|---|---|---|---|---|"]
    for variant, v in results.items():
        lines.append(f"| {variant} | {cell(v.per_step, none.per_step, us)} | {cell(v.cpu_per_step, none.cpu_per_step, us)}"
                     f" | {cell(v.fixed, none.fixed, ms)} | {cell(v.cpu_fixed, none.cpu_fixed, ms)} |")
    c, d = results["cellflux"], results["default"]
    return lines + ["", verdict(name, "wall", c.per_step, d.per_step) + "; " +
                    verdict(name, "CPU", c.cpu_per_step, d.cpu_per_step).split(", ", 1)[1], ""]


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def versions(names: list[str]) -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ["cellflux", "torch", "keras", "lightning", "transformers", "xgboost", "xgboost-cpu", "lightgbm", "tensorboardX",
                    "livelossplot"]:
        if package in ("cellflux", "torch", "tensorboardX", *names) or (package == "livelossplot" and "keras" in names) \
                or (package == "xgboost-cpu" and "xgboost" in names):
            try:
                found.append(f"{package} {version(package)}")
            except PackageNotFoundError:
                pass
    return ", ".join(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("frameworks", nargs="*", help=f"any of {', '.join(BENCHES)} (default: all)")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "5")))
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    args = parser.parse_args()
    names = args.frameworks or list(BENCHES)
    unknown = set(names) - set(BENCHES)
    if unknown:
        parser.error(f"unknown framework(s): {', '.join(sorted(unknown))}")
    started, load_before = time.monotonic(), load()
    print(f"{args.rounds} interleaved rounds of lengths {LENGTHS} x base; load average {load_before}", flush=True)
    body: list[str] = []
    for name in names:
        train, variants = BENCHES[name]()
        lines = table(name, measure(train, variants, args.rounds))
        print("\n".join(lines), flush=True)
        body += lines
    minutes = (time.monotonic() - started) / 60
    print(f"load average at the end {load()}; {minutes:.0f} min", flush=True)
    if args.write:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), platform.processor())
        head = [
            "# Integrations: cost per training step and per run", "",
            f"Written by `python benchmarks/bench_integrations.py --write` on {dt.date.today()}: {args.rounds} "
            f"interleaved rounds, each variant trained for {LENGTHS[0]}x and {LENGTHS[1]}x its base length; per step "
            "is the slope between the two, fixed per run the intercept (see the module's docstring). Medians, "
            "[interquartile range].", "",
            f"Machine: {cpu}, {os.cpu_count()} cores, shared; trainings with OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}; load average {load_before} at the start, {load()} at "
            f"the end ({minutes:.0f} min). Versions: {versions(names)}.", "",
        ]
        RESULTS.write_text("\n".join(head + body), encoding="utf-8")
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
