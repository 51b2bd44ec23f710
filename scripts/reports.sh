#!/usr/bin/env bash
# Replace the committed reports with those the last test run measured. Tests write only
# under build/reports/ (git-ignored); this command is the one way RELIABILITY.md and
# benchmarks/results-browser.md change. Review the diff, then commit it.
set -euo pipefail
cd "$(dirname "$0")/.."
copied=0
while read -r measured committed; do
  if [ -f "build/reports/$measured" ]; then
    cp "build/reports/$measured" "$committed"
    echo "== $committed, from build/reports/$measured:"
    grep -E '^- |^\| [a-z]' "$committed" || true  # the summary lines, the latency table
    copied=$((copied + 1))
  else
    echo "== $committed kept: no build/reports/$measured (its tests did not run)" >&2
  fi
done <<'PAIRS'
RELIABILITY.md RELIABILITY.md
results-browser.md benchmarks/results-browser.md
PAIRS
if [ "$copied" = 0 ]; then
  echo "no reports in build/reports/: run bash scripts/test.sh first" >&2
  exit 1
fi
