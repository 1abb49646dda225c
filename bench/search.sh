#!/bin/sh
# Search latency at 1,000,000 persons (runtime/benches/search.rs). Builds the bench store once
# (target/bench-search-v2-1000000.db: 250,000 戸籍 × 4 persons with a skewed 氏 distribution,
# 20,000 image-register 見出し; a few minutes), then runs a realistic mix of searches (common and
# rare 氏, 名, 氏名, variant spellings, kana, 生年月日, 本籍, and combinations) after a warm-up,
# and prints wall-time p50/p95/p99/max and thread CPU-time p50/p99 per query class and overall,
# with the load average. Goal: p99 <= 20 ms. Each search returns the first 100 ranked hits and a
# count capped at 1000 (runtime::search::{DEFAULT_HITS, COUNT_CAP}).
# The machine is shared: run it when `uptime` shows a low load, and read the CPU-time columns
# (less sensitive to other processes) beside the wall-time ones.
# Environment: KOSEKI_BENCH_PERSONS, KOSEKI_BENCH_QUERIES, KOSEKI_BENCH_WARMUP, KOSEKI_BENCH_DB,
# KOSEKI_BENCH_EXPLAIN=1 (print the query plans).
set -eu
cd "$(dirname "$0")/.."
exec cargo bench -p runtime --bench search "$@"
