"""The committed notebooks open clean: JupyterLab and Notebook 7 mark a notebook modified
on open when its kernelspec or language_info differ from what the kernel reports."""

from __future__ import annotations

import json

from pathlib import Path

import pytest

from ipykernel.ipkernel import IPythonKernel

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").rglob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 7


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_carries_the_metadata_the_kernel_reports(path: Path) -> None:
    metadata = json.loads(path.read_text())["metadata"]
    assert metadata["kernelspec"] == {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    # The Python version is the one that last saved the notebook: on another Python the
    # front end updates it (and the notebook shows modified); everything else must match.
    reported = {k: v for k, v in IPythonKernel.language_info.items() if k != "version"}
    assert {k: v for k, v in metadata["language_info"].items() if k != "version"} == reported
