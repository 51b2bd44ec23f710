"""``import cellflux`` never imports a framework; a missing framework is named with its pip command."""

from __future__ import annotations

import subprocess
import sys

import pytest

FRAMEWORKS = ("keras", "lightning", "pytorch_lightning", "transformers", "xgboost", "lightgbm", "torch", "tensorflow")


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={"CELLFLUX_STORE": ":memory:", "CELLFLUX_DISPLAY": "0", "PATH": ""})


def test_importing_cellflux_and_its_integrations_package_imports_no_framework() -> None:
    done = run(
        "import sys, cellflux, cellflux.integrations, cellflux.integrations._naming\n"
        "import cellflux as cf\n"
        "with cf.run('x'):\n    cf.Metric('loss').record(1.0, at=1)\n"
        f"print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("module", "hidden", "pip"),
    [
        ("keras", ("keras",), "pip install keras"),
        ("lightning", ("lightning", "pytorch_lightning"), "pip install lightning"),
        ("transformers", ("transformers",), "pip install transformers"),
        ("xgboost", ("xgboost",), "pip install xgboost"),
        ("lightgbm", ("lightgbm",), "pip install lightgbm"),
    ],
)
def test_a_missing_framework_is_named_with_its_pip_command(module: str, hidden: tuple[str, ...], pip: str) -> None:
    block = "".join(f"sys.modules[{name!r}] = None\n" for name in hidden)  # as if not installed
    done = run(f"import sys\n{block}import cellflux.integrations.{module}")
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: cellflux.integrations.") and pip in last
