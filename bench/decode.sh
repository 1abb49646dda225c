#!/usr/bin/env bash
# Decoding throughput of `koseki decode` against glibc iconv on the same 100 MB streams:
#   1. an IBM930 mixed stream (single-byte runs, SO, kanji, SI), vs `iconv -f IBM930 -t UTF-8`;
#   2. a pure double-byte JEF stream (PIC N, `--field dbcs`); glibc has no JEF, so iconv
#      decodes the same kanji as an IBM930 double-byte stream for scale.
# Prints MB/s (10^6 bytes of input per second, best of 3) and the ratio to iconv, then runs
# the in-process kernel benchmark (moji/benches/decode.rs).
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

best() { # best wall seconds of 3 runs of "$@" < input > /dev/null
  local input="$1"; shift
  local best=""
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" <"$input" >/dev/null
    t1=$(date +%s.%N)
    best=$(python3 -c "import sys; a=float(sys.argv[1]); b='$best'; print(min(a, float(b)) if b else a)" "$(python3 -c "print($t1-$t0)")")
  done
  echo "$best"
}
mbps() { python3 -c "import os,sys; print('%.0f' % (os.path.getsize(sys.argv[1]) / 1e6 / float(sys.argv[2])))" "$1" "$2"; }

f930="$work/ibm930.bin"; fjef="$work/jef.bin"; fdb="$work/ibm930-dbcs.bin"
echo "streams: $(du -m "$f930" | cut -f1) MB ibm930 mixed, $(du -m "$fjef" | cut -f1) MB jef double-byte"
# Check first that both decode the stream to the same text.
cmp <("$koseki" decode --encoding ibm930 <"$f930" | head -c 20000000) <(iconv -f IBM930 -t UTF-8 <"$f930" | head -c 20000000) \
  && echo "check: koseki and iconv agree on the ibm930 stream"

t_k=$(best "$f930" "$koseki" decode --encoding ibm930)
t_i=$(best "$f930" iconv -f IBM930 -t UTF-8)
t_j=$(best "$fjef" "$koseki" decode --encoding jef --field dbcs)
t_id=$(best "$fdb" iconv -f IBM930 -t UTF-8)
k=$(mbps "$f930" "$t_k"); i=$(mbps "$f930" "$t_i"); j=$(mbps "$fjef" "$t_j"); id=$(mbps "$fdb" "$t_id")
printf '%-44s %8s MB/s\n' "koseki decode --encoding ibm930 (mixed)" "$k"
printf '%-44s %8s MB/s\n' "iconv -f IBM930 -t UTF-8 (same stream)" "$i"
printf '%-44s %8s x\n' "ratio ibm930 koseki/iconv" "$(python3 -c "print('%.1f' % ($k / $i))")"
printf '%-44s %8s MB/s\n' "koseki decode --encoding jef --field dbcs" "$j"
printf '%-44s %8s MB/s\n' "iconv -f IBM930 (pure double-byte, same size)" "$id"
printf '%-44s %8s x\n' "ratio jef-dbcs koseki / iconv ibm930-dbcs" "$(python3 -c "print('%.1f' % ($j / $id))")"
echo "(CLI figures include reading stdin and writing stdout; kernel figures follow)"
cargo bench -p moji --bench decode 2>/dev/null | grep -E 'ibm930|jef|ebcdic|Timer|fastest' || true
