#!/usr/bin/env bash
# The whole story on the default embedded store: sample → identify → migrate → serve.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo run --quiet --bin koseki -- demo "$@"
