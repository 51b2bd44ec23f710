"""The seed page's examples run unchanged in a plain script, printing nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    '''
    import cellflux as cf

    def run_epoch(epoch):
        return 1.0 / (epoch + 1), 10.0 * epoch

    def handle(item):
        pass

    items = list(range(50))

    loss = cf.Metric("loss", group="training")
    accuracy = cf.Metric("accuracy", group="training")

    @cf.task()
    def train(epochs):
        for epoch in range(epochs):
            loss_val, acc_val = run_epoch(epoch)
            loss.record(loss_val, at=epoch)
            accuracy.record(acc_val, at=epoch)

    train(5)

    group = cf.MetricGroup("training", units="epoch")

    loss = cf.Metric("loss", group=group, scale=cf.MetricScale(units=""))
    accuracy = cf.Metric("accuracy", group=group, scale=cf.MetricScale(units="%", lower=0, upper=100))
    train(5)

    @cf.task()
    def process_batch(items):
        for item in cf.progress(items):
            handle(item)

    process_batch(items)

    for item in cf.progress(items, key="items_processed", group="processing"):
        handle(item)

    metric = cf.Metric("fast_metric", throttle=100)  # 100 values/sec
    metric = cf.Metric("exact_metric", throttle=None)  # No throttling
    metric.record(1.0)
    cf.flush()
    '''
)


def test_seed_examples_run_unchanged_in_a_script_and_print_nothing(tmp_path: Path) -> None:
    script = tmp_path / "seed.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, CELLFLUX_STORE=str(tmp_path / "store.sqlite"))
    env.pop("CELLFLUX_DISPLAY", None)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
