#!/usr/bin/env bash
# Runs every test: unit, property, reference (against ../shared/data), end-to-end, browser,
# and each fuzz target for a short fixed time. Fails on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

if [ ! -d ../shared/data ]; then
  echo "##################################################################"
  echo "## WARNING: ../shared/data is absent: reference tests will SKIP ##"
  echo "##################################################################"
fi

cargo test --workspace --no-fail-fast
bash scripts/fuzz.sh
