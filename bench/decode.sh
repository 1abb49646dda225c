#!/usr/bin/env bash
# Decoding throughput of `koseki decode` against glibc iconv on the same 100 MB streams:
#   1. an IBM930 mixed stream (single-byte runs, SO, kanji, SI), vs `iconv -f IBM930 -t UTF-8`;
#   2. a record-shaped IBM930 stream (short single-byte fields between long full-width ones);
#   3. a pure double-byte JEF stream (PIC N, `--field dbcs`); glibc has no JEF, so iconv
#      decodes the same kanji as an IBM930 double-byte stream for scale.
# Prints MB/s (10^6 bytes of input per second, best wall time of 3), CPU seconds (user+sys,
# best of 3: less sensitive to other jobs), the ratios to iconv by both, and the load
# average, then runs the in-process kernel benchmark (moji/benches/decode.rs).
# Usage: bash bench/decode.sh [SIZE_MB]   (builds release; needs python3 and iconv)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-100}"
work="${TMPDIR:-/tmp}/koseki-bench-decode"
mkdir -p "$work"

cargo build --release -p koseki-cli --bin koseki >/dev/null
target="${CARGO_TARGET_DIR:-target}"
koseki="$target/release/koseki"

# Streams made of codes the generated tables define (deterministic seed).
python3 - "$work" "$size_mb" <<'PY'
import random, sys, os
work, size = sys.argv[1], int(sys.argv[2]) * 1_000_000
def codes(name):
    sb, db = [], []
    for line in open(f"mappings/codepages/{name}.tsv", encoding="utf-8"):
        if line.startswith("#"):
            continue
        code = line.split("\t")[0]
        (sb if len(code) == 2 else db).append(int(code, 16))
    return sb, db
rnd = random.Random(930)
sb, db = codes("ibm930")
sb = [b for b in sb if b >= 0x40]                      # printable single bytes
db = [c for c in db if c != 0x4040]
chunk = bytearray()
while len(chunk) < 4_000_000:                         # 4 MB of records, repeated
    chunk += bytes(rnd.choice(sb) for _ in range(rnd.randint(8, 31)))
    chunk.append(0x0E)
    for _ in range(rnd.randint(4, 19)):
        chunk += rnd.choice(db).to_bytes(2, "big")
    chunk.append(0x0F)
