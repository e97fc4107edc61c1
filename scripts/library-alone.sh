#!/usr/bin/env bash
# The library-only build: `archsim = { default-features = false }` must build without the
# command line's dependencies. Builds the facade's library with no default features, then
# fails if clap, indicatif or plotters are among its normal dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --no-default-features --lib
tree=$(cargo tree --locked --no-default-features -e normal -p archsim --prefix none --format '{p}')
found=$(grep -E '^(archsim-cli|clap|clap_builder|indicatif|plotters) ' <<<"$tree" | sort -u || true)
if [ -n "$found" ]; then
  echo "library-alone: archsim without default features still depends on:" >&2
  echo "$found" >&2
  exit 1
fi
echo "library-alone: ok, $(sort -u <<<"$tree" | wc -l) crates, none of clap, indicatif, plotters"
