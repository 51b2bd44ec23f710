"""A chart's data as CSV: every stored point, one column per metric, names kept inert.

One row per x value (the chart's x-axis: steps, epochs, or seconds since the start),
one column per metric; a metric without a point at that x leaves its cell empty, and
a metric with several points at one x (auto x reads a clock that can repeat) takes
one row each. So no point is lost and none is invented: the cells filled are the
stored points, and a chart whose metrics share their x values has one row per point.

Metric keys and the x label are untrusted text. The csv module quotes what needs
quoting (commas, quotes, line breaks), and a name that a spreadsheet would run as a
formula (``=``, ``+``, ``-``, ``@``, tab, carriage return first) gets a leading ``'``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["csv_chunks", "csv_name", "inert"]

Floats = npt.NDArray[np.float64]
CHUNK_BYTES = 4 << 20
"""About this many bytes per chunk: each chunk is one comm message to the browser."""
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """``text`` as a spreadsheet shows it as text, never runs it as a formula.

    >>> inert("=HYPERLINK(\\"http://x\\")"), inert("loss")
    ('\\'=HYPERLINK("http://x")', 'loss')
    """
    return "'" + text if text.startswith(_FORMULA) else text


def csv_name(title: str) -> str:
    """A file name for the chart titled ``title``: letters, digits, ``._-`` only.

    >>> csv_name("val/loss <script>")
    'val_loss_script.csv'
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", title).strip("._") or "chart"
    return f"{stem[:80]}.csv"


def _number(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _rows(columns: Sequence[tuple[Floats, Floats]]) -> tuple[Floats, npt.NDArray[np.int64]]:
    """The x of each row, and for each point of each column (concatenated) its row."""
    xs, occurrences = [], []
    for x, _ in columns:
        # The k-th point at one x value goes to that x's k-th row.
        occurrences.append(np.arange(len(x)) - np.searchsorted(x, x, side="left"))
        xs.append(x)
    if not xs:
        return np.empty(0), np.empty(0, dtype=np.int64)
    keys = np.column_stack([np.concatenate(xs), np.concatenate(occurrences).astype(np.float64)])
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    return unique[:, 0], inverse.ravel().astype(np.int64)


def csv_chunks(x_label: str, columns: Sequence[tuple[str, Floats, Floats]]) -> Iterator[bytes]:
    """The CSV text (UTF-8) of ``columns`` (name, xs, ys), in chunks of about ``CHUNK_BYTES``."""
    row_x, row_of = _rows([(x, y) for _, x, y in columns])
    table = np.full((len(row_x), len(columns)), np.nan)
    filled = np.zeros(table.shape, dtype=bool)
    at = 0
    for j, (_, x, y) in enumerate(columns):
        rows = row_of[at : at + len(x)]
        table[rows, j], filled[rows, j] = y, True
        at += len(x)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([inert(x_label or "x"), *(inert(name) for name, _, _ in columns)])
    for i, x in enumerate(row_x.tolist()):
        cells = [_number(v) if f else "" for v, f in zip(table[i].tolist(), filled[i].tolist())]
        writer.writerow([_number(x), *cells])
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")
