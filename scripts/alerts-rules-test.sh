#!/usr/bin/env bash
# The rules file `--alerts-rules` writes, checked by Prometheus' own tool: exports the rules
# of the shipped alert scenario (and of the same rules per class and with explicit windows)
# and runs `promtool check rules` on each. Installs promtool from the OS package
# `prometheus` when it is missing (idempotent: the --metrics check installs the same).
# Usage: scripts/alerts-rules-test.sh [SIMULATE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
SIM=$(realpath "${1:-target/release/simulate}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if ! command -v promtool >/dev/null; then
  echo "installing prometheus (for promtool)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

SCENARIO=scenarios/failures/alerts-db-slowdown.toml
check() {
  local name=$1; shift
  "$SIM" "$SCENARIO" --set run.duration=150s "$@" --alerts-rules "$WORK/$name.yml" >/dev/null
  promtool check rules "$WORK/$name.yml" >/dev/null || { promtool check rules "$WORK/$name.yml"; exit 1; }
  echo "ok  $name"
}
# As shipped; then windows, factor and class set by hand, and a faster evaluation.
check shipped
check explicit --set 'alerts.1.long=2m' --set 'alerts.1.short=10s' \
  --set 'alerts.1.factor=10' --set 'alerts.1.class=write' --set run.alert_interval=1s
# Every component series on the database, every request series on a class.
for s in utilization queue errors error_ratio calls; do
  check "db-$s" --set "alerts.0.series=$s"
done
for s in p99 error_rate rps goodput; do
  check "read-$s" --set "alerts.3.series=$s" --set alerts.3.above=0.5
done
echo "alerts rules: promtool accepts every exported file"
