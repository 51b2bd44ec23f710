"""The static snapshot's charts: cellflux's own SVG writer against matplotlib, side by side.

At the end of an execution a board with 4 charts of 1,000,000 points each is
drawn for the saved notebook. Each chart is drawn three ways from the same
decimated lines (``board_view``, shared by all): cellflux's writer
(``display/chart_svg.py``), matplotlib's SVG backend and matplotlib's PNG (2x,
for high-density screens). Prints, for each: the time to draw the charts, the
whole end of the execution (snapshot + drawing), bytes per chart and per
notebook output (base64 data URIs, as saved), and ratios to cellflux's writer;
then matplotlib's import cost in a fresh process (paid at the first end of an
execution in a kernel). Medians of ``ROUNDS`` rounds, the ways interleaved.
The matplotlib chart is tuned to show what ours shows (title, legend, y-axes
left and right with units, k/M tick labels, gaps, dots for lone points, fixed
bounds, colours): the fairest matplotlib we could write.

Run: ``python benchmarks/bench_snapshot.py`` (needs ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import base64
import io
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cellflux.definitions import MetricGroup
from cellflux.display.chart_svg import CHART_H, CHART_W, LineData, chart_svg, cut
from cellflux.display.layout import PALETTE, ChartSpec, layout, time_unit
from cellflux.display.static import BoardView, board_view, render_html

N = 1_000_000
CHARTS = 4
ROUNDS = 7
IMPORT_ROUNDS = 5


@dataclass
class _Series:
    key: str
    xs: np.ndarray[Any, Any]
    ys: np.ndarray[Any, Any]
    group: MetricGroup
    scale: None = None
    x_auto: bool = False
    state: None = None

    def read(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        return self.xs, self.ys


@dataclass
class _Run:
    name: str = "bench"
    status: str = "succeeded"
    started_at: float = 0.0
    ended_at: float = 90.0
    series: dict[str, _Series] = field(default_factory=dict)


def four_charts() -> _Run:
    rng = np.random.default_rng(0)
    run = _Run()
    for c in range(CHARTS):
        ys = np.cumsum(rng.normal(size=N))
        ys[int(rng.integers(1, N - 1))] = ys.max() + 1000.0  # a spike the chart must keep
        run.series[f"m{c}"] = _Series(f"m{c}", np.arange(N, dtype=np.float64), ys, MetricGroup(f"group {c}"))
    return run


def charts_of(view: BoardView) -> list[tuple[ChartSpec, list[LineData]]]:
    """What each chart draws, as ``static.render_html`` computes it."""
    by_key = {s.key: s for s in view.series}
    out, offset = [], 0
    for spec in layout(view.series):
        lines = [
            LineData(ls.key, PALETTE[(offset + i) % len(PALETTE)], by_key[ls.key].xs, by_key[ls.key].ys,
                     by_key[ls.key].last)
            for i, ls in enumerate(spec.lines)
        ]
        offset += len(lines)
        if lines:
            out.append((spec, lines))
    return out


# -- the ways ------------------------------------------------------------------------------


def ours(spec: ChartSpec, lines: Sequence[LineData]) -> tuple[str, bytes]:
    return "image/svg+xml", chart_svg(spec, lines).markup.encode("utf-8")


def _k_m(value: float, _pos: object = None) -> str:
    for divisor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= divisor:
            return f"{value / divisor:g}{suffix}"
    return f"{value:g}"


def matplotlib_chart(spec: ChartSpec, lines: Sequence[LineData], fmt: str) -> tuple[str, bytes]:
    """The same chart drawn by matplotlib (imported here, lazily, as cellflux would)."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    rc = {
        "svg.fonttype": "none", "svg.hashsalt": "cellflux", "text.parse_math": False, "font.size": 8.5,
        "axes.edgecolor": "#888", "xtick.color": "#666", "ytick.color": "#666", "axes.titlesize": 10,
        "axes.titleweight": "bold", "axes.spines.top": False, "axes.spines.right": False,
        "grid.color": "#e6e6e6", "axes.grid": True, "legend.frameon": False, "legend.fontsize": 8.5,
    }
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(CHART_W / 100, CHART_H / 100), dpi=100, layout="constrained")
        main = fig.add_subplot()
        divisor, x_label = time_unit(spec, max((float(np.max(d.xs)) for d in lines if d.xs.size), default=0.0))
        axes = []
        for index, axis in enumerate(spec.axes):
            ax = main if index == 0 else main.twinx()
            if index:
                ax.grid(False)
                ax.spines[axis.side].set_visible(True)
                ax.yaxis.set_ticks_position(axis.side)
                ax.yaxis.set_label_position(axis.side)
            if axis.offset:
                ax.spines[axis.side].set_position(("outward", 58 * axis.offset))
            ax.set_ylabel(cut(axis.label, 40))
            ax.yaxis.set_major_formatter(FuncFormatter(_k_m))
            axes.append(ax)
        handles = []
        for data, line in zip(lines, spec.lines):
            ax = axes[line.axis]
            xs = data.xs / divisor
            (handle,) = ax.plot(xs, data.ys, color=data.colour, linewidth=1.5, label=cut(data.key))
            finite = np.isfinite(data.ys)
            lone = finite & ~np.r_[False, finite[:-1]] & ~np.r_[finite[1:], False]
            if lone.any():
                ax.plot(xs[lone], data.ys[lone], "o", color=data.colour, markersize=3)
            if sum(1 for ls in spec.lines if ls.axis == line.axis) == 1:
                ax.tick_params(axis="y", colors=data.colour)
                ax.yaxis.label.set_color(data.colour)
                ax.spines[spec.axes[line.axis].side].set_color(data.colour)
            handles.append(handle)
        for ax, axis in zip(axes, spec.axes):
            if axis.lower is not None or axis.upper is not None:  # after the lines: a bare set_ylim stops autoscaling
                ax.set_ylim(axis.lower, axis.upper)
        main.set_xlabel(x_label)
        main.xaxis.set_major_formatter(FuncFormatter(_k_m))
        if spec.x_lower is not None or spec.x_upper is not None:
            main.set_xlim(None if spec.x_lower is None else spec.x_lower / divisor,
                          None if spec.x_upper is None else spec.x_upper / divisor)
        main.set_title(cut(spec.title, 80))
        main.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=min(4, len(handles)))
        out = io.BytesIO()
        if fmt == "svg":
            fig.savefig(out, format="svg", metadata={"Date": None})
            return "image/svg+xml", out.getvalue()
        fig.savefig(out, format="png", dpi=200, metadata={"Software": None})
        return "image/png", out.getvalue()


