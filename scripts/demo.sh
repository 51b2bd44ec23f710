#!/usr/bin/env bash
# The main job: a live demo in JupyterLab, opened on the quickstart notebook, from any
# working directory. Metrics go to the default store, .cellflux/metrics.sqlite under notebooks/.
# Extra arguments go to `jupyter lab` (e.g. --no-browser --port=8890).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
bash scripts/setup-env.sh demo

# The demo's own settings, in its virtualenv (never the user's ~/.jupyter): no pop-up asking a
# newcomer about Jupyter news. overrides.d/ leaves an overrides.json of the environment alone.
settings=.venv/share/jupyter/lab/settings/overrides.d
mkdir -p "$settings"
cat > "$settings/cellflux-demo.json" <<'JSON'
{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}
JSON

# The quickstart is the server's default page rather than a file argument: the browser opens
# it, and the URL printed for --no-browser leads to it too.
args=(
  --ip=127.0.0.1
  "--ServerApp.root_dir=$repo/notebooks"
  --LabApp.default_url=/lab/tree/quickstart.ipynb
)
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec .venv/bin/jupyter lab "${args[@]}" "$@"
