"""ProgressBars: packing, one comm message per update, clean repr.

Assumes the front end was built (`npm run build` in js/), as the test command does first.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import comm
import pytest
from comm.base_comm import BaseComm

from cellflux.display import progress_bar
from cellflux.display.progress_bar import ProgressBars


class RecordingComm(BaseComm):
    """A comm that keeps what a kernel would publish to the front end."""

    def __init__(self, **kwargs: Any) -> None:
        self.published: list[tuple[str, Any, list[Any]]] = []
        super().__init__(**kwargs)

    def publish_msg(
        self,
        msg_type: str,
        data: Any = None,
        metadata: Any = None,
        buffers: Any = None,
        **keys: Any,
    ) -> None:
        self.published.append((msg_type, data, list(buffers or [])))

    def updates(self) -> list[tuple[dict[str, Any], list[bytes]]]:
        """State updates sent so far, each as (data, buffers as bytes)."""
        return [
            (data, [bytes(b) for b in buffers])
            for msg_type, data, buffers in self.published
            if msg_type == "comm_msg" and data["method"] == "update"
        ]


@pytest.fixture
def make_bars(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Build ProgressBars on a RecordingComm (the hook the comm package provides for this)."""
    monkeypatch.setattr(comm, "create_comm", lambda **kwargs: RecordingComm(**kwargs))
    made: list[ProgressBars] = []

    def make(*args: Any, **kwargs: Any) -> tuple[ProgressBars, RecordingComm]:
        widget = ProgressBars(*args, **kwargs)
        made.append(widget)
        assert isinstance(widget.comm, RecordingComm)
        return widget, widget.comm

    yield make
    for widget in made:
        widget.close()


EPOCH = ("epoch", "running", 3, 10, 12.0, 0.25)
BATCH = ("batch", "stopped", 37, None, 12.5, None)


def test_set_bars_packs_four_little_endian_doubles_per_bar(make_bars: Any) -> None:
    widget, _ = make_bars([EPOCH, BATCH])
    assert widget.labels == ["epoch", "batch"]
    assert widget.states == ["running", "stopped"]
    values = struct.unpack("<8d", widget.data)
    assert values[:4] == (3.0, 10.0, 12.0, 0.25)
    assert values[4] == 37.0 and values[6] == 12.5
    assert math.isnan(values[5]) and math.isnan(values[7])


def test_set_bars_sends_one_message_with_every_change(make_bars: Any) -> None:
    widget, recorder = make_bars()
    before = len(recorder.updates())
    widget.set_bars([EPOCH, BATCH])
    updates = recorder.updates()[before:]
    assert len(updates) == 1
    data, buffers = updates[0]
    assert data["state"]["labels"] == ["epoch", "batch"]
    assert data["state"]["states"] == ["running", "stopped"]
    assert data["buffer_paths"] == [["data"]]
    assert buffers == [widget.data]


def test_set_bars_sends_only_changed_traits_and_nothing_when_unchanged(make_bars: Any) -> None:
    widget, recorder = make_bars([EPOCH, BATCH])
    before = len(recorder.updates())
    widget.set_bars([EPOCH, BATCH])
    assert recorder.updates()[before:] == []

    epoch4 = ("epoch", "running", 4, 10, 16.0, 0.25)
    widget.set_bars([epoch4, BATCH])
    updates = recorder.updates()[before:]
    assert len(updates) == 1
    data, buffers = updates[0]
    assert "labels" not in data["state"] and "states" not in data["state"]
    assert struct.unpack("<4d", buffers[0][:32]) == (4.0, 10.0, 16.0, 0.25)

    widget.set_bars([epoch4, ("batch", "failed", 37, None, 12.5, None)])
    data, buffers = recorder.updates()[-1]
    assert data["state"] == {"states": ["running", "failed"]}
    assert buffers == []


def test_set_bars_rejects_a_bad_state_before_sending(make_bars: Any) -> None:
    widget, recorder = make_bars([EPOCH])
    before = len(recorder.updates())
    with pytest.raises(ValueError, match="'epoch'.*'finished'"):
        widget.set_bars([("epoch", "finished", 10, 10, 1.0, 1.0)])
    with pytest.raises(TypeError, match="label must be a str"):
        widget.set_bars([(7, "done", 10, 10, 1.0, 1.0)])
    assert recorder.updates()[before:] == []
    assert widget.states == ["running"]


def test_rejects_misspelled_keyword_arguments() -> None:
    with pytest.raises(TypeError, match="lables"):
        ProgressBars(lables=["x"])


def test_repr_is_short_and_mimebundle_uses_it(make_bars: Any) -> None:
    widget, _ = make_bars([EPOCH, ("batch", "stopped", 37, 100, 9.0, 4.1)])
    assert repr(widget) == "ProgressBars(epoch: 3/10 running, batch: 37/100 stopped)"
    bundle = widget._repr_mimebundle_()[0]
    assert bundle["text/plain"] == repr(widget)
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == widget.model_id


def test_repr_of_unknown_totals_empty_and_many_bars(make_bars: Any) -> None:
    widget, _ = make_bars([BATCH])
    assert repr(widget) == "ProgressBars(batch: 37 stopped)"
    widget.set_bars([])
    assert repr(widget) == "ProgressBars()"
    widget.set_bars([(f"m{i}", "done", i, i, 1.0, 1.0) for i in range(20)])
    text = repr(widget)
    assert text.startswith("ProgressBars(m0: 0/0 done, m1: 1/1 done,")
    assert text.endswith("… 12 more)")
    assert "object at" not in text


def test_missing_bundle_says_how_to_build_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(progress_bar, "_BUNDLE", tmp_path / "progress.js")
    with pytest.raises(FileNotFoundError, match="npm run build"):
        ProgressBars()


def test_front_end_is_the_built_bundle(make_bars: Any) -> None:
    widget, _ = make_bars()
    assert widget._esm == progress_bar._BUNDLE.read_text(encoding="utf-8")
    assert "export" in widget._esm


def test_initial_bars_travel_with_the_comm_open(make_bars: Any) -> None:
    widget, recorder = make_bars([EPOCH])
    assert recorder.updates() == []
    opened = [data for msg_type, data, _ in recorder.published if msg_type == "comm_open"]
    assert opened[0]["state"]["labels"] == ["epoch"]
    assert opened[0]["state"]["states"] == ["running"]
