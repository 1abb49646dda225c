#!/usr/bin/env bash
# Benchmark of 文字同定 (koseki identify): draws characters from fonts other than IPAmj明朝
# (花園明朝A, Noto Serif CJK JP) at 64 px (PNG) and as 24-dot bitmaps (BDF), identifies them
# against all MJ references, and prints top-1 / top-10 accuracy, index build time and time
# per query. Targets (issue 5): top-1 ≥ 95 % and top-10 ≥ 99 % at 64 px; top-10 ≥ 95 % at
# 24 dots; index ≤ 60 s; ≤ 5 ms a query.
# Usage: bench/identify.sh [N_PER_FONT=300] [PROFILE=release|dev]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-300}"
PROFILE="${2:-release}"
FLAG=(); [ "$PROFILE" = release ] && FLAG=(--release)
TARGET="${BENCH_TARGET:-${CARGO_TARGET_DIR:-target}/$([ "$PROFILE" = release ] && echo release || echo debug)}"
# Release mode benchmarks the identify crate alone through its `identify_run` example (the
# same library calls as `koseki identify`; a release build of the whole CLI takes far longer);
# dev mode runs the `koseki` binary itself.
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build -q "${FLAG[@]}" -p identify --example bench_sets --example identify_run
  [ "$PROFILE" = release ] || cargo build -q -p koseki-cli
fi
run_identify() { # GAIJI OUT
  if [ "$PROFILE" = release ]; then "$TARGET/examples/identify_run" "$1" "$2" 10
  else "$TARGET/koseki" --quiet identify --gaiji "$1" --top 10 --out "$2"; fi
}
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"${BENCH_SETS:-$TARGET/examples/bench_sets}" "$WORK/sets" "$N"
# A fresh cache, so the index build is measured (KOSEKI_MOJIDATA keeps the installed MJ table).
export KOSEKI_MOJIDATA="${KOSEKI_MOJIDATA:-$HOME/.local/share/koseki/npm/node_modules/@mandel59/mojidata/dist/moji.db}"
export KOSEKI_HOME="${BENCH_HOME:-$WORK/home}"
for set in px64 dots24; do
  input="$WORK/sets/$set"; [ "$set" = dots24 ] && input="$WORK/sets/dots24.bdf"
  start=$(date +%s.%N)
  run_identify "$input" "$WORK/$set.tsv" 2> "$WORK/$set.log" || true
  end=$(date +%s.%N)
  cat "$WORK/$set.log"
  echo "$set: wall $(echo "$end - $start" | bc) s (index build included)"
  python3 bench/identify_score.py "$WORK/$set.tsv" "$WORK/sets/truth.tsv" "$set"
done
