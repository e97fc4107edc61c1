#!/usr/bin/env bash
# Instruction counts (callgrind) of whole `simulate` commands on the reference workloads:
# W1 (scripts/perf/w1.toml, 180,000 requests) and 90 simulated seconds of stage 3.
# Usage: scripts/instructions.sh [BIN]   (default target/release/simulate)
# ARGS adds arguments to both commands, e.g. ARGS="--set run.breakdown=false" (a build that
# predates a key rejects it).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/release/simulate}")
read -r -a extra <<<"${ARGS:-}"
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'; }
echo "w1      $(count "$bin" scripts/perf/w1.toml "${extra[@]}")"
echo "stage3  $(count "$bin" scenarios/stage3.toml --set run.duration=90s "${extra[@]}")"
