"""The rows of ``RELIABILITY.md``: each scenario, how many cases were tried, what was lost.

A test opens its row with :meth:`Ledger.scenario` before it starts, and closes it with
:meth:`Ledger.done` once every assertion passed. A row that is never closed (the
test failed or raised) is written as failing, with the first line of the error.
At the end of the session the rows are merged into ``build/reports/RELIABILITY.md``
(git-ignored): rows of scenarios that did not run this time are kept as the last run
that ran them wrote them, so running one file of the tier does not erase the others.
``bash scripts/reports.sh`` copies that file over the committed ``RELIABILITY.md``;
the tests never write it.
"""

from __future__ import annotations

import datetime
import platform
import re
from dataclasses import dataclass
from pathlib import Path

from ..reports import REPORTS

REPORT = REPORTS / "RELIABILITY.md"

SECTIONS = {
    1: "Property tests (hypothesis) over the public API",
    2: "Faults",
    3: "Crashes and interrupts",
    4: "Concurrency",
    5: "Long runs",
    6: "Hostile text",
}


@dataclass
class Row:
    section: int
    scenario: str
    tried: str = ""
    lost: str = ""
    result: str = "FAIL"
    test: str = ""
    seconds: float = 0.0


_rows: dict[str, Row] = {}
"""This session's rows, by scenario."""


class Ledger:
    """The rows one test adds."""

    def __init__(self, test: str) -> None:
        self.test = test
        self.rows: list[Row] = []

    def scenario(self, section: int, name: str) -> Row:
        """Open a row: it reads FAIL until :meth:`done` closes it."""
        row = Row(section, name, test=self.test)
        _rows[name] = row
        self.rows.append(row)
        return row

    def done(self, row: Row, tried: str, lost: str, result: str = "pass") -> None:
        row.tried, row.lost, row.result = tried, lost, result

    def failed(self, error: str) -> None:
        """The test failed: every row it left open says so."""
        first = error.strip().splitlines()[0] if error.strip() else "failed"
        open_rows = [row for row in self.rows if row.result == "FAIL"] or self.rows[-1:]
        for row in open_rows:
            row.result = f"FAIL: {first[:160]}"


def recorded() -> bool:
    return bool(_rows)


_ROW = re.compile(r"^\| (\d) \| (.*?) \| (.*?) \| (.*?) \| (.*?) \|$")


def _previous_rows() -> dict[str, Row]:
    if not REPORT.exists():
        return {}
    rows: dict[str, Row] = {}
    for line in REPORT.read_text(encoding="utf-8").splitlines():
        m = _ROW.match(line)
        if m and m.group(1).isdigit():
            scenario = m.group(2).replace("\\|", "|")
            rows[scenario] = Row(int(m.group(1)), scenario, m.group(3), m.group(4), m.group(5))
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write(tier_seconds: float, command: str) -> Path:
    """Merge this session's rows into the report of the earlier runs, ``build/reports/RELIABILITY.md``."""
    rows = _previous_rows()
    rows.update(_rows)
    ordered = sorted(rows.values(), key=lambda r: r.section)
    failing = [r for r in ordered if not r.result.startswith("pass")]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Reliability",
        "",
        "Written by the reliability tier (`tests/reliability/`, which `pytest tests` runs) into",
        "`build/reports/`, and copied here by `bash scripts/reports.sh`. Do not edit by hand.",
        "",
        f"- last run: {now}, `{command}`, Python {platform.python_version()} on {platform.machine()}",
        f"- time of the tests that ran this session: {tier_seconds:.0f} s",
        f"- scenarios: {len(ordered)}, failing: {len(failing)}",
        "",
        "| § | scenario | tried | lost | result |",
        "|---|---|---|---|---|",
    ]
    for r in ordered:
        lines.append(f"| {r.section} | {_cell(r.scenario)} | {_cell(r.tried)} | {_cell(r.lost)} | {_cell(r.result)} |")
    lines += ["", "Sections: " + "; ".join(f"{k}. {v}" for k, v in SECTIONS.items()), ""]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    return REPORT
