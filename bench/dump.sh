#!/usr/bin/env bash
# Throughput of `koseki dump` to JSON lines: input MB/s (10^6 bytes of input per second) on a
# generated JEF file of BENCH-REC records (parsers/testdata/bench.cpy: 267-byte records with
# PIC N kanji, EBCDIK kana, zoned dates, COMP-3 amounts, binary counts and an OCCURS group),
# written with parsers' RecordWriter (parsers/examples/gen_bench.rs).
# Prints wall-clock MB/s on one thread and on all cores, and MB per CPU-second (user+sys), which
# stays meaningful on a machine shared with other jobs.
# Usage: bash bench/dump.sh [SIZE_MB]   (default 1024; builds release)
#   KOSEKI_DUMP_BIN=example  uses parsers' dump_file example (the same library path without
#   the CLI) instead of building the whole koseki binary in release.
#   KOSEKI_BENCH_LAYOUT=odo  uses parsers/testdata/bench_odo.cpy instead (HISTORY sized by an
#   OCCURS DEPENDING ON count: dump's record walker, not its compiled path).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-1024}"
work="${TMPDIR:-/tmp}/koseki-bench-dump"
mkdir -p "$work"
target="${CARGO_TARGET_DIR:-target}"
if [ "${KOSEKI_BENCH_LAYOUT:-}" = odo ]; then
    cpy=parsers/testdata/bench_odo.cpy; data="$work/bench_odo.dat"; gen_extra=odo
else
    cpy=parsers/testdata/bench.cpy; data="$work/bench.dat"; gen_extra=
fi

cargo build --release -p parsers --example gen_bench --example dump_file >/dev/null
if [ "${KOSEKI_DUMP_BIN:-koseki}" = example ]; then
    cmd=("$target/release/examples/dump_file" "$cpy" "$data" jef)
else
    cargo build --release -p koseki-cli --bin koseki >/dev/null
    cmd=("$target/release/koseki" dump --layout "$cpy" --data "$data" --encoding jef)
fi

if [ ! -f "$data" ] || [ "$(stat -c %s "$data")" -lt $((size_mb * 1024 * 1024 - 1024)) ]; then
    "$target/release/examples/gen_bench" "$data" "$size_mb" $gen_extra
fi
bytes=$(stat -c %s "$data")
cat "$data" > /dev/null   # warm the page cache: measure decoding, not the disk

measure() {
    local label="$1"; shift
    local best=""
    for _ in 1 2 3; do
        env "$@" /usr/bin/time -o "$work/time.txt" -f "%e %U %S" "${cmd[@]}" > /dev/null 2>/dev/null
        local line
        line=$(tail -1 "$work/time.txt")
        if [ -z "$best" ] || [ "$(echo "$line" | awk -v b="$best" '{split(b, a, " "); print ($1 < a[1])}')" = 1 ]; then
            best=$line
        fi
    done
    echo "$best" | awk -v bytes="$bytes" -v label="$label" '{
        cpu = $2 + $3;
        printf "%-10s %7.0f MB/s wall   %7.0f MB per CPU-second   (%.2f s wall, %.2f s CPU, best of 3)\n",
            label, bytes / 1e6 / $1, bytes / 1e6 / cpu, $1, cpu }'
}

echo "input: $data, $((bytes / 1000000)) MB, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
measure "1 thread" RAYON_NUM_THREADS=1
measure "all cores" RAYON_NUM_THREADS="$(nproc)"
