"""Metric keys, units, group and task names that are HTML/JS payloads render as text and run nothing."""

from __future__ import annotations

import html

from collections.abc import Callable
from typing import Any

import pytest

from cellflux.display.chart import Y_LABEL
from cellflux.display.labels import shorten

pytestmark = pytest.mark.browser

KEY = '<img src=x onerror="window.__pwned=1">'
GROUP = "<script>window.__pwned=2</script>"
UNITS = '"><svg onload="window.__pwned=3">'
TASK = "<iframe src=\"javascript:parent.__pwned=4\"></iframe>"
BAR = "<img src=y onerror=window.__pwned=5>"
# Long ones too: cut with an ellipsis where they are drawn, whole (and inert) in their tooltips.
LONG_KEY = """"'><img src=w onerror=window.__pwned=6>""" + " and a metric key too long for its table" * 2
LONG_GROUP = """"'><script>window.__pwned=7</script>""" + " and a group name far wider than its chart" * 4
LONG_TASK = '<img src=z onerror="window.__pwned=8">' + " and a task name far wider than its board" * 4

HOSTILE = f'''
import time

import cellflux as cf

group = cf.MetricGroup({GROUP!r}, units={UNITS!r})
metric = cf.Metric({KEY!r}, group=group, scale=cf.MetricScale(units={UNITS!r}))


@cf.task(name={TASK!r})
def run():
    for step in cf.progress(range(10), key={BAR!r}, group=group):
        metric.record(step * 0.5, at=step)
        time.sleep(0.05)


run()

long_metric = cf.Metric({LONG_KEY!r}, group=cf.MetricGroup({LONG_GROUP!r}), scale=cf.MetricScale(units="%"))


@cf.task(name={LONG_TASK!r})
def run_long():
    for step in range(5):
        long_metric.record(step, at=step)


run_long()
print("hostile-" + "done")
'''

# Where each payload must show up, as text: (CSS selector inside the cell's output, payload).
PLACES = [
    (".cellflux-chart-title", GROUP),  # the chart title is the group name
    ("table.cellflux-stats .cellflux-name", KEY),  # the table, the chart's legend, names the metric
    ("text.axislabel", shorten(f"{KEY} ({UNITS})", Y_LABEL)),  # the y label carries the units, cut to fit
    ("text.axislabel", UNITS),  # the x label is the group's units
    ("table.cellflux-stats th", f"■ {KEY}"),  # the latest/min/max table
    (".cellflux-progress-label", BAR),  # the progress bar
    (".cellflux-header", f"{TASK} · succeeded"),  # the board header
    (".cellflux-chart-title", LONG_GROUP),
    ("table.cellflux-stats .cellflux-name", LONG_KEY),
    (".cellflux-header", f"{LONG_TASK} · succeeded"),
]
# Where the whole text is on hover, in a title attribute: (selector, text), and whether the
# element is cut (its text wider than its box, so CSS shows an ellipsis; None: either).
TITLES = [
    (".cellflux-chart-title .cellflux-line", f"{GROUP}\naxis: {KEY} ({UNITS})", False),  # the y label was cut
    ("table.cellflux-stats .cellflux-name", KEY, None),  # cut or not, by the font
    (".cellflux-progress-label", BAR, None),
    (".cellflux-header .cellflux-line", f"{TASK} · succeeded", False),
    (".cellflux-chart-title .cellflux-line", f"{LONG_GROUP}\naxis: {LONG_KEY} (%)", True),
    ("table.cellflux-stats .cellflux-name", LONG_KEY, True),
    (".cellflux-header .cellflux-line", f"{LONG_TASK} · succeeded", True),
]


def escaped_forms(text: str) -> tuple[str, ...]:
    """How escaped text may read in markup: the page's serialisation (quotes kept in text) or ours (quotes too)."""
    return (html.escape(text, quote=False), html.escape(text))


def test_hostile_names(open_notebook: Callable[..., Any], shoot: Callable[..., Any]) -> None:
    nb = open_notebook([HOSTILE])
    nb.run_all()
    nb.wait_for_output("hostile-done")
    nb.wait_until(lambda: f"{TASK} · succeeded" in nb.outputs_text(), 15, "the final board")

    found = nb.evaluate(
        """return arg.map(([selector, text]) => Array.from(
               document.querySelectorAll('.jp-OutputArea ' + selector)).some((e) => e.textContent === text));""",
        PLACES,
    )
    missing = [place for place, ok in zip(PLACES, found) if not ok]
    assert not missing, f"payloads not shown as text at: {missing}"
    hover = nb.evaluate(
        """return arg.map(([selector, text, cut]) => Array.from(document.querySelectorAll('.jp-OutputArea ' + selector))
               .some((e) => e.getAttribute('title') === text && (cut === null || (e.scrollWidth > e.clientWidth) === cut)));""",
        TITLES,
    )
    wrong = [place for place, ok in zip(TITLES, hover) if not ok]
    seen = nb.evaluate(
        """return arg.map(([selector]) => Array.from(document.querySelectorAll('.jp-OutputArea ' + selector))
               .map((e) => [e.getAttribute('title'), e.scrollWidth, e.clientWidth]));""",
        wrong,
    )
    assert not wrong, f"whole text not in a title attribute, or not cut as expected, at: {wrong}; seen: {seen}"

    # Nothing was parsed as markup inside the outputs, and nothing ran.
    injected = nb.evaluate(
        "return document.querySelectorAll("
        "'.jp-OutputArea img[src=\"x\"], .jp-OutputArea img[src=\"y\"], .jp-OutputArea script, "
        ".jp-OutputArea iframe, .jp-OutputArea svg[onload], .jp-OutputArea img[src=\"w\"], .jp-OutputArea img[src=\"z\"]').length;"
    )
    assert injected == 0
    nb.page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert nb.evaluate("return typeof window.__pwned;") == "undefined"
    # The static copy of the board (hidden next to the live one, but in the page and trusted,
    # so unescaped markup in it would run) holds the payloads as text too.
    # Its numbers and names are HTML text and its charts SVG images (data URIs): read its markup
    # as the page holds it, and decode the images; the payloads are escaped text in both.
    static = nb.evaluate(
        "return Array.from(document.querySelectorAll('.jp-OutputArea .cellflux-static'))"
        ".map((e) => e.innerHTML + Array.from(e.querySelectorAll('img'))"
        ".map((i) => new TextDecoder().decode(Uint8Array.from(atob(i.src.split(',')[1]), (c) => c.charCodeAt(0))))"
        ".join('\\n')).join('\\n');"
    )
    absent = [p for p in (TASK, GROUP, KEY, UNITS, BAR) if not any(form in static for form in escaped_forms(p))]
    assert not absent, f"payloads not shown as text in the static board: {absent}"
    raw = [p for p in (TASK, GROUP, KEY, UNITS, BAR) if "<" in p and p in static]
    assert not raw, f"raw markup in the static board: {raw}"
    nb.assert_no_widget_errors()
    shoot(nb, "final")
