#!/usr/bin/env bash
# Rewrites the figures the documentation quotes from real runs (issue 12 item 2): the
# headline tables of scenarios/README.md (seed 1), the app utilization in the header of
# scenarios/stage3.toml, and the README's ci95 example (from the command printed above it).
# `git diff` then shows what moved. The same tests, without ARCHSIM_WRITE_FIGURES, fail when a
# figure no longer matches (tests/it/figures.rs). About two minutes in a release build, most
# of it the two stage-4 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHSIM_WRITE_FIGURES=1 cargo test --release --locked --test it figures:: -- --include-ignored "$@"
