"""Every metric of a chart gets its line, when two metrics share a MetricScale and one is rare.

``fast`` is recorded at every step, ``rare`` on the same ``MetricScale`` every 25 steps:
either from the first step on, or from a later step, when the chart of ``fast`` is on the
page already and ``rare`` joins it (the chart grows a line in place). Either way, at the
end each metric's line must be in the DOM with its points, and the console must have no
"Error setting state" (bqplot's mark stops drawing after one). Five runs per variant and
front end, as the failure was a race seen in about one run of three.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.browser

STEPS = 1500
EVERY = 25

RECORD = f'''
import time

import cellflux as cf

group = cf.MetricGroup("train", units="step")
loss = cf.MetricScale("loss")
fast = cf.Metric("fast", group=group, scale=loss, throttle=None)
rare = cf.Metric("rare", group=group, scale=loss, throttle=None)
for step in range({STEPS}):
    fast.record(1.0 / (1 + step), at=step)
    if step >= START and step % {EVERY} == 0:
        rare.record(2.0 / (1 + step), at=step)
    time.sleep(0.002)
print("shared-" + "done")
'''

# Per figure of the cell: its line names (the table) and the points of each drawn line.
LINES = r"""
return Array.from(cfCells()[arg].querySelectorAll('.bqplot.figure')).map((fig) => ({
  names: cfNames(fig),
  lines: Array.from(fig.querySelectorAll('g.curve path.line')).map(cfPoints),
}));
"""

VARIANTS = {"joins": 200, "together": 0}
"""Step of the first ``rare`` point: after the chart exists (about 0.5 s in), or at once."""


def rare_points(start: int) -> int:
    return len(range(start, STEPS, EVERY))


@pytest.mark.parametrize("repetition", range(5), ids=lambda r: f"run{r}")
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_metric_has_its_line(
    open_notebook: Callable[..., Any], shoot: Callable[..., Any], frontend: str, variant: str, repetition: int
) -> None:
    start = VARIANTS[variant]
    nb = open_notebook([f"START = {start}", RECORD], name=f"shared-{variant}-{repetition}")
    nb.run_all()
    nb.wait_for_output("shared-done")
    nb.scroll_to_cell(1)
    want = sorted([STEPS, rare_points(start)])

    def complete() -> bool:
        figures = nb.evaluate(LINES, 1)
        return len(figures) == 1 and sorted(figures[0]["lines"]) == want

    try:
        nb.wait_until(complete, 30, "both lines with all their points")
    except AssertionError:
        shoot(nb, f"{variant}-run{repetition}-missing", cell=1)
        raise AssertionError(
            f"{variant}: lines drawn {nb.evaluate(LINES, 1)}, want points {want}; console:\n"
            + "\n".join(nb.console[-5:])
        ) from None
    assert not [line for line in nb.console if "setting state" in line], nb.console[-5:]