WAYS: dict[str, Callable[[ChartSpec, Sequence[LineData]], tuple[str, bytes]]] = {
    "cellflux SVG": ours,
    "matplotlib SVG": lambda spec, lines: matplotlib_chart(spec, lines, "svg"),
    "matplotlib PNG 2x": lambda spec, lines: matplotlib_chart(spec, lines, "png"),
}


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def import_cost() -> tuple[float, float]:
    """Seconds to import matplotlib's figure and SVG backend, and to draw a first chart, in a fresh
    process that has imported cellflux already (as a kernel at the end of an execution has)."""
    code = (
        "import time, io, cellflux\n"
        "t0 = time.perf_counter()\n"
        "from matplotlib.figure import Figure\n"
        "import matplotlib.backends.backend_svg\n"
        "t1 = time.perf_counter()\n"
        "f = Figure(); f.add_subplot().plot([0, 1], [0, 1]); f.savefig(io.BytesIO(), format='svg')\n"
        "t2 = time.perf_counter()\n"
        "print(t1 - t0, t2 - t1)\n"
    )
    imports, firsts = [], []
    for _ in range(IMPORT_ROUNDS):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        a, b = map(float, out.split())
        imports.append(a)
        firsts.append(b)
    return statistics.median(imports), statistics.median(firsts)


def main() -> None:
    try:
        import matplotlib
    except ImportError:
        sys.exit("matplotlib is not installed: pip install -e '.[bench]'")
    run = four_charts()
    view = board_view(run)
    charts = charts_of(view)
    for way in WAYS.values():  # warm up: imports, font cache, first-call costs
        way(*charts[0])
    snapshot: list[float] = []
    drawing: dict[str, list[float]] = {name: [] for name in WAYS}
    images: dict[str, list[str]] = {}
    for r in range(ROUNDS):
        t0 = time.perf_counter()
        board_view(run)
        snapshot.append(time.perf_counter() - t0)
        names = list(WAYS)
        for name in names[r % len(names):] + names[: r % len(names)]:
            t0 = time.perf_counter()
            images[name] = [data_uri(*WAYS[name](spec, lines)) for spec, lines in charts]
            drawing[name].append(time.perf_counter() - t0)

    html = render_html(view, images=True)
    ours_uris = images["cellflux SVG"]
    assert all(uri in html for uri in ours_uris), "the benchmark draws what render_html draws"
    around = len(html) - sum(map(len, ours_uris))
    """The notebook output without its chart images: header, stats tables."""
    snap = statistics.median(snapshot)
    base_draw = statistics.median(drawing["cellflux SVG"])
    base_size = around + sum(map(len, ours_uris))
    print(f"{CHARTS} charts of {N:,} points, each line decimated to <= 1,200 points; "
          f"median of {ROUNDS} rounds (matplotlib {matplotlib.__version__})")
    print(f"  snapshot (board_view: reading and decimating 4M points, shared by all): {snap * 1e3:7.1f} ms")
    print(f"  {'way':<18} {'draw 4 charts':>14} {'end of execution':>17} {'bytes/chart':>12} "
          f"{'bytes/output':>13}   ratios to cellflux SVG (draw, end, bytes)")
    for name in WAYS:
        draw = statistics.median(drawing[name])
        per_chart = statistics.mean(map(len, images[name]))
        output = around + sum(map(len, images[name]))
        print(
            f"  {name:<18} {draw * 1e3:11.1f} ms {(snap + draw) * 1e3:14.1f} ms {per_chart:12,.0f} {output:13,}"
            f"   {draw / base_draw:6.1f}x {(snap + draw) / (snap + base_draw):5.2f}x {output / base_size:5.2f}x"
        )
    imported, first = import_cost()
    print(f"  matplotlib in a fresh process: import {imported * 1e3:.0f} ms, first chart {first * 1e3:.0f} ms "
          f"(median of {IMPORT_ROUNDS}); cellflux's writer imports nothing new")


if __name__ == "__main__":
    main()
