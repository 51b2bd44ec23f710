"""Hostile text: metric keys, units, group, scale and task names that are HTML, JS, SQL,
control characters or 20,000 characters long.

They are stored and read back exactly (queries are parameterised), escaped in the
static HTML and its SVG chart images (which must parse as XML and contain no element
or attribute a payload could have injected), and reach the live widgets only as text (the
HTML-valued traits, the stats table and the one-line titles, carry them escaped).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import cellflux as cf
from cellflux.display.chart import X_LABEL, Y_LABEL
from cellflux.display.labels import shorten

from .harness import Rig, static_documents
from .ledger import Ledger
from .oracle import HOSTILE

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
SVG = "{http://www.w3.org/2000/svg}"
SVG_TAGS = {SVG + t for t in ("svg", "title", "text", "tspan", "g", "path", "rect", "circle", "polyline", "line")}
STATIC_TAGS = {"root", "div", "b", "span", "style", "img", "table", "thead", "tbody", "tr", "th", "td", *SVG_TAGS}
STATS_TAGS = {"table", "tr", "th", "td", "span"}
LINE_TAGS = {"div"}
"""A one-line title (board header, chart title): its text, whole in its title attribute."""
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}
TABLES = {"executions", "metrics", "points", "params", "sqlite_sequence"}


def as_xml_text(text: str) -> str:
    """What a parser reads of ``text`` in the static board: XML-invalid characters replaced
    (by the renderer), line ends normalised to a newline (by every XML and HTML parser)."""
    return _NOT_XML.sub("\ufffd", text).replace("\r\n", "\n").replace("\r", "\n")


def check_markup(root: ET.Element, allowed: set[str]) -> list[str]:
    """Every element is one we write, no event handler, no script URL; returns all text."""
    texts = []
    for element in root.iter():
        assert element.tag in allowed, f"unexpected element {element.tag!r}"
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"event handler attribute {name}={value[:80]!r}"
            if name.split("}")[-1] in URL_ATTRIBUTES:
                assert not value.replace(" ", "").lower().startswith("javascript:"), (name, value[:80])
        if element.tag == "img":  # the static board's pieces, as SVG images: nothing else
            assert element.attrib["src"].startswith("data:image/svg+xml;base64,"), element.attrib["src"][:80]
            texts.append(element.attrib.get("alt", ""))
        texts.append("".join(element.itertext()))
    return texts


class _Html(HTMLParser):
    """What a browser's HTML parser makes of a markup-valued trait: its tags, attributes and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        raise AssertionError(f"a comment in the markup: {data[:80]!r}")


def check_html(markup: str, allowed: set[str]) -> str:
    """Parse ``markup`` as a browser would (innerHTML); only our tags, no handlers; its text."""
    parser = _Html()
    parser.feed(markup)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in allowed, f"unexpected element {tag!r}"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler attribute {name}"
            if name in URL_ATTRIBUTES:
                assert not (value or "").replace(" ", "").lower().startswith("javascript:"), (name, value)
    return "".join(parser.text)


