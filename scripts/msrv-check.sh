#!/usr/bin/env bash
# The minimum Rust version check: fails when a package in Cargo.lock needs a newer compiler
# than the workspace's `rust-version` says, or when the README's set-up section names another
# version. Reads `cargo metadata` (offline, locked: run `cargo fetch` once on a fresh clone).
# Usage: scripts/msrv-check.sh [METADATA.json]   (a saved `cargo metadata` output, for tests)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then
  meta=$1
else
  meta=$(mktemp)
  trap 'rm -f "$meta"' EXIT
  if ! cargo metadata --format-version 1 --offline --locked >"$meta"; then
    echo "msrv: cargo metadata failed offline; run \`cargo fetch --locked\` once to download every locked package" >&2
    exit 1
  fi
fi
python3 - "$meta" README.md <<'PY'
import json, re, sys

meta = json.load(open(sys.argv[1], encoding="utf-8"))
def ver(text):
    # "1.85" and "1.85.0" are the same version.
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))
def show(v):
    return ".".join(str(part) for part in (v[:2] if v[2] == 0 else v))

members = set(meta["workspace_members"])
ours = [p for p in meta["packages"] if p["id"] in members]
declared = {p["name"]: p.get("rust_version") for p in ours}
missing = [name for name, v in declared.items() if not v]
if missing:
    sys.exit(f"msrv: workspace packages without rust-version: {', '.join(sorted(missing))}")
msrv = min(ver(v) for v in declared.values())

# Every locked package outside the workspace (all platforms: cargo metadata lists them all).
needs = sorted(((ver(p["rust_version"]), p["name"], p["version"])
                for p in meta["packages"]
                if p["id"] not in members and p.get("rust_version")), reverse=True)
too_new = [n for n in needs if n[0] > msrv]
for v, name, version in too_new:
    print(f"msrv: {name} {version} needs Rust {show(v)}, newer than rust-version {show(msrv)}")

readme = open(sys.argv[2], encoding="utf-8").read()
said = re.search(r"Rust toolchain \((\d+\.\d+(?:\.\d+)?) or newer\)", readme)
readme_bad = said is None or ver(said.group(1)) != msrv
if readme_bad:
    found = said.group(1) if said else "no \"Rust toolchain (X.Y or newer)\""
    print(f"msrv: README.md says {found}; rust-version is {show(msrv)}")

if too_new or readme_bad:
    top = show(needs[0][0]) if needs else show(msrv)
    sys.exit(f"msrv: FAILED (the locked dependencies need Rust {top})")
top = f"{needs[0][1]} {needs[0][2]} needs {show(needs[0][0])}" if needs else "no dependency declares one"
print(f"msrv: ok, rust-version {show(msrv)} covers {len(needs)} locked packages ({top})")
PY
