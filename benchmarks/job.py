"""One measurement in a fresh process: ``python -m benchmarks.job W FN PARAMS_JSON OUT``.

Runs function ``FN`` of workload module ``W`` with the JSON parameters and
writes its result (a JSON object) to ``OUT``. stdout may belong to a recorded
front end, so nothing is printed; failures go to stderr with a non-zero exit.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    workload, fn, params, out = argv
    module = importlib.import_module(f"benchmarks.{workload}")
    result = getattr(module, fn)(json.loads(params))
    Path(out).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
