#!/usr/bin/env bash
# The main job: a live demo in JupyterLab, opened on the quickstart notebook.
# Metrics go to the default store, .cellflux/metrics.sqlite under notebooks/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh demo
args=(--ip=127.0.0.1 --ServerApp.root_dir=notebooks)
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec .venv/bin/jupyter lab "${args[@]}" "$@" quickstart.ipynb
