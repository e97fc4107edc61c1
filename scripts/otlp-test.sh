#!/usr/bin/env bash
# Traces decoded by the official OpenTelemetry definitions: installs the `opentelemetry-proto`
# Python package (with protobuf) from PyPI into a scratch folder, writes traces of shipped
# scenarios (a healthy stage, retries under a storm, hedged calls, a failover) and checks
# every line with scripts/otlp_check.py.
# Usage: scripts/otlp-test.sh [BIN]   (default target/release/simulate)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/release/simulate}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! python3 -m pip --version >/dev/null 2>&1; then
  if command -v apt-get >/dev/null; then
    (apt-get install -y -qq python3-pip >/dev/null 2>&1 || sudo apt-get install -y -qq python3-pip >/dev/null)
  fi
fi
python3 -m pip install --quiet --disable-pip-version-check --target "$work/py" opentelemetry-proto 2>&1 \
  | grep -v "Running pip as the 'root' user" || true
for s in stage2 failures/retry-storm failures/hedging failures/spof-database-failover; do
  "$bin" "scenarios/$s.toml" --traces "$work/t.jsonl" --json "$work/r.json" >/dev/null 2>"$work/err" \
    || { cat "$work/err"; exit 1; }
  printf '%-36s ' "$s"
  PYTHONPATH="$work/py" python3 scripts/otlp_check.py "$work/t.jsonl" "$work/r.json" 0.01
done
