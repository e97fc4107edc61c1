#!/usr/bin/env bash
# The behaviour gate: runs every shipped scenario with 1 replication and with
# `--replications 2 --seed 7` through two builds of `simulate` and compares their JSON
# byte for byte, apart from `wall_s`. Usage: scripts/same-results.sh OLD_BIN NEW_BIN [OUT_DIR]
# Exit 0 when every result is identical; the differing files are listed otherwise.
set -uo pipefail
old=$(realpath "$1"); new=$(realpath "$2"); out=${3:-$(mktemp -d)}
cd "$(dirname "$0")/.."
mkdir -p "$out/old" "$out/new"
strip() { grep -v '"wall_s"' "$1"; }
fail=0; n=0
for f in $(find scenarios -name '*.toml' | sort); do
  id=$(echo "$f" | tr '/' '_')
  for mode in one two; do
    args=(); [ $mode = two ] && args=(--replications 2 --seed 7)
    "$old" "$f" "${args[@]}" --json "$out/old/$id.$mode.json" >/dev/null 2>"$out/old/$id.$mode.err"; a=$?
    "$new" "$f" "${args[@]}" --json "$out/new/$id.$mode.json" >/dev/null 2>"$out/new/$id.$mode.err"; b=$?
    n=$((n + 1))
    if [ $a != $b ] || ! cmp -s <(strip "$out/old/$id.$mode.json" 2>/dev/null) <(strip "$out/new/$id.$mode.json" 2>/dev/null); then
      echo "DIFFERS: $f ($mode; exit $a -> $b)"; fail=1
    fi
  done
done
echo "$n runs compared; $([ $fail = 0 ] && echo 'all identical' || echo 'some differ') ($out)"
exit $fail
