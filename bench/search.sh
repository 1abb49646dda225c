#!/bin/sh
# Search latency at 1,000,000 persons (runtime/benches/search.rs): builds the bench store once
# (target/bench-search-1000000.db, several minutes), then prints p50/p95/p99/max per query kind.
# Goal: p99 <= 20 ms. Options via environment: KOSEKI_BENCH_PERSONS, KOSEKI_BENCH_QUERIES,
# KOSEKI_BENCH_DB.
set -eu
cd "$(dirname "$0")/.."
exec cargo bench -p runtime --bench search "$@"
