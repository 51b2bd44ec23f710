#!/usr/bin/env bash
# Every test tier, from scratch: environment, front-end build, JS unit tests,
# mypy, pytest (unit, widget protocol, store on SQLite and PostgreSQL, reliability,
# the torchrun rehearsal), the notebooks under
# nbval, and the real-browser tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Chromium (Debian package) for the browser tests"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

echo "== environment"
bash scripts/setup-env.sh test

echo "== JS unit tests"
(cd js && npm test --silent && npm run typecheck --silent)

echo "== mypy"
.venv/bin/python -m mypy

echo "== PostgreSQL (a server for this run: a temporary folder, a Unix socket, no TCP port)"
eval "$(bash scripts/pg.sh start)"
trap 'bash scripts/pg.sh stop "$CELLFLUX_TEST_PGDIR"' EXIT

echo "== pytest"
.venv/bin/python -m pytest tests -q -p no:cacheprovider

echo "== notebooks (nbval)"
(cd notebooks && CELLFLUX_STORE=":memory:" ../.venv/bin/python -m pytest --nbval-lax -q -p no:cacheprovider .)
