"""A chart's CSV (display/export.py): every stored point, inert names, numbers as stored."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from cellflux.display import export
from cellflux.display.export import csv_chunks, csv_name, inert


def read(x_label: str, columns: list[tuple[str, list[float], list[float]]]) -> list[list[str]]:
    data = b"".join(csv_chunks(x_label, [(n, np.array(x, float), np.array(y, float)) for n, x, y in columns]))
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_metrics_sharing_their_steps_give_one_row_per_point() -> None:
    rows = read("epoch", [("loss", [0, 1, 2], [0.9, 0.5, 0.25]), ("acc", [0, 1, 2], [10, 55.5, 90])])
    assert rows == [["epoch", "loss", "acc"], ["0", "0.9", "10"], ["1", "0.5", "55.5"], ["2", "0.25", "90"]]


def test_points_at_other_x_values_leave_empty_cells_and_repeated_x_take_a_row_each() -> None:
    rows = read("time (s)", [("a", [0.5, 1.0, 1.0], [1, 2, 3]), ("b", [1.0, 2.0], [7, 8])])
    assert rows[1:] == [["0.5", "1", ""], ["1", "2", "7"], ["1", "3", ""], ["2", "", "8"]]
    filled = sum(cell != "" for row in rows[1:] for cell in row[1:])
    assert filled == 5  # the stored points, no more, no fewer


def test_non_finite_values_are_kept_as_text_and_floats_round_trip() -> None:
    ys = [math.nan, math.inf, -math.inf, 0.1, 1e-300, 123456789.123]
    rows = read("x", [("m", list(range(6)), ys)])
    values = [row[1] for row in rows[1:]]
    assert values[:3] == ["nan", "inf", "-inf"]
    assert [float(v) for v in values[3:]] == ys[3:]


def test_hostile_names_stay_text_in_the_header() -> None:
    names = ["=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", 'a,"b"\nc', "<img src=x onerror=alert(1)>"]
    rows = read("=x label", [(n, [0], [1]) for n in names])
    assert rows[0] == ["'=x label", "'=cmd|' /C calc'!A0", "'+1", "'-2+3", "'@SUM(A1)", 'a,"b"\nc',
                       "<img src=x onerror=alert(1)>"]
    assert inert("\tx") == "'\tx" and inert("loss") == "loss"


def test_big_exports_come_in_chunks_that_join_into_one_csv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "CHUNK_BYTES", 1000)
    xs = np.arange(5000.0)
    chunks = list(csv_chunks("step", [("loss", xs, xs / 7)]))
    assert len(chunks) > 10
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert len(rows) == 5001 and float(rows[-1][1]) == 4999 / 7


def test_no_metric_gives_a_header_only() -> None:
    assert read("", []) == [["x"]]


def test_file_names_are_plain() -> None:
    assert csv_name("training") == "training.csv"
    assert csv_name("../../etc/passwd") == "etc_passwd.csv"
    assert csv_name("<>") == "chart.csv"
