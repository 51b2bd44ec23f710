"""The terminal progress line: one self-updating line on a TTY, silence elsewhere."""

from __future__ import annotations

import io
import os
import re
import select
import threading
import time
from collections.abc import Iterator

import pytest

import cellflux as cf
from cellflux import config
from cellflux.display.bar_text import format_bar
from cellflux.display.text import TextProgress, make_text_sink
from cellflux.runtime import Runtime, use_runtime


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Pty:
    """A pseudo-terminal: the sink writes to ``stream``; the test reads what the terminal got."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.stream = os.fdopen(slave, "w", encoding="utf-8")
        self.received = b""

    def drain(self) -> str:
        while select.select([self.master], [], [], 0)[0]:
            chunk = os.read(self.master, 65536)
            if not chunk:
                break
            self.received += chunk
        return self.received.decode("utf-8")

    def close(self) -> None:
        self.stream.close()
        os.close(self.master)


@pytest.fixture
def pty() -> Iterator[Pty]:
    p = Pty()
    yield p
    p.close()


@pytest.fixture(autouse=True)
def display_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config.settings, "display", None)
    monkeypatch.delenv("CELLFLUX_DISPLAY", raising=False)


def test_bar_text_reads_like_the_widget() -> None:
    assert format_bar(3, 10, 12.0, 0.25, "running") == "3/10 30% · 00:12<00:28 · 4.0 s/it"
    assert format_bar(29, 100, 5.0, 5.8, "running") == "29/100 29% · 00:05<00:12 · 5.8 it/s"
    assert format_bar(37, None, 12.0, 3.08, "running") == "37 · 00:12 · 3.1 it/s"
    assert format_bar(37, 100, 12.0, 3.08, "failed") == "37/100 37% · 00:12 · 3.1 it/s · failed"
    assert format_bar(0, 0, 0.0, None, "done") == "0/0 100% · 00:00 · ? it/s · done"


def test_tty_line_updates_in_place_and_ends_with_a_newline(pty: Pty) -> None:
    clock = FakeClock()
    rt = Runtime(clock=clock, wall=clock, flusher_thread=False)
    with use_runtime(rt):
        sink = make_text_sink(rt, pty.stream)
        assert isinstance(sink, TextProgress)
        sink._use_thread = False  # driven by hand with the fake clock below
        rt.add_sink(sink)

        @cf.task()
        def train() -> None:
            for _ in cf.progress(range(10), key="epoch"):
                clock.now += 1.0
                rt.flusher.run_due()
                sink.tick()

        train()
    out = pty.drain()
    assert out.count("\r") >= 10, out  # one carriage return per redraw
    # Inside the loop body the current item is not done yet: 2 done after 3 s.
    assert "\repoch 2/10 20% · 00:03<00:12 · 1.5 s/it\r" in out
    assert "epoch 9/10 90%" in out
    final = out.rstrip("\r\n").rsplit("\r", 1)[-1]
    assert final.strip() == "epoch 10/10 100% · 00:10 · 1.0 it/s · done"
    assert out.endswith("\n")
    assert out.count("\n") == 1, "a single line, ended once"


def test_redraws_are_throttled_to_ten_a_second(pty: Pty) -> None:
    clock = FakeClock()
    rt = Runtime(clock=clock, wall=clock, flusher_thread=False)
    with use_runtime(rt):
        sink = TextProgress(pty.stream, clock=clock, thread=False)
        rt.add_sink(sink)

        @cf.task()
        def fast() -> None:
            for _ in cf.progress(range(2000), key="item"):
                clock.now += 0.001  # 2 s in all, 1000 items/s
                rt.flusher.run_due()
                sink.tick()
                pty.drain()

        fast()
    out = pty.drain()
    redraws = out.count("\r") - out.count("\r\n")  # the tty turns the final \n into \r\n
    assert 15 <= redraws <= 22, redraws  # 2 s at <= 10/s, plus the final line
    assert "item 2000/2000 100%" in out


def test_nothing_is_written_to_a_stream_that_is_not_a_tty() -> None:
    clock = FakeClock()
    rt = Runtime(clock=clock, wall=clock, flusher_thread=False)
    captured = io.StringIO()
    assert make_text_sink(rt, captured) is None
    with use_runtime(rt):
        sink = make_text_sink(rt, captured)
        if sink is not None:  # pragma: no cover - the assertion above already failed
            rt.add_sink(sink)

        @cf.task()
        def quiet() -> None:
            for _ in cf.progress(range(100), key="epoch"):
                clock.now += 1.0
                rt.flusher.run_due()

        quiet()
    assert captured.getvalue() == ""


def test_display_off_means_no_text_line(pty: Pty, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config.settings, "display", False)
    assert make_text_sink(Runtime(flusher_thread=False), pty.stream) is None


def test_nested_bars_share_one_line_and_a_failure_is_shown(pty: Pty) -> None:
    clock = FakeClock()
    rt = Runtime(clock=clock, wall=clock, flusher_thread=False)
    with use_runtime(rt):
        sink = TextProgress(pty.stream, clock=clock, thread=False, width=200)
        rt.add_sink(sink)
        lines: list[str] = []

        @cf.task()
        def batches() -> None:
            for _ in cf.progress(range(4), key="batch"):
                clock.now += 0.5
                rt.flusher.run_due()
                lines.append(sink.line())

        @cf.task()
        def train() -> None:
            for epoch in cf.progress(range(3), key="epoch"):
                batches()
                if epoch == 1:
                    raise RuntimeError("diverged")

        with pytest.raises(RuntimeError):
            train()
    assert any(re.fullmatch(r"epoch 0/3 0% · .* \| batch 2/4 50% · .*", line) for line in lines), lines
    out = pty.drain()
    assert out.count("\n") == 1, "child executions ending do not end the line"
    final = out.rstrip("\r\n").rsplit("\r", 1)[-1].strip()
    assert final.startswith("epoch 1/3 33%") and final.endswith("· failed"), final


def test_control_characters_in_keys_stay_on_one_line() -> None:
    clock = FakeClock()
    rt = Runtime(clock=clock, wall=clock, flusher_thread=False)
    with use_runtime(rt):
        sink = TextProgress(io.StringIO(), clock=clock, thread=False, width=60)
        rt.add_sink(sink)
        for i in cf.progress(range(3), key="evil\n\x1b[2Jkey" + "x" * 100):
            if i == 2:
                line = sink.line()
    assert "\n" not in line and "\x1b" not in line
    assert line.startswith("evil\\n\\x1b[2Jkey")
    assert len(line) == 59 and line.endswith("…")


def test_timer_thread_redraws_during_a_real_run(pty: Pty) -> None:
    rt = Runtime(flusher_thread=True)
    with use_runtime(rt):
        sink = TextProgress(pty.stream, clock=rt.clock)
        rt.add_sink(sink)
        seen_mid_run = threading.Event()

        @cf.task()
        def work() -> None:
            for i in cf.progress(range(60), key="step"):
                time.sleep(0.01)
                if i == 50 and re.search(r"step [1-9]\d*/60", pty.drain()):
                    seen_mid_run.set()

        started = time.monotonic()
        work()
        elapsed = time.monotonic() - started
        sink.close()
    out = pty.drain()
    assert seen_mid_run.is_set(), out
    redraws = out.count("\r") - out.count("\r\n")
    assert redraws <= 10 * elapsed + 3, (redraws, elapsed)
    assert "step 60/60 100%" in out and out.endswith("\n")


def test_each_finished_loop_leaves_its_line_and_a_reused_key_comes_back(pty: Pty) -> None:
    clock = FakeClock()
    rt = Runtime(clock=clock, wall=clock, flusher_thread=False)
    with use_runtime(rt):
        sink = TextProgress(pty.stream, clock=clock, thread=False)
        rt.add_sink(sink)

        @cf.task()
        def script() -> None:
            for total in (3, 5, 4):
                for _ in cf.progress(range(total), key="step" if total != 5 else "other"):
                    clock.now += 1.0
                    rt.flusher.run_due()
                    sink.tick()
                clock.now += 1.0
                sink.tick()  # the loop is over: its line ends before the next loop's output

        script()
    finals = [line.rstrip("\r").rsplit("\r", 1)[-1].strip() for line in pty.drain().split("\n") if line.strip()]
    assert finals == [
        "step 3/3 100% · 00:03 · 1.0 it/s · done",
        "other 5/5 100% · 00:05 · 1.0 it/s · done",
        "step 4/4 100% · 00:04 · 1.0 it/s · done",
    ]


def test_a_finished_loop_ends_its_line_at_once(pty: Pty) -> None:
    # progress() tells the sinks when its loop is done, so the final line is out
    # before whatever the script prints next, with no wait for the next redraw.
    clock = FakeClock()
    rt = Runtime(clock=clock, wall=clock, flusher_thread=False)
    with use_runtime(rt):
        sink = TextProgress(pty.stream, clock=clock, thread=False)
        rt.add_sink(sink)
        for _ in cf.progress(range(3), key="step"):
            sink.tick()  # no time passes: only the first redraw happens, the others wait
            assert "\n" not in pty.drain()
    assert pty.drain().endswith("step 3/3 100% · 00:00 · ? it/s · done\r\n")


def test_the_timer_thread_does_not_join_the_task_that_started_it(pty: Pty) -> None:
    rt = Runtime(flusher_thread=False)
    with use_runtime(rt):
        sink = TextProgress(pty.stream, clock=rt.clock)
        rt.add_sink(sink)

        @cf.task()
        def job() -> None:
            for _ in cf.progress(range(3), key="step"):
                pass

        job()
        assert sink._thread is not None and sink._thread.is_alive()
        assert rt.can_gate and not rt._task_threads, "the sink's thread counts as a task thread"
        sink.close()
        assert not sink._thread.is_alive()
