"""Time from ``record()`` to the point drawn in the page, at default settings.

The cell records one value every 50 ms for 5 s (the default throttle, 10 values/s,
keeps about half of them) and writes, for each value, the wall-clock time just before
its ``record()`` and, at the end, which values were emitted, in order. In the page a
MutationObserver notes the wall-clock time at which the line's path grows past each
point. Both clocks are the machine's system clock.

p50 and p95 are written to build/reports/results-browser.md (``bash scripts/reports.sh``
copies it to benchmarks/) and printed in the terminal
summary; the target (p95 <= 300 ms) is reported, not asserted: the machine's load decides.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..reports import REPORTS
from .conftest import LATENCY

pytestmark = pytest.mark.browser

REPORT = REPORTS / "results-browser.md"
TARGET_P95_MS = 300.0
STEPS = 100
PERIOD = 0.05

SETUP = "import json\nimport time\n\nimport cellflux as cf"
RUN = '''
latency = cf.Metric("latency", group=cf.MetricGroup("latency", units="step"))
stamps = []


@cf.task()
def run(steps):
    for step in range(steps):
        stamps.append(time.time())
        latency.record(float(step), at=step)
        time.sleep({period})
    return cf.current_execution()


execution = run({steps})
emitted, _ = execution.series("latency")
with open({out!r}, "w") as f:
    json.dump({{"stamps": stamps, "emitted": [int(x) for x in emitted]}}, f)
print("latency-" + "done")
'''

# Every change of the number of points of the "latency" chart, with the time it happened.
OBSERVE_JS = """
window.cfDraws = [];
let last = 0;
const count = () => {
  const fig = Array.from(document.querySelectorAll('.jp-OutputArea .bqplot.figure'))
    .find((f) => cfTitle(f) === 'latency');
  return fig ? Array.from(fig.querySelectorAll('g.curve path.line')).reduce((n, p) => n + cfPoints(p), 0) : 0;
};
new MutationObserver(() => {
  const n = count();
  if (n !== last) { window.cfDraws.push([Date.now(), n]); last = n; }
}).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['d']});
return true;
"""


def latencies_ms(stamps: list[float], emitted: list[int], draws: list[tuple[float, int]]) -> list[float]:
    """For the i-th emitted value: when the path first had i+1 points, minus when it was recorded."""
    out = []
    for index, step in enumerate(emitted):
        drawn = next((t for t, n in draws if n >= index + 1), None)
        if drawn is not None:
            out.append(drawn - stamps[step] * 1000.0)
    return out


def write_report(results: dict[str, dict[str, Any]], versions: dict[str, str]) -> None:
    rows = [
        f"| {fe} | {r['n']} | {r['first']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | "
        f"{'met' if r['p95'] <= TARGET_P95_MS else 'not met'} | {r['steady_p95']:.0f} ({r['steady_n']} points) |"
        for fe, r in results.items()
    ]
    REPORT.write_text(
        "# Browser latency: `record()` to the point drawn\n\n"
        f"Written by `tests/browser/test_latency.py` on {dt.date.today().isoformat()}, "
        f"{os.cpu_count()} CPU cores, " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".\n\n"
        f"A cell records one value every {PERIOD * 1000:.0f} ms for {STEPS * PERIOD:.0f} s at default settings "
        "(throttle 10 values/s, board ticker 10/s). Latency of each value that was emitted: the wall-clock "
        "time at which the chart's SVG path first holds that point (a MutationObserver in the page) minus "
        "the wall-clock time just before its `record()`. The first point also pays for laying the board out "
        "(opening its widgets), and so do the values recorded before it shows; the last column leaves "
        "them out: values recorded once the chart was on the page. Target: p95 <= 300 ms (reported, "
        "not asserted). The machine's load at the time counts: other jobs may have shared its cores.\n\n"
        "| front end | points | first point (ms) | p50 (ms) | p95 (ms) | max (ms) | p95 target | p95 once shown (ms) |\n"
        "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )


def test_latency(open_notebook: Callable[..., Any], shoot: Callable[..., Any], jupyter: Any, frontend: str) -> None:
    out: Path = jupyter.root / f"latency-{frontend}.json"
    out.unlink(missing_ok=True)
    nb = open_notebook([SETUP, RUN.format(period=PERIOD, steps=STEPS, out=str(out))])
    assert nb.evaluate(OBSERVE_JS)
    nb.run_all()
    nb.scroll_to_cell(1)
    nb.wait_for_output("latency-done")
    data = json.loads(out.read_text(encoding="utf-8"))
    stamps, emitted = data["stamps"], data["emitted"]
    # Every emitted value reaches the page, the last one included.
    nb.wait_until(lambda: nb.evaluate("return window.cfDraws.at(-1)?.[1] ?? 0;") == len(emitted), 15,
                  f"all {len(emitted)} emitted points drawn")
    draws = [(float(t), int(n)) for t, n in nb.evaluate("return window.cfDraws;")]
    nb.assert_no_widget_errors()
    shoot(nb, "final")

    assert len(stamps) == STEPS
    assert STEPS // 4 <= len(emitted) <= STEPS, f"{len(emitted)} of {STEPS} values emitted at 10/s"
    lat = latencies_ms(stamps, emitted, draws)
    assert len(lat) == len(emitted)
    assert min(lat) > 0, "a point was drawn before it was recorded: clocks disagree"
    # Values recorded once the chart is on the page, apart from those that waited for its layout.
    shown = draws[0][0]
    steady = [ms for ms, step in zip(lat, emitted) if stamps[step] * 1000.0 >= shown]
    result = {
        "n": len(lat), "first": lat[0], "p50": float(np.percentile(lat, 50)),
        "p95": float(np.percentile(lat, 95)), "max": max(lat),
        "steady_n": len(steady), "steady_p95": float(np.percentile(steady, 95)),
    }
    LATENCY[frontend] = result
    versions = {
        "Chromium": nb.page.context.browser.version,
        "JupyterLab": version("jupyterlab"), "Notebook": version("notebook"),
        "bqplot": version("bqplot"), "ipywidgets": version("ipywidgets"),
    }
    write_report(LATENCY, versions)
    print(f"{frontend}: latency p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, "
          f"first {result['first']:.0f} ms, max {result['max']:.0f} ms over {result['n']} points; "
          f"p95 once shown {result['steady_p95']:.0f} ms")