with open(os.path.join(work, "ibm930.bin"), "wb") as f:
    for _ in range(size // len(chunk) + 1):
        f.write(chunk)
    f.truncate(size // len(chunk) * len(chunk) or len(chunk))
# Record-shaped: what a 戸籍 intermediate file holds per record: short single-byte fields
# (codes, dates, counts in digits and letters) between long full-width fields (氏名, 本籍,
# 身分事項 text), each full-width field in its own SO ... SI.
digits = [b for b in sb if 0xC1 <= b <= 0xF9]
chunk = bytearray()
while len(chunk) < 4_000_000:
    for _ in range(rnd.randint(2, 5)):
        chunk += bytes(rnd.choice(digits) for _ in range(rnd.randint(2, 12)))
        chunk.append(0x0E)
        for _ in range(rnd.randint(8, 60)):
            chunk += rnd.choice(db).to_bytes(2, "big")
        chunk.append(0x0F)
with open(os.path.join(work, "ibm930-record.bin"), "wb") as f:
    for _ in range(size // len(chunk) + 1):
        f.write(chunk)
    f.truncate(size // len(chunk) * len(chunk) or len(chunk))
_, jdb = codes("jef")
jdb = [c for c in jdb if c >= 0xA1A1]
chunk = b"".join(rnd.choice(jdb).to_bytes(2, "big") for _ in range(2_000_000))
with open(os.path.join(work, "jef.bin"), "wb") as f:
    for _ in range(size // len(chunk)):
        f.write(chunk)
# The same kanji as an IBM930 double-byte stream, so iconv has a like-for-like job.
with open(os.path.join(work, "ibm930-dbcs.bin"), "wb") as f:
    kanji = [c for c in db if c >= 0x4541]
    chunk = b"\x0e" + b"".join(rnd.choice(kanji).to_bytes(2, "big") for _ in range(2_000_000))
    for i in range(size // (len(chunk) - 1)):
        f.write(chunk if i == 0 else chunk[1:])
    f.write(b"\x0f")
PY

f930="$work/ibm930.bin"; fjef="$work/jef.bin"; fdb="$work/ibm930-dbcs.bin"; frec="$work/ibm930-record.bin"
echo "streams: $(du -m "$f930" | cut -f1) MB ibm930 mixed, $(du -m "$fjef" | cut -f1) MB jef double-byte"
# Check first that both decode the stream to the same text.
cmp <("$koseki" decode --encoding ibm930 <"$f930" | head -c 20000000) <(iconv -f IBM930 -t UTF-8 <"$f930" | head -c 20000000) \
  && echo "check: koseki and iconv agree on the ibm930 stream"
cmp <("$koseki" decode --encoding ibm930 <"$frec" | head -c 20000000) <(iconv -f IBM930 -t UTF-8 <"$frec" | head -c 20000000) \
  && echo "check: koseki and iconv agree on the ibm930 record-shaped stream"

# Each command runs 3 times, stdin from the file, stdout to /dev/null. Wall time is the best
# of 3; CPU time (user + sys of the process, best of 3) is less sensitive to other jobs on a
# shared machine, so both are printed, with the load average before and after.
python3 - "$koseki" "$f930" "$fjef" "$fdb" "$frec" <<'PY'
import os, subprocess, sys, time
koseki, f930, fjef, fdb, frec = sys.argv[1:]
def run(cmd, path, n=3):
    walls, cpus = [], []
    for _ in range(n):
        with open(path, "rb") as inp, open(os.devnull, "wb") as out:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdin=inp, stdout=out)
            _, status, ru = os.wait4(p.pid, 0)
            walls.append(time.perf_counter() - t0)
            if status != 0:
                sys.exit(f"{cmd} failed ({status})")
            cpus.append(ru.ru_utime + ru.ru_stime)
    mb = os.path.getsize(path) / 1e6
    return mb, min(walls), min(cpus)
def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])
print(f"load average before: {load()}   ({os.cpu_count()} CPUs)")
rows = [
    ("koseki decode --encoding ibm930 (mixed)", [koseki, "decode", "--encoding", "ibm930"], f930),
    ("iconv -f IBM930 -t UTF-8 (same stream)", ["iconv", "-f", "IBM930", "-t", "UTF-8"], f930),
    ("koseki decode --encoding jef --field dbcs", [koseki, "decode", "--encoding", "jef", "--field", "dbcs"], fjef),
    ("iconv -f IBM930 (pure double-byte, same size)", ["iconv", "-f", "IBM930", "-t", "UTF-8"], fdb),
    ("koseki decode --encoding ibm930 (record-shaped)", [koseki, "decode", "--encoding", "ibm930"], frec),
    ("iconv -f IBM930 -t UTF-8 (same stream)", ["iconv", "-f", "IBM930", "-t", "UTF-8"], frec),
]
res = [run(cmd, path) for _, cmd, path in rows]
print(f"{'':48} {'MB':>5} {'wall s':>7} {'MB/s':>7} {'CPU s':>7} {'MB/CPU-s':>9}")
for (name, _, _), (mb, wall, cpu) in zip(rows, res):
    print(f"{name:48} {mb:5.0f} {wall:7.3f} {mb / wall:7.0f} {cpu:7.3f} {mb / cpu:9.0f}")
def ratio(a, b):
    return f"{res[b][1] / res[a][1]:.1f}x by wall time, {res[b][2] / res[a][2]:.1f}x by CPU time"
print(f"RATIO ibm930 mixed, koseki vs iconv:           {ratio(0, 1)}  (target >= 20x)")
print(f"RATIO ibm930 record-shaped, koseki vs iconv:   {ratio(4, 5)}  (target >= 20x)")
print(f"RATIO jef dbcs koseki vs iconv ibm930 dbcs:    {ratio(2, 3)}")
print(f"jef pure double-byte: {res[2][0] / res[2][1]:.0f} MB/s wall, {res[2][0] / res[2][2]:.0f} MB per CPU-second  (target >= 1000 per core)")
print(f"load average after: {load()}")
PY
echo "(CLI figures include reading stdin and writing stdout; kernel figures follow)"
cargo bench -p moji --bench decode 2>/dev/null | grep -E 'ibm930|jef|ebcdic|Timer|fastest|MB/s|GB/s' || true
