"""The static board: real executions rendered to HTML (charts as SVG, numbers as text), parsed back and checked."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import cellflux as cf
from cellflux.definitions import MetricGroup, MetricScale
from cellflux.display.static import STATIC_POINTS, board_view, render_html
from cellflux.execution import Execution
from cellflux.runtime import Runtime, use_runtime

SVG = "{http://www.w3.org/2000/svg}"
XSS = "<script>alert(1)</script>"


class Capture:
    """A sink that keeps the executions that ended."""

    def __init__(self) -> None:
        self.ended: list[Execution] = []

    def execution_started(self, execution: Execution) -> None:
        pass

    def series_created(self, series: Any) -> None:
        pass

    def execution_ended(self, execution: Execution) -> None:
        self.ended.append(execution)

    def flush(self) -> None:
        pass


@pytest.fixture
def run() -> Iterator[Callable[[Callable[[], None]], Execution]]:
    """Run a function as a task in an isolated runtime; return its ended execution."""
    rt = Runtime(flusher_thread=False)
    capture = Capture()
    rt.add_sink(capture)

    def go(body: Callable[[], None]) -> Execution:
        with use_runtime(rt):
            task = cf.task("job")(body)
            try:
                task()
            except (RuntimeError, KeyboardInterrupt):
                pass
        return capture.ended[-1]

    yield go


# -- reading the output back ---------------------------------------------------------------


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in e.get("class", "").split()]


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def style_of(element: ET.Element) -> dict[str, str]:
    declarations = (d.split(":", 1) for d in element.get("style", "").split(";") if d.strip())
    return {name.strip(): value.strip() for name, value in declarations}


def points_of(series: ET.Element) -> list[tuple[float, float]]:
    """Every point of a drawn metric, mapped back to data y through the scale attributes."""
    lo, hi = float(series.get("data-lower", "nan")), float(series.get("data-upper", "nan"))
    px_lo, px_hi = float(series.get("data-px-lower", "nan")), float(series.get("data-px-upper", "nan"))
    out = []
    for line in by_class(series, "cellflux-line"):
        for pair in line.get("points", "").split():
            x, y = map(float, pair.split(","))
            out.append((x, lo + (y - px_lo) / (px_hi - px_lo) * (hi - lo)))
    return out


def series_of(root: ET.Element, key: str) -> ET.Element:
    found = [e for e in by_class(root, "cellflux-series") if e.get("data-key") == key]
    assert len(found) == 1, f"{key!r} drawn {len(found)} times"
    return found[0]


def tolerance(series: ET.Element) -> float:
    # Coordinates have one decimal: half a tenth of a pixel, in data units.
    span = float(series.get("data-upper", "nan")) - float(series.get("data-lower", "nan"))
    pixels = abs(float(series.get("data-px-lower", "nan")) - float(series.get("data-px-upper", "nan")))
    return 0.06 * span / pixels


# -- a realistic board ---------------------------------------------------------------------


def training() -> None:
    group = cf.MetricGroup("training", units="epoch")
    loss = cf.Metric("loss", group=group, scale=cf.MetricScale(units=""), throttle=None)
    accuracy = cf.Metric(
        "accuracy", group=group, scale=cf.MetricScale(units="%", lower=0, upper=100), throttle=None
    )
    lr = cf.Metric("lr", throttle=None)
    for epoch in cf.progress(range(30), key="epoch", group=group):
        loss.record(2.0 / (epoch + 1), at=epoch)
        accuracy.record(90 * (1 - 1 / (epoch + 1)), at=epoch)
        lr.record(0.1 * 0.9**epoch)


def test_one_chart_per_group_with_axes_units_legend_and_table(run: Any) -> None:
    exe = run(training)
    root = parse(render_html(exe))
    charts = by_class(root, "cellflux-chart")
    assert [c.get("data-group") for c in charts] == ["training", "lr"]
    train = charts[0]
    axes = {a.get("data-side"): a for a in by_class(train, "cellflux-axis")}
    assert set(axes) == {"bottom", "left", "right"}
    assert text_of(by_class(axes["bottom"], "cellflux-axis-label")[0]) == "epoch"
    assert text_of(by_class(axes["left"], "cellflux-axis-label")[0]) == "loss"
    assert text_of(by_class(axes["right"], "cellflux-axis-label")[0]) == "accuracy (%)"
    assert (float(axes["right"].get("data-lower", "")), float(axes["right"].get("data-upper", ""))) == (0, 100)
    ticks = [text_of(t) for t in axes["right"].iter(f"{SVG}text")][:-1]
    assert ticks == ["0", "20", "40", "60", "80", "100"]
    assert [text_of(t) for t in by_class(train, "cellflux-legend")[0].iter(f"{SVG}text")] == ["loss", "accuracy"]
    assert text_of(by_class(charts[1], "cellflux-axis-label")[0]) == "time (s)"
    stats = {s.get("data-key"): [text_of(cell) for cell in s] for s in by_class(root, "cellflux-stat")}
    assert stats["loss"] == ["loss", "0.06667", "0.06667", "2"]
    assert stats["accuracy"] == ["accuracy", "87", "0", "87"]


def test_lines_end_at_the_recorded_final_values(run: Any) -> None:
    root = parse(render_html(run(training)))
    for key, final in (("loss", 2.0 / 30), ("accuracy", 90 * (1 - 1 / 30)), ("lr", 0.1 * 0.9**29)):
        series = series_of(root, key)
        assert float(series.get("data-last", "nan")) == pytest.approx(final)
        points = points_of(series)
        assert len(points) == 30
        assert points[-1][1] == pytest.approx(final, abs=tolerance(series))
        assert max(y for _, y in points) == pytest.approx(max(*(y for _, y in points), final), abs=1e-12)


def test_progress_bar_shows_final_count_percent_and_state(run: Any) -> None:
    def loop() -> None:
        for i in cf.progress(range(100), key="batch", group="data"):
            if i == 37:
                break

    root = parse(render_html(run(loop)))
    (bar,) = by_class(root, "cellflux-bar")
    assert (bar.get("data-key"), bar.get("data-state")) == ("batch", "stopped")
    text = text_of(by_class(bar, "cellflux-bar-text")[0])
    assert re.fullmatch(r"37/100 37% · \d\d:\d\d · .* · stopped", text), text
    assert style_of(by_class(bar, "cellflux-bar-fill")[0])["width"] == "37.00%"
    assert style_of(by_class(bar, "cellflux-bar-fill")[0])["background-color"] == "#f57c00"
    assert not by_class(root, "cellflux-chart"), "a group of bars only has no chart"


@pytest.mark.parametrize(
    ("error", "status", "bar_state", "colour"),
    [(RuntimeError, "failed", "failed", "#d32f2f"), (KeyboardInterrupt, "interrupted", "stopped", "#f57c00")],
)
def test_failed_and_interrupted_executions_say_so(
    run: Any, error: type[BaseException], status: str, bar_state: str, colour: str
) -> None:
    def body() -> None:
        m = cf.Metric("loss", throttle=None)
        for i in cf.progress(range(10), key="epoch"):
            m.record(1.0 / (i + 1), at=i)
            if i == 4:
                raise error("boom")

    exe = run(body)
    assert exe.status == status
    root = parse(render_html(exe))
    assert root.get("data-status") == status
    assert text_of(by_class(root, "cellflux-status")[0]) == status
    (bar,) = by_class(root, "cellflux-bar")
    assert bar.get("data-state") == bar_state
    assert text_of(by_class(bar, "cellflux-bar-text")[0]).startswith("4/10 40%")
    assert style_of(by_class(bar, "cellflux-bar-fill")[0])["background-color"] == colour
    assert points_of(series_of(root, "loss"))[-1][1] == pytest.approx(0.2, abs=0.01)


def test_non_finite_values_are_gaps(run: Any) -> None:
    def body() -> None:
        m = cf.Metric("loss", throttle=None)
        for i, v in enumerate([1.0, 2.0, math.nan, 3.0, 4.0, 5.0, math.inf, 6.0, -math.inf, 7.0, 8.0]):
            m.record(v, at=i)

    with pytest.warns(cf.CellfluxWarning):
        exe = run(body)
    root = parse(render_html(exe))
    series = series_of(root, "loss")
    runs = [[round(float(p.split(",")[0]), 1) for p in line.get("points", "").split()]
            for line in by_class(series, "cellflux-line")]
    assert [len(r) for r in runs] == [2, 3, 2]
    dots = by_class(series, "cellflux-dot")
    assert len(dots) == 1, "a lone point between two gaps is a dot"
    assert all(math.isfinite(float(v)) for line in by_class(series, "cellflux-line")
               for p in line.get("points", "").split() for v in p.split(","))


def test_untrusted_text_is_escaped_everywhere(run: Any) -> None:
    nasty_group = 'g"><script>alert(2)</script>&amp;'

    def body() -> None:
        group = cf.MetricGroup(nasty_group, units="<b>epoch</b>")
        cf.Metric(XSS, group=group, scale=cf.MetricScale("s<i>", units="<u>%</u>"), throttle=None).record(1.0, at=0)
        cf.Metric(XSS + "2", group=group, throttle=None).record(2.0, at=1)
        for _ in cf.progress(range(3), key="<img src=x onerror=alert(1)>", group=group):
            pass

    exe = run(body)
    exe.name = "<img src=y onerror=alert(3)>\x01"
    for markup in (render_html(exe), render_html(exe, images=True)):
        assert "<script" not in markup and "<img src=" not in markup and "<b>" not in markup
        root = parse(markup)  # also: still well-formed, even with a control character
        texts = [text_of(e) for e in root.iter()]
        assert "<img src=x onerror=alert(1)>" in texts
        assert "<img src=y onerror=alert(3)>\ufffd" in texts
        assert [c.get("data-group") for c in by_class(root, "cellflux-group")] == [nasty_group]
        stats = {text_of(row[0]) for row in by_class(root, "cellflux-stat")}
        assert stats == {XSS, XSS + "2"}, "the stats table holds the keys as text"
    root = parse(render_html(exe))
    texts = [text_of(e) for e in root.iter()]
    assert XSS in texts
    assert any("<b>epoch</b>" == t for t in texts)
    assert any("s<i> (<u>%</u>)" == t for t in texts)
    assert [c.get("data-group") for c in by_class(root, "cellflux-chart")] == [nasty_group]
    assert {s.get("data-key") for s in by_class(root, "cellflux-series")} == {XSS, XSS + "2"}


# What JupyterLab's sanitiser of untrusted outputs keeps (packages/apputils/src/sanitizer.ts:
# allowedTags, allowedStyles); the static board may use nothing else where it matters.
SANITISER_TAGS = {"div", "span", "b", "img", "table", "thead", "tbody", "tr", "th", "td"}
SANITISER_STYLES = {
    "background-color", "border-collapse", "border-radius", "color", "display", "font-family", "font-size",
    "font-weight", "height", "line-height", "margin", "max-width", "overflow", "padding", "text-align",
    "text-overflow", "vertical-align", "white-space", "width",
}
COSMETIC_STYLES = {"font-variant-numeric"}
"""Dropped by that sanitiser: nothing is lost but looks."""


def test_numbers_are_text_beside_the_chart_image(run: Any) -> None:
    root = parse(render_html(run(training), images=True))
    images = list(root.iter("img"))
    assert [i.get("alt") for i in images] == [
        "chart: training, lines loss, accuracy; x: epoch; y: loss, accuracy (%)",
        "chart: lr, lines lr; x: time (s); y: lr",
    ]
    assert all(i.get("src", "").startswith("data:image/svg+xml;base64,") for i in images)
    rows = {text_of(r[0]): [text_of(c) for c in r[1:]] for r in by_class(root, "cellflux-stat")}
    assert rows == {"loss": ["0.06667", "0.06667", "2"], "accuracy": ["87", "0", "87"],
                    "lr": ["0.00471", "0.00471", "0.1"]}
    (table,) = [t for t in by_class(root, "cellflux-stats") if t.get("data-group") == "training"]
    assert [text_of(th) for th in table.iter("th") if th.get("scope") == "col"] == ["metric", "latest", "min", "max"]
    swatches = [style_of(r[0][0])["background-color"] for r in by_class(table, "cellflux-stat")]
    assert swatches == ["#1f77b4", "#ff7f0e"], "each row has its line's colour"
    (bar,) = by_class(root, "cellflux-bar")
    assert re.fullmatch(r"30/30 100% · \d\d:\d\d · .* it/s · done", text_of(by_class(bar, "cellflux-bar-text")[0]))


def test_markup_survives_the_untrusted_sanitiser(run: Any) -> None:
    root = parse(render_html(run(training), images=True))
    assert {e.tag for e in root.iter()} <= SANITISER_TAGS
    used = {name for e in root.iter() for name in style_of(e)}
    assert used <= SANITISER_STYLES | COSMETIC_STYLES, used - SANITISER_STYLES - COSMETIC_STYLES
    # Legible with every style gone too: a table, a header row, one row per line, the numbers in cells.
    (table,) = [t for t in by_class(root, "cellflux-stats") if t.get("data-group") == "training"]
    assert [[c.tag for c in row] for row in table.iter("tr")] == [["th"] * 4, ["th", "td", "td", "td"],
                                                                   ["th", "td", "td", "td"]]


HOSTILE_NAMES = ("<img src=x onerror=alert(1)>", "</table><script>alert(1)</script>", "\"'&", "&lt;b&gt;")


@pytest.mark.parametrize("images", [False, True])
def test_hostile_names_are_literal_text_in_the_html_and_the_summary(run: Any, images: bool) -> None:
    img, table, quotes, entity = HOSTILE_NAMES

    def body() -> None:
        group = cf.MetricGroup(table, units=quotes)
        cf.Metric(img, group=group, scale=cf.MetricScale(units=entity), throttle=None).record(1.5, at=0)
        cf.Metric(quotes, group=group, throttle=None).record(-2.0, at=1)
        for _ in cf.progress(range(4), key=table, group=group):
            pass

    exe = run(body)
    exe.name = img
    markup = render_html(exe, images=images)
    root = parse(markup)  # well-formed: no name closed an element it did not open
    assert not {e.tag for e in root.iter()} & {"script", "style", "iframe"}
    assert "onerror" not in {a for e in root.iter() for a in e.attrib}
    if images:
        assert [e.get("class") for e in root.iter("img")] == ["cellflux-image"], "only the chart is an image"
    stats = {text_of(row[0]): [text_of(c) for c in row[1:]] for row in by_class(root, "cellflux-stat")}
    assert stats == {img: ["1.5", "1.5", "1.5"], quotes: ["-2", "-2", "-2"]}
    (bar,) = by_class(root, "cellflux-bar")
    assert text_of(bar[0]) == table and text_of(by_class(bar, "cellflux-bar-text")[0]).startswith("4/4 100%")
    assert text_of(by_class(root, "cellflux-name")[0]) == img
    # The names' tooltips carry them as attribute values, intact.
    assert {e.get("title") for e in root.iter() if e.get("title")} >= {img, quotes, table}

    from cellflux.display.summary import summarize

    plain = summarize(exe)
    assert plain.startswith(img + " · succeeded")
    assert f"{table}  4/4 (done)" in plain
    for name in (img, quotes):
        assert re.search(rf"^  {re.escape(name)} +\S", plain, re.M), f"{name!r} not a row of the summary"


# -- protocol inputs: stored-like executions, large series ---------------------------------


@dataclass
class FakeSeries:
    key: str
    xs: np.ndarray
    ys: np.ndarray
    group: MetricGroup | None = None
    scale: MetricScale | None = None
    x_auto: bool | None = False
    state: str | None = None

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        return self.xs, self.ys


@dataclass
class FakeRun:
    name: str = "stored run"
    status: str = "succeeded"
    started_at: float = 1000.0
    ended_at: float | None = 1090.5
    series: dict[str, FakeSeries] = field(default_factory=dict)


def test_four_charts_of_a_million_points_stay_small_and_keep_spikes() -> None:
    n = 1_000_000
    rng = np.random.default_rng(0)
    run = FakeRun()
    spikes = {}
    for c in range(4):
        ys = np.cumsum(rng.normal(size=n))
        at = int(rng.integers(1, n - 1))
        ys[at] = ys.max() + 1000.0
        spikes[f"m{c}"] = ys[at]
        run.series[f"m{c}"] = FakeSeries(f"m{c}", np.arange(n, dtype=np.float64), ys, MetricGroup(f"g{c}"))
    view = board_view(run)
    html_out = render_html(view)
    assert len(html_out) < 100_000, len(html_out)
    root = parse(html_out)
    assert len(by_class(root, "cellflux-chart")) == 4
    for key, spike in spikes.items():
        series = series_of(root, key)
        points = points_of(series)
        assert len(points) <= STATIC_POINTS
        assert max(y for _, y in points) == pytest.approx(spike, abs=tolerance(series))
        assert points[-1][1] == pytest.approx(float(run.series[key].ys[-1]), abs=tolerance(series))


def test_stored_execution_shape_and_time_axis_in_minutes() -> None:
    class Stored:
        name, status, started_at, ended_at = "old run", "succeeded", 0.0, 700.0

        def __init__(self) -> None:
            self.metrics = {"loss": FakeSeries("loss", np.empty(0), np.empty(0), x_auto=True)}

        def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
            xs = np.linspace(0, 600, 50)
            return xs, np.exp(-xs / 100)

    root = parse(render_html(Stored()))
    chart = by_class(root, "cellflux-chart")[0]
    assert chart.get("data-group") == "loss"
    assert text_of(by_class(chart, "cellflux-axis-label")[0]) == "time (min)"
    bottom = [a for a in by_class(chart, "cellflux-axis") if a.get("data-side") == "bottom"][0]
    assert float(bottom.get("data-upper", "")) == 10.0
    assert text_of(by_class(root, "cellflux-duration")[0]) == "11 min 40 s"


def test_fixed_x_bounds_and_clipping() -> None:
    run = FakeRun(series={
        "acc": FakeSeries("acc", np.arange(20.0), np.linspace(0, 120, 20),
                          MetricGroup("eval", units="step", lower=0, upper=50),
                          MetricScale(units="%", lower=0, upper=100)),
    })
    root = parse(render_html(run))
    bottom = [a for a in by_class(root, "cellflux-axis") if a.get("data-side") == "bottom"][0]
    assert (float(bottom.get("data-lower", "")), float(bottom.get("data-upper", ""))) == (0, 50)
    plot = by_class(root, "cellflux-plot")[0]
    assert plot.get("overflow") == "hidden", "values above the fixed upper bound are clipped"


def test_empty_board_is_just_the_header() -> None:
    root = parse(render_html(FakeRun(status="running", ended_at=None)))
    assert text_of(by_class(root, "cellflux-name")[0]) == "stored run"
    assert not by_class(root, "cellflux-chart")


def test_rejects_what_it_cannot_read() -> None:
    with pytest.raises(TypeError, match="needs a `series` or `buffers` mapping"):
        render_html(object())