def _tables(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_hostile_names(tmp_path: Path, ledger: Ledger) -> None:
    row = ledger.scenario(
        6, "hostile text (HTML, JS, SQL, control chars, bidi, 20,000 chars) as key, units, group, scale, "
        "progress key and task name",
    )
    for index, text in enumerate(HOSTILE):
        check_hostile(tmp_path / f"h{index}", text)
    ledger.done(
        row,
        f"{len(HOSTILE)} strings x 6 places: store, static HTML, static SVG, text/plain, live widgets",
        "0: exact round trip; escaped; no element, handler or script URL injected; tables intact",
    )


def check_hostile(tmp_path: Path, text: str) -> None:
    key, group_name, units, scale_name, bar, task = (
        text, text + "·g", text + "·u", text + "·s", text + "·p", text + "·t",
    )
    rig = Rig(tmp_path / "hostile" / "metrics.sqlite")
    with rig.installed(), warnings.catch_warnings():
        warnings.simplefilter("error", cf.CellfluxWarning)
        group = cf.MetricGroup(group_name, units=units)
        metric = cf.Metric(key, group=group, scale=cf.MetricScale(scale_name, units=units), throttle=None)
        other = cf.Metric(key + "2", group=group, throttle=None)
        holder: list[cf.Execution] = []

        @cf.task(task)
        def run() -> None:
            holder.append(cf.current_execution())
            for step in cf.progress(range(5), key=bar, group=group):
                metric.record(float(step), at=step)
                other.record(-float(step), at=step)

        run()
        exe = holder[0]
        rig.compare(exe)
        html = dict(rig.screen.updated)[1]["text/html"]
        plain = dict(rig.screen.updated)[1]["text/plain"]

    # Stored and read back exactly; the queries took the text as data.
    (stored,) = cf.executions(rig.path, name=task)
    assert stored.name == task and stored.id == exe.id
    metrics = stored.metrics
    assert set(metrics) == {key, key + "2", bar}
    definition = metrics[key]
    assert definition.group == group and definition.scale == cf.MetricScale(scale_name, units=units)
    assert stored.series(key)[1].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert _tables(rig.path) == TABLES

    # The static board (HTML text, its charts SVG images): well-formed, only our elements,
    # every name shown as text.
    texts = []
    for i, markup in enumerate(static_documents(html)):
        texts += check_markup(ET.fromstring(f"<root>{markup}</root>" if i == 0 else markup), STATIC_TAGS)
        assert "<script" not in markup.lower() and "<iframe" not in markup.lower()
    joined = "\n".join(texts)
    for name in (key, group_name, task, bar):
        assert as_xml_text(name) in joined, f"{name[:40]!r} is not shown as text"
    assert all(c.isprintable() or c == "\n" for c in plain), "control characters in text/plain"

    # The live widgets: markup-valued traits hold the text escaped; text traits hold it as is.
    html_values = rig.wire.html_values()
    assert html_values, "no stats table was sent"
    lines = []
    for value in html_values:
        if value and "<table" in value:
            shown = check_html(value, STATS_TAGS)
            assert key.replace("\r", "") in shown.replace("\r", ""), "the key is not in the stats table as text"
        elif value:
            lines.append(check_html(value, LINE_TAGS).replace("\r", ""))
    front = rig.wire.models.values()
    labels = [label for m in front if m.get("_model_name") == "LinesModel" for label in m.get("labels", [])]
    axis_labels = [m.get("label") for m in front if m.get("_model_name") == "AxisModel"]
    bars = [label for m in front if "labels" in m and m.get("_model_name") == "AnyModel" for label in m["labels"]]
    assert group_name.replace("\r", "") in lines  # the chart title
    assert key in labels and key + "2" in labels
    # Axis labels are SVG text, cut to fit (the whole of them is in the chart title's tooltip).
    assert shorten(units, X_LABEL) in axis_labels and shorten(f"{scale_name} ({units})", Y_LABEL) in axis_labels
    assert bar in bars
    assert any(line.startswith(task.replace("\r", "") + " · ") for line in lines)  # the board header


def test_unencodable_text_does_not_poison_the_store(tmp_path: Path, ledger: Ledger) -> None:
    """A key with a lone surrogate (from os.fsdecode of a bad file name, say) cannot be stored as UTF-8.

    It must be refused where it is given, naming the metric, or stored somehow; either
    way, the other metrics and the execution's status must still reach the store.
    """
    row = ledger.scenario(6, "a lone surrogate ('\\udcff', not UTF-8) in a key, a group name, a task name")
    rig = Rig(tmp_path / "surrogate" / "metrics.sqlite", board=False)
    refused = 0
    with rig.installed(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        good = cf.Metric("good", throttle=None)
        holder: list[cf.Execution] = []

        @cf.task("surrogates")
        def run() -> None:
            holder.append(cf.current_execution())
            good.record(1.0, at=0)
            makers: list[Callable[[], None]] = [
                lambda: cf.Metric("bad\udcff", throttle=None).record(2.0, at=0),
                lambda: cf.Metric("bad", group="g\udcff", throttle=None).record(2.0, at=0),
                lambda: cf.Metric("bad2", scale=cf.MetricScale(units="\udcff"), throttle=None).record(2.0, at=0),
            ]
            for make in makers:
                try:
                    make()
                except (TypeError, ValueError) as error:
                    assert "\\udcff" in str(error) or "surrogate" in str(error), str(error)
                    nonlocal refused
                    refused += 1
            good.record(3.0, at=1)

        run()
        try:
            cf.task("task\udcff")(lambda: cf.Metric("t", throttle=None).record(1.0, at=0))()
        except (TypeError, ValueError):
            refused += 1
        cf.flush()
        store_warnings = [str(w.message) for w in caught if "store" in str(w.message)]
    exe = holder[0]
    stored = rig.stored_execution(exe.id)
    _, series = rig.stored(exe.id)
    assert store_warnings == [], store_warnings[:1]
    assert stored.status == "succeeded"
    assert series["good"][1].tolist() == [1.0, 3.0]
    ledger.done(row, "4 names", f"0 (refused {refused} of 4 with an error naming it; the store kept working)")
