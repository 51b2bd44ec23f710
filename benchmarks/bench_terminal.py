"""The terminal progress line: cellflux's own against tqdm and rich, side by side.

The same run, a ``train`` task looping over 3 epochs, each calling a ``batches``
task that loops over 50 batches of 0.2 s (a fake clock), is drawn by three
sinks that read the same progress series: cellflux's ``TextProgress`` (one line
for every running bar), a tqdm bar per series (``position`` 0, 1, ...) and a
rich ``Progress`` with one task per series. Each is redrawn after every batch.
Prints, for each: bytes written to the terminal, the time per redraw, and the
import cost in a fresh process that has imported cellflux, with ratios to
cellflux's line. ``--show`` also prints what each terminal shows in the middle and at the end
(through pyte, a terminal emulator, if it is installed).

Run: ``python benchmarks/bench_terminal.py`` (needs tqdm and rich installed).
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import cellflux as cf
from cellflux.display.bar_text import ProgressTally
from cellflux.display.text import TextProgress
from cellflux.runtime import Runtime, use_runtime

EPOCHS, BATCHES, BATCH_SECONDS = 3, 50, 0.2
COLUMNS = 100
ROUNDS = 7
IMPORTS = {
    "cellflux": "import cellflux.display.text",
    "tqdm": "from tqdm import tqdm",
    "rich": "from rich.progress import Progress",
}


class Terminal(io.StringIO):
    """What the terminal received; it says it is one."""

    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Fed:
    """A progress series with its own cursor and tally, as each sink keeps them."""

    def __init__(self, series: Any) -> None:
        self.series, self.tally, self.cursor = series, ProgressTally(), 0

    def count(self) -> float:
        xs, ys = self.series.read(self.cursor)
        self.cursor += xs.size
        self.tally.add(xs, ys)
        return self.tally.count

    @property
    def done(self) -> bool:
        return self.series.state not in ("running", None)


class TqdmSink:
    """One tqdm bar per progress series; an inner bar is cleared when its loop ends."""

    fork_safe = False

    def __init__(self, stream: io.StringIO, clock: Clock) -> None:
        from tqdm import tqdm

        self.make, self.stream, self.clock = tqdm, stream, clock
        self.bars: dict[Any, tuple[Any, _Fed]] = {}

    def execution_started(self, execution: Any) -> None:
        pass

    def series_created(self, series: Any) -> None:
        if series.scale is None or not series.scale.progress:
            return
        total = series.scale.upper
        bar = self.make(total=None if total is None else int(total), desc=series.key, file=self.stream,
                        position=len(self.bars), leave=not self.bars, ncols=COLUMNS, mininterval=0, miniters=0,
                        ascii=False)
        bar._time = self.clock
        bar.start_t = bar.last_print_t = self.clock()
        self.bars[series] = (bar, _Fed(series))

    def tick(self) -> None:
        for series, (bar, fed) in list(self.bars.items()):
            bar.n = int(fed.count())
            bar.refresh()
            if fed.done:
                bar.close()
                del self.bars[series]

    def execution_ended(self, execution: Any) -> None:
        self.tick()

    def flush(self) -> None:
        self.tick()


class RichSink:
    """A rich Progress (a live region of one line per bar); an inner bar leaves when its loop ends."""

    fork_safe = False

    def __init__(self, stream: io.StringIO, clock: Clock) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        console = Console(file=stream, force_terminal=True, width=COLUMNS, color_system="standard")
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), console=console, auto_refresh=False, get_time=clock,
            redirect_stdout=False, redirect_stderr=False,
        )
        self.tasks: dict[Any, tuple[Any, _Fed]] = {}

    def execution_started(self, execution: Any) -> None:
        pass

    def series_created(self, series: Any) -> None:
        if series.scale is None or not series.scale.progress:
            return
        if not self.tasks:
            self.progress.start()
        self.tasks[series] = (self.progress.add_task(series.key, total=series.scale.upper), _Fed(series))

    def tick(self) -> None:
        for series, (task, fed) in list(self.tasks.items()):
            self.progress.update(task, completed=fed.count())
            if fed.done:
                self.progress.stop_task(task)
                if len(self.tasks) > 1:
                    self.progress.remove_task(task)
                del self.tasks[series]
        self.progress.refresh()
        if not self.tasks:
            self.progress.stop()

    def execution_ended(self, execution: Any) -> None:
        self.tick()

    def flush(self) -> None:
        self.tick()


SINKS: dict[str, Callable[[Terminal, Clock], Any]] = {
    "cellflux": lambda stream, clock: TextProgress(stream, clock=clock, thread=False, width=COLUMNS),
    "tqdm": TqdmSink,
    "rich": RichSink,
}


def run(name: str) -> tuple[str, int, list[float]]:
    """The run drawn by sink ``name``: what the terminal received (and how much of it by the middle
    of the second epoch), and the time of each redraw."""
    stream, clock = Terminal(), Clock()
    middle = 0
    runtime = Runtime(clock=clock, wall=clock, flusher_thread=False)
    redraws: list[float] = []
    with use_runtime(runtime):
        sink = SINKS[name](stream, clock)
        runtime.add_sink(sink)

        @cf.task()
        def batches() -> None:
            for _ in cf.progress(range(BATCHES), key="batch"):
                clock.now += BATCH_SECONDS
                runtime.flusher.run_due()
                t0 = time.perf_counter()
                sink.tick()
                redraws.append(time.perf_counter() - t0)
                if len(redraws) == BATCHES + BATCHES // 2:
                    nonlocal middle
                    middle = len(stream.getvalue())

        @cf.task()
        def train() -> None:
            for _ in cf.progress(range(EPOCHS), key="epoch"):
                batches()

        train()
        sink.tick()
    return stream.getvalue(), middle, redraws


def import_cost(code: str) -> float:
    timed = f"import time, cellflux\nt0 = time.perf_counter()\n{code}\nprint(time.perf_counter() - t0)\n"
    return float(subprocess.run([sys.executable, "-c", timed], capture_output=True, text=True, check=True).stdout)


def show(received: str) -> None:
    try:
        import pyte
    except ImportError:
        print("  (pip install pyte to see the final screens)")
        return
    screen = pyte.Screen(COLUMNS, 8)
    pyte.Stream(screen).feed(received.replace("\n", "\r\n"))  # as a tty's output processing would
    for line in screen.display:
        if line.strip():
            print("  |" + line.rstrip())


def main() -> None:
    for module in ("tqdm", "rich"):
        try:
            __import__(module)
        except ImportError:
            sys.exit(f"{module} is not installed: pip install {module}")
    per_redraw: dict[str, list[float]] = {name: [] for name in SINKS}
    imports: dict[str, list[float]] = {name: [] for name in SINKS}
    output: dict[str, str] = {}
    middle: dict[str, int] = {}
    for r in range(ROUNDS):
        names = list(SINKS)
        for name in names[r % len(names):] + names[: r % len(names)]:
            output[name], middle[name], redraws = run(name)
            per_redraw[name].append(statistics.median(redraws))
            imports[name].append(import_cost(IMPORTS[name]))
    base_redraw = statistics.median(per_redraw["cellflux"])
    base_bytes = len(output["cellflux"].encode())
    base_import = statistics.median(imports["cellflux"])
    print(f"{EPOCHS} epochs x {BATCHES} batches, one redraw per batch, {COLUMNS} columns; median of {ROUNDS} rounds")
    print(f"  {'sink':<9} {'bytes written':>13} {'per redraw':>12} {'import':>9}   ratios to cellflux (bytes, redraw, import)")
    for name in SINKS:
        size = len(output[name].encode())
        redraw = statistics.median(per_redraw[name])
        imported = statistics.median(imports[name])
        print(f"  {name:<9} {size:13,} {redraw * 1e6:9.0f} us {imported * 1e3:6.1f} ms"
              f"   {size / base_bytes:5.1f}x {redraw / base_redraw:5.1f}x {imported / base_import:6.1f}x")
    if "--show" in sys.argv:
        for name in SINKS:
            print(f"{name}: the terminal in the middle of the second epoch")
            show(output[name][: middle[name]])
            print(f"{name}: the terminal at the end")
            show(output[name])


if __name__ == "__main__":
    main()
