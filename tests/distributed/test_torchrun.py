"""A multi-host rehearsal on one machine: torchrun (CPU, gloo), 4 ranks as two hosts of 2, every
rank recording into one PostgreSQL store and checkpointing with flush(), while a notebook
(nbclient) watches with ``cf.watch(name="train")``: its board ends with every rank's final values.

Two ``torchrun`` invocations, ``--nnodes 2 --node-rank 0/1`` on 127.0.0.1, are the two
hosts; ``CELLFLUX_HOST`` tags them host-a and host-b.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import cellflux as cf

STEPS = 120


def _torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"torch is required under CI=true (the test extra pins torch==2.13.0): {error}")
        pytest.skip(f"torch is not installed: {error}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _notebook(url: str, go: Path) -> nbformat.NotebookNode:
    cells = [
        f"import cellflux as cf\ncf.configure(store={url!r})",
        'watcher = cf.watch(name="train")',
        f"open({str(go)!r}, 'w').close()  # the ranks start training\n"
        "print('watch ended:', watcher.done.wait(600))",
    ]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])


def test_four_ranks_on_two_hosts_on_one_live_board(pg_url: str, tmp_path: Path) -> None:
    _torch()
    go, out = tmp_path / "go", tmp_path / "out"
    out.mkdir()
    port = _free_port()
    env = {**os.environ, "CELLFLUX_STORE": pg_url, "CELLFLUX_DISPLAY": "0", "OMP_NUM_THREADS": "1"}
    hosts = []
    for node in range(2):
        command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--node-rank", str(node),
                   "--nproc-per-node", "2", "--master-addr", "127.0.0.1", "--master-port", str(port),
                   "--rdzv-id", "rehearsal", str(Path(__file__).with_name("train.py")), str(go), str(out), str(STEPS)]
        hosts.append(subprocess.Popen(command, env={**env, "CELLFLUX_HOST": f"host-{'ab'[node]}"},
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    try:
        deadline = time.monotonic() + 300
        while not [r for r in cf.executions(pg_url, name="train") if len(r.parts) == 3]:
            assert all(h.poll() is None for h in hosts), "a torchrun ended before training"
            assert time.monotonic() < deadline, "the ranks never wrote their runs"
            time.sleep(0.2)
        nb = _notebook(pg_url, go)
        saved = os.environ.pop("CELLFLUX_DISPLAY", None)
        try:
            NotebookClient(nb, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(tmp_path)}}).execute()
        finally:
            if saved is not None:
                os.environ["CELLFLUX_DISPLAY"] = saved
        for host in hosts:
            output, _ = host.communicate(timeout=300)
            assert host.returncode == 0, output[-3000:]
    finally:
        go.touch()
        for host in hosts:
            if host.poll() is None:
                host.kill()

    ranks = sorted((json.loads(p.read_text()) for p in out.glob("rank*.json")), key=lambda r: r["rank"])
    assert [(r["rank"], r["host"], r["world_size"]) for r in ranks] == [
        (0, "host-a", 4), (1, "host-a", 4), (2, "host-b", 4), (3, "host-b", 4)]
    assert all(all(r["flushes"]) and len(r["flushes"]) == STEPS // 10 + 2 for r in ranks)  # every checkpoint stored
    (run,) = cf.executions(pg_url, name="train")
    assert [(p.host, p.rank) for p in [run, *run.parts]] == [("host-a", 0), ("host-a", 1), ("host-b", 2),
                                                               ("host-b", 3)]
    frame = run.to_pandas()
    assert len(frame[frame["key"] == "step"]) == 4 * (STEPS + 1)

    outputs = [o for cell in nb.cells for o in cell.get("outputs", [])]
    assert "watch ended: True" in "".join(o.get("text", "") for o in outputs)
    final = "\n".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    html = "\n".join(o.get("data", {}).get("text/html", "") for o in outputs)
    for rank in range(4):
        tag = f"step · host-{'ab'[rank // 2]} rank {rank}"
        last = f"{rank * 1000 + STEPS - 1:,}" if rank else f"{STEPS - 1}"
        assert tag in final and tag in html, f"{tag} missing from the board"
        line = next(line for line in final.splitlines() if tag in line)
        assert last.replace(",", "") in line.replace(",", ""), line
