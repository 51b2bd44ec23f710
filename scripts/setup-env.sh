#!/usr/bin/env bash
# Create (or update) .venv with cellflux installed in editable mode and the extras
# given as arguments. The package build runs `npm install` and the esbuild bundle
# (hatch-jupyter-builder), so Node.js and npm must be on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-test}"
if ! command -v npm >/dev/null 2>&1; then
  echo "cellflux: npm is needed to build the widget front end (apt-get install -y nodejs npm)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# Build the front end first so the editable install always ships a fresh bundle.
(cd js && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
# PyTorch first, as the CPU build pinned in the integrations extra: a package that
# depends on torch with a range would otherwise let pip pick a CUDA build (GBs).
case ",${extras}," in
  *,test,*|*,integrations,*) .venv/bin/python -m pip install --quiet "torch==2.13.0" ;;
esac
.venv/bin/python -m pip install --quiet -e ".[${extras}]"
